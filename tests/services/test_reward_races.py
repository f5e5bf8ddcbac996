"""Rewards writers racing each other as two bot processes do: each competitor has its own ``Database`` (its own
connection pool) on the same database, and the outcome must be exactly-once (one code per grant, one retry, one
void, one demotion, one audit line per delivery, no grant put back in the queue while it is being delivered).

SQLite serializes writers (``BEGIN IMMEDIATE``), so there the competitors simply run concurrently. On PostgreSQL
nothing serializes them but the statements themselves, and a lucky schedule would hide a read-then-write race;
so :func:`race` forces the bad interleaving: a third connection holds ``LOCK TABLE … IN EXCLUSIVE MODE`` (plain
reads go on; writes and ``FOR UPDATE`` wait) until every competitor waits on a lock — that is, each has done
its reads before any of them writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import FakeClock
from bot.config import RewardConfig
from bot.db import Database, migrate
from bot.db import ledger as ledger_repo
from bot.db import rewards as repo
from bot.db.schema import audit_log, perk_codes
from bot.scheduler import TimerScheduler
from bot.services.errors import Conflict
from bot.services.ledger import LedgerPolicy, LedgerService
from bot.services.rewards import RewardsService

G = 100
ALICE = 1 << 40
ROLE = 555
OPEN = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0)


def service(db: Database, clock: FakeClock) -> RewardsService:
    return RewardsService(db, clock, policy_for=lambda g: OPEN, schedule=TimerScheduler(db, clock).schedule)


async def waiting_on_locks(conn: AsyncConnection) -> int:
    """Sessions of this database that wait on a lock (PostgreSQL)."""
    await conn.execute(text("SELECT pg_stat_clear_snapshot()"))  # else the transaction sees its first snapshot
    return int((await conn.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ))).scalar_one())


async def until_waiting(conn: AsyncConnection, n: int, tasks: list[asyncio.Task[Any]]) -> None:
    for _ in range(1000):
        if await waiting_on_locks(conn) >= n:
            return
        for task in tasks:
            if task.done():
                task.result()  # a competitor that failed early: show why
                raise AssertionError("a competitor finished without waiting on a lock: the race was not forced")
        await asyncio.sleep(0.01)
    raise AssertionError(f"{n} competitors never waited on a lock together")


async def race(db_url: str, table: str, *calls: Callable[[Database], Awaitable[Any]]) -> list[Any]:
    """Run the calls concurrently, each on its own ``Database``; results (or exceptions) in order."""
    dbs = [Database(db_url) for _ in calls]
    try:
        if not db_url.startswith("postgresql"):
            return list(await asyncio.gather(*(c(d) for c, d in zip(calls, dbs, strict=True)),
                                             return_exceptions=True))
        blocker = Database(db_url)
        try:
            async with blocker.begin() as conn:
                await conn.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
                tasks = [asyncio.create_task(c(d)) for c, d in zip(calls, dbs, strict=True)]
                await until_waiting(conn, len(calls), tasks)
            return list(await asyncio.gather(*tasks, return_exceptions=True))
        finally:
            await blocker.close()
    finally:
        for d in dbs:
            await d.close()


def ok(results: list[Any]) -> list[Any]:
    """The results that are not a Conflict; any other exception fails the test."""
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, Conflict):
            raise r
    return [r for r in results if not isinstance(r, BaseException)]


async def audited(db: Database, action: str) -> int:
    async with db.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(audit_log)
                                       .where(audit_log.c.action == action))).scalar_one())


async def setup(db_url: str) -> Database:
    db = Database(db_url)
    await migrate.upgrade(db)
    return db


async def perk_grant_without_code(db: Database, rewards: RewardsService) -> int:
    """A perk grant decided while its pool was empty (its code is claimed at delivery), then a restock."""
    await rewards.create_pool(G, "storage", actor_id=None, low_stock_warning=0)
    async with db.begin() as conn:
        gid = await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action="perk",
                                        payload={"pool": "storage", "template": "{code}"}, dedupe_key="perk:1",
                                        rule_name="test")
    assert gid is not None
    await rewards.add_codes(G, "storage", b"CODE-AAA-1\nCODE-AAA-2\nCODE-AAA-3\n", "c.txt", actor_id=None)
    return gid


# --------------------------------------------------------------------------- tests


async def test_two_deliveries_of_one_perk_grant_claim_one_code(db_url: str, clock: FakeClock) -> None:
    """A stale claim taken up again while the first delivery still runs: both ask for the grant's code."""
    db = await setup(db_url)
    try:
        rewards = service(db, clock)
        gid = await perk_grant_without_code(db, rewards)
        (grant,) = [g for g in await rewards.claim() if g.id == gid]
        codes = ok(await race(db_url, "perk_codes", *(lambda d: service(d, clock).code_for(grant),) * 2))
        assert len(codes) == 2 and codes[0] is not None and codes[0].id == codes[1].id
        async with db.connect() as conn:
            held = (await conn.execute(select(func.count()).select_from(perk_codes)
                                       .where(perk_codes.c.assigned_to.is_not(None)))).scalar_one()
        assert held == 1
    finally:
        await db.close()


