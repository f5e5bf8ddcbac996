"""Rewards writers racing each other as two bot processes do (see :mod:`tests.platform.races`): the outcome must be
exactly-once — one code per grant, one retry, one void, one demotion, one audit line per delivery, no grant put
back in the queue while it is being delivered."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.ledger import LedgerPolicy, LedgerService
from bot.ledger import store as ledger_repo
from bot.platform.clock import FakeClock
from bot.platform.config import RewardConfig
from bot.platform.db import Database, migrate
from bot.platform.jobs.scheduler import TimerScheduler
from bot.platform.tables import audit_log
from bot.rewards import RewardsService
from bot.rewards import store as repo
from bot.rewards.tables import perk_codes
from tests.platform.races import ok, race, until_waiting

G = 100
ALICE = 1 << 40
ROLE = 555
OPEN = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0)


def service(db: Database, clock: FakeClock) -> RewardsService:
    return RewardsService(db, clock, policy_for=lambda g: OPEN, schedule=TimerScheduler(db, clock).schedule)


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


async def test_two_rejoins_requeue_a_delivered_role_once(db_url: str, clock: FakeClock) -> None:
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


async def test_two_members_deciding_at_once_respect_a_pool_budget(db_url: str, clock: FakeClock) -> None:
    """Budget 1: two members earn a code at the same moment (their own ledger locks don't serialize them): one gets
    the code, the other's grant waits for approval."""
    db = await setup(db_url)
    try:
        rewards = service(db, clock)
        await rewards.create_pool(G, "storage", actor_id=None, budget=1, low_stock_warning=0)
        await rewards.add_codes(G, "storage", b"CODE-AAA-1\nCODE-AAA-2\nCODE-AAA-3\n", "c.txt", actor_id=None)

        def decide(user_id: int) -> Any:
            async def run(d: Database) -> int | None:
                async with d.begin() as conn:
                    await ledger_repo.lock_for_write(conn, G, [user_id])  # as a credit or event does
                    return await service(d, clock).queue_grant(
                        conn, guild_id=G, user_id=user_id, action="perk", payload={"pool": "storage", "template": "x"},
                        dedupe_key=f"perk:{user_id}", rule_name="test")
            return run

        assert all(ok(await race(db_url, "perk_codes", decide(ALICE), decide(ALICE + 1))))
        async with db.connect() as conn:
            held = (await conn.execute(select(func.count()).select_from(perk_codes)
                                       .where(perk_codes.c.assigned_to.is_not(None)))).scalar_one()
        perks = sorted((g.hold or "") for g in await grants_of(db, "perk"))
        assert held == 1 and perks == ["", "approval"]
    finally:
        await db.close()


async def grants_of(db: Database, action: str) -> list[repo.Grant]:
    async with db.connect() as conn:
        return [g for g in await repo.history(conn, G, ALICE, limit=50) + await repo.history(conn, G, ALICE + 1, limit=50)
                if g.action == action]


async def test_two_staff_creating_one_pool_create_it_once(db_url: str, clock: FakeClock) -> None:
    """Both read "no such pool" before either writes: one creates it, the other hears it exists (as a second,
    later create does), and the first one's settings stand."""
    db = await setup(db_url)
    try:
        results = await race(
            db_url, "perk_pools",
            lambda d: service(d, clock).create_pool(G, "storage", actor_id=7, per_member_limit=1),
            lambda d: service(d, clock).create_pool(G, "storage", actor_id=8, per_member_limit=2),
            staggered=True,
        )
        created = ok(results)
        assert len(created) == 1, results
        (refused,) = [r for r in results if isinstance(r, BaseException)]
        assert "exists already" in str(refused)
        async with db.connect() as conn:
            pool = await repo.pool(conn, G, "storage")
        assert pool is not None and pool.per_member_limit == created[0].per_member_limit  # the creator's settings
        assert await audited(db, "perk.pool_created") == 1
    finally:
        await db.close()


async def test_two_imports_of_one_code_import_it_once_and_report_it(db_url: str, clock: FakeClock) -> None:
    """Both check the pool for duplicates before either writes: the second to write gets the duplicates report
    (no IntegrityError) and, as for any duplicate, imports nothing of its file."""
    db = await setup(db_url)
    try:
        await service(db, clock).create_pool(G, "storage", actor_id=None, low_stock_warning=0)
        first, second = await race(
            db_url, "perk_codes",
            lambda d: service(d, clock).add_codes(G, "storage", b"CODE-AAA-1\nCODE-AAA-2\n", "a.txt", actor_id=7),
            lambda d: service(d, clock).add_codes(G, "storage", b"CODE-AAA-2\nCODE-AAA-3\n", "b.txt", actor_id=8),
            staggered=True,
        )
        for result in (first, second):
            if isinstance(result, BaseException):
                raise result  # e.g. an IntegrityError: staff would get a generic apology
        (won, added), (lost, none) = sorted([first, second], key=lambda r: -r[1])
        assert added == 2 and won.duplicates == [] and none == 0 and not lost.invalid
        assert len(lost.duplicates) == 1 and "already in storage" in lost.duplicates[0]
        assert "CODE-AAA-2" not in lost.duplicates[0]  # masked
        async with db.connect() as conn:
            codes = sorted(r[0] for r in await conn.execute(select(perk_codes.c.code)))
        assert codes == (["CODE-AAA-1", "CODE-AAA-2"] if won is first[0] else ["CODE-AAA-2", "CODE-AAA-3"])
        assert await audited(db, "perk.codes_added") == 1
    finally:
        await db.close()


async def test_an_expiry_timer_run_twice_expires_once(db_url: str, clock: FakeClock) -> None:
    db = await setup(db_url)
    try:
        rewards = service(db, clock)
        async with db.begin() as conn:
            await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action="role_add",
                                      payload={"role_id": ROLE, "duration_days": 7}, dedupe_key="role:1",
                                      rule_name="test")
        (grant,) = await rewards.claim()
        assert await rewards.delivered(grant)
        await clock.advance(timedelta(days=8))
        results = ok(await race(db_url, "grants", *(lambda d: service(d, clock).expire_due(grant.id),) * 2))
        assert sorted(results) == [False, True]
        assert await audited(db, "reward.expired") == 1
        assert [g.action for g in await grants_of(db, "role_remove")] == ["role_remove"]
        assert not await rewards.expire_due(grant.id)  # and once more, later: still once
        assert await audited(db, "reward.expired") == 1
    finally:
        await db.close()