async def test_a_restock_does_not_requeue_a_grant_being_delivered(db_url: str, clock: FakeClock) -> None:
    """The restock reads the waiting perk grants while a dispatcher claims one of them: the claimed grant stays
    ``delivering`` (put back to ``pending`` it would be claimed, and its DM sent, a second time)."""
    db = await setup(db_url)
    other = Database(db_url)
    try:
        rewards = service(db, clock)
        await rewards.create_pool(G, "storage", actor_id=None, low_stock_warning=0)
        async with db.begin() as conn:
            gid = await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action="perk",
                                            payload={"pool": "storage", "template": "{code}"},
                                            dedupe_key="perk:1", rule_name="test")
        async with other.begin() as conn:  # the dispatcher of another process, between its claim and commit
            await ledger_repo.lock_for_write(conn, 0, [])
            claimed = await repo.claim_batch(conn, now=clock.now(), stale_before=clock.now() - timedelta(minutes=1),
                                             limit=10, ids=[gid])
            assert [g.id for g in claimed] == [gid]
            restock = asyncio.create_task(rewards._requeue_out_of_stock(G))
            if db_url.startswith("postgresql"):
                await until_waiting(conn, 1, [restock])
            else:
                await asyncio.sleep(0.2)  # the restock waits for the write lock
        await restock
        async with db.connect() as conn:
            row = await repo.grant(conn, gid)
        assert row is not None and row.status == "delivering" and row.attempts == 1
        assert gid not in [g.id for g in await rewards.claim()]  # (the out-of-codes notice is due)
    finally:
        await other.close()
        await db.close()


async def test_two_staff_retrying_a_failed_grant_retry_it_once(db_url: str, clock: FakeClock) -> None:
    db = await setup(db_url)
    try:
        rewards = service(db, clock)
        async with db.begin() as conn:
            gid = await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action="dm",
                                            payload={"template": "hi"}, dedupe_key="dm:1", rule_name="test")
            assert gid is not None
            await repo.set_values(conn, gid, status="failed", attempts=5, last_error="403 Forbidden")
        results = await race(db_url, "grants", lambda d: service(d, clock).retry(G, gid, actor_id=7),
                             lambda d: service(d, clock).retry(G, gid, actor_id=8))
        assert len(ok(results)) == 1, results
        assert await audited(db, "reward.retry") == 1
    finally:
        await db.close()


async def test_two_staff_voiding_a_code_void_and_reissue_once(db_url: str, clock: FakeClock) -> None:
    db = await setup(db_url)
    try:
        rewards = service(db, clock)
        gid = await perk_grant_without_code(db, rewards)
        code = await rewards.code_for(await repo_grant(db, gid))
        assert code is not None
        results = await race(
            db_url, "perk_codes",
            lambda d: service(d, clock).void(G, code.id, actor_id=7, reason="leaked", reissue=True),
            lambda d: service(d, clock).void(G, code.id, actor_id=8, reason="leaked", reissue=True),
        )
        reissued = ok(results)
        assert len(reissued) == 1 and reissued[0] is not None, results
        assert await audited(db, "perk.voided") == 1
    finally:
        await db.close()


async def repo_grant(db: Database, gid: int) -> repo.Grant:
    async with db.connect() as conn:
        grant = await repo.grant(conn, gid)
    assert grant is not None
    return grant


async def test_a_demotion_timer_run_twice_demotes_once(db_url: str, clock: FakeClock) -> None:
    db = await setup(db_url)
    try:
        rewards = service(db, clock)
        ledger = LedgerService(db, clock, lambda g: OPEN, on_change=rewards.on_contribution)
        await rewards.save_rule(G, RewardConfig.model_validate(
            {"name": "star", "trigger": {"points": 30}, "role": ROLE, "demote": True}, strict=False), actor_id=None)
        for i in range(3):
            await ledger.credit(G, ALICE, "answer", source_key=f"answer:{i}", actor_id=None)
        (grant,) = await rewards.claim()
        assert await rewards.delivered(grant)
        async with db.connect() as conn:
            first = (await ledger_repo.history(conn, G, ALICE, limit=10))[0]
        await ledger.reverse(G, first.id, actor_id=9, reason="spam")  # 20 points: below the line
        results = ok(await race(db_url, "grants", *(lambda d: service(d, clock).demote_due(grant.id),) * 2))
        assert sorted(results) == [False, True]
        assert await audited(db, "reward.revoked") == 1
    finally:
        await db.close()


async def test_a_grant_finished_twice_in_a_batch_is_audited_once(db_url: str, clock: FakeClock) -> None:
    db = await setup(db_url)
    try:
        rewards = service(db, clock)
        async with db.begin() as conn:
            await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action="dm", payload={"template": "hi"},
                                      dedupe_key="dm:1", rule_name="test")
        (grant,) = await rewards.claim()
        ok(await race(db_url, "grants", *(lambda d: service(d, clock).delivered_many([(grant, None)]),) * 2))
        assert await audited(db, "reward.delivered") == 1
    finally:
        await db.close()


async def test_two_rejoins_and_a_demotion_never_requeue_a_revoked_role(db_url: str, clock: FakeClock) -> None:
    """``redeliver`` (rejoin, reconciliation) acts on the delivered grants it read: by the time it writes, a
    concurrent writer may have revoked or re-queued them."""
    db = await setup(db_url)
    try:
        rewards = service(db, clock)
        async with db.begin() as conn:
            await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action="role_add",
                                      payload={"role_id": ROLE}, dedupe_key="role:1", rule_name="test")
        (grant,) = await rewards.claim()
        assert await rewards.delivered(grant)

        async def rejoin(d: Database) -> None:  # what the rewards cog does when a member comes back
            svc = service(d, clock)
            async with d.begin() as conn:
                await ledger_repo.lock_for_write(conn, 0, [])
                for earned in await repo.earned_roles(conn, G, now=clock.now(), user_id=ALICE):
                    await svc.redeliver(conn, earned, reason="member rejoined")

        ok(await race(db_url, "grants", rejoin, rejoin))
        assert await audited(db, "reward.redeliver") == 1
        assert (await repo_grant(db, grant.id)).status == "pending"
    finally:
        await db.close()
