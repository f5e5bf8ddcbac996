"""The rewards engine on both backends: decisions in the cause's transaction, exactly-once keys, perk claims,
conditions, cooldowns, retroactive sync, delivery state transitions, demotion and budgets."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.ledger import LedgerPolicy, LedgerService
from bot.platform.clock import FakeClock
from bot.platform.config import RewardConfig
from bot.platform.db import Database
from bot.platform.events import DomainEvent
from bot.platform.jobs.scheduler import TimerScheduler
from bot.platform.tables import audit_log, timers
from bot.rewards import MemberFacts, RewardsService, parse_codes
from bot.rewards import store as repo
from bot.rewards.tables import grants, perk_codes

G = 100
ALICE, BOB, CAROL = 1 << 40, 2 << 40, 3 << 40
ROLE = 555
OPEN = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0)


def make(db: Database, clock: FakeClock) -> tuple[LedgerService, RewardsService, TimerScheduler]:
    scheduler = TimerScheduler(db, clock)
    rewards = RewardsService(db, clock, policy_for=lambda g: OPEN, schedule=scheduler.schedule)
    ledger = LedgerService(db, clock, lambda g: OPEN, on_change=rewards.on_contribution)
    return ledger, rewards, scheduler


def rule(**values: Any) -> RewardConfig:
    return RewardConfig.model_validate(values, strict=False)


async def answers(ledger: LedgerService, user: int, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        await ledger.credit(G, user, "answer", source_key=f"answer:{user}:{i}", actor_id=None)


async def grant_rows(db: Database, **where: Any) -> list[repo.Grant]:
    async with db.connect() as conn:
        stmt = select(grants)
        for key, value in where.items():
            stmt = stmt.where(grants.c[key] == value)
        return [repo._grant(r) for r in await conn.execute(stmt.order_by(grants.c.id))]


async def test_kind_threshold_grants_once_in_the_credit_transaction(db: Database, clock: FakeClock) -> None:
    ledger, rewards, _ = make(db, clock)
    await rewards.save_rule(G, rule(name="helper", trigger={"kind": "answer", "count": 3}, role=ROLE,
                                    bonus_points=5), actor_id=None)
    await answers(ledger, ALICE, 2)
    assert await grant_rows(db) == []
    await answers(ledger, ALICE, 3, start=2)  # 3rd, 4th, 5th answers
    rows = await grant_rows(db, user_id=ALICE)
    assert [(g.action, g.status) for g in rows] == [("role_add", "pending"), ("points", "pending")]
    assert rows[0].payload == {"role_id": ROLE}
    assert rows[0].cause.startswith("contribution:")
    async with db.connect() as conn:
        audited = (await conn.execute(select(func.count()).select_from(audit_log)
                                      .where(audit_log.c.action == "reward.granted"))).scalar_one()
    assert audited == 2


async def test_a_failing_cause_writes_no_grant(db: Database, clock: FakeClock) -> None:
    _, rewards, _ = make(db, clock)
    await rewards.save_rule(G, rule(name="joiner", trigger={"event": "beta_joined"}, role=ROLE), actor_id=None)
    try:
        async with db.begin() as conn:
            await rewards.on_event(conn, DomainEvent(G, ALICE, "beta_joined", clock.now()))
            raise RuntimeError("the beta join failed")
    except RuntimeError:
        pass
    assert await grant_rows(db) == []


async def test_concurrent_triggers_give_one_grant(db: Database, clock: FakeClock) -> None:
    _, rewards, _ = make(db, clock)
    await rewards.save_rule(G, rule(name="joiner", trigger={"event": "beta_joined"}, role=ROLE), actor_id=None)

    async def trigger() -> None:
        async with db.begin() as conn:
            await rewards.on_event(conn, DomainEvent(G, ALICE, "beta_joined", clock.now(), {"beta": "v2"}))

    await asyncio.gather(*(trigger() for _ in range(8)))
    assert len(await grant_rows(db, user_id=ALICE)) == 1


async def test_repeatable_rule_waits_for_its_cooldown(db: Database, clock: FakeClock) -> None:
    _, rewards, _ = make(db, clock)
    await rewards.save_rule(G, rule(name="featured", trigger={"event": "post_featured"}, dm="Nice post!",
                                    repeatable=True, cooldown_days=7), actor_id=None)

    async def feature() -> None:
        async with db.begin() as conn:
            await rewards.on_event(conn, DomainEvent(G, BOB, "post_featured", clock.now()))

    await feature()
    await feature()
    assert len(await grant_rows(db, user_id=BOB)) == 1
    await clock.advance(timedelta(days=7))
    await feature()
    assert [g.dedupe_key.rsplit(":", 2)[-2] for g in await grant_rows(db, user_id=BOB)] == ["1", "2"]


async def test_conditions_use_member_facts(db: Database, clock: FakeClock) -> None:
    _, rewards, _ = make(db, clock)
    rewards.facts_provider = lambda g, u: MemberFacts(u, joined_at=clock.now() - timedelta(days=2),
                                                      role_ids=frozenset({42} if u == ALICE else set()))
    await rewards.save_rule(G, rule(name="vip", trigger={"event": "beta_joined"}, role=ROLE,
                                    conditions={"has_role": [42]}), actor_id=None)
    await rewards.save_rule(G, rule(name="veteran", trigger={"event": "beta_joined"}, dm="hi",
                                    conditions={"min_membership_days": 30}), actor_id=None)
    async with db.begin() as conn:
        for user in (ALICE, BOB):
            await rewards.on_event(conn, DomainEvent(G, user, "beta_joined", clock.now()))
    assert [(g.user_id, g.rule_name) for g in await grant_rows(db)] == [(ALICE, "vip")]


async def test_perk_pool_claims_are_unique_under_concurrency(db: Database, clock: FakeClock, db_url: str) -> None:
    _, rewards, _ = make(db, clock)
    await rewards.create_pool(G, "storage", actor_id=None, low_stock_warning=0)
    report, added = await rewards.add_codes(G, "storage", b"ONLY-CODE-1\n", "codes.txt", actor_id=None)
    assert added == 1, report
    await rewards.save_rule(G, rule(name="joiner", trigger={"event": "beta_joined"}, perk_pool="storage",
                                    dm="Code: {code}"), actor_id=None)
    # a second process: its own engine on the same database
    other_db = Database(db_url)
    other = RewardsService(other_db, clock, policy_for=lambda g: OPEN)
    try:
        async def join(service: RewardsService, database: Database, user: int) -> None:
            async with database.begin() as conn:
                if database.is_sqlite:
                    await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await service.on_event(conn, DomainEvent(G, user, "beta_joined", clock.now()))

        await asyncio.gather(join(rewards, db, ALICE), join(other, other_db, BOB))
    finally:
        await other_db.close()
    async with db.connect() as conn:
        assigned = list(await conn.execute(select(perk_codes.c.assigned_to, perk_codes.c.grant_id)
                                           .where(perk_codes.c.assigned_to.is_not(None))))
    assert len(assigned) == 1
    assert len(await grant_rows(db, action="perk")) == 2  # the other waits for stock


async def test_add_codes_is_all_or_nothing(db: Database, clock: FakeClock) -> None:
    _, rewards, _ = make(db, clock)
    await rewards.create_pool(G, "storage", actor_id=None)
    report, added = await rewards.add_codes(G, "storage", b"GOOD-CODE-1\nbad code!\nGOOD-CODE-1\n", "c.txt",
                                            actor_id=None)
    assert added == 0
    assert len(report.invalid) == 1 and len(report.duplicates) == 1
    assert "GOOD-CODE-1" not in " ".join(report.invalid + report.duplicates)  # masked
    report, added = await rewards.add_codes(G, "storage", b"code,expires\nGOOD-CODE-1,2030-01-31\nGOOD-CODE-2\n",
                                            "c.csv", actor_id=None)
    assert added == 2, report
    report, added = await rewards.add_codes(G, "storage", b"GOOD-CODE-2\nGOOD-CODE-3\n", "c.txt", actor_id=None)
    assert added == 0 and len(report.duplicates) == 1


async def test_an_upload_at_the_code_cap_imports_whole(db: Database, clock: FakeClock) -> None:
    """10,000 codes (the cap per upload): written in batches (bound-parameter limits), in one transaction."""
    _, rewards, _ = make(db, clock)
    await rewards.create_pool(G, "storage", actor_id=None)
    codes = [f"BULK-CODE-{i:06d}" for i in range(10_000)]
    data = "\n".join(codes).encode()
    report, added = await rewards.add_codes(G, "storage", data, "bulk.txt", actor_id=None)
    assert added == 10_000 and report.ok, (report.invalid[:3], report.duplicates[:3])
    report, added = await rewards.add_codes(G, "storage", data[-40:], "tail.txt", actor_id=None)
    assert added == 0 and len(report.duplicates) == 2


def test_parse_codes_size_cap() -> None:
    report = parse_codes(b"A" * (300 * 1024), "big.txt")
    assert not report.ok and "limit" in report.invalid[0]


async def test_per_member_limit_and_budget_hold(db: Database, clock: FakeClock) -> None:
    _, rewards, _ = make(db, clock)
    await rewards.create_pool(G, "storage", actor_id=None, per_member_limit=1, budget=1, low_stock_warning=0)
    await rewards.add_codes(G, "storage", b"CODE-AAA-1\nCODE-AAA-2\nCODE-AAA-3\n", "c.txt", actor_id=None)
    await rewards.save_rule(G, rule(name="featured", trigger={"event": "post_featured"}, perk_pool="storage",
                                    repeatable=True), actor_id=None)
    async with db.begin() as conn:
        for user in (ALICE, ALICE, BOB):
            await rewards.on_event(conn, DomainEvent(G, user, "post_featured", clock.now()))
    perks = await grant_rows(db, action="perk")
    assert [(g.user_id, g.hold) for g in perks] == [(ALICE, None), (BOB, "approval")]
    notices = await grant_rows(db, action="notice")
    assert any(n.payload.get("approve_grant") == perks[1].id for n in notices)
    await rewards.approve(G, perks[1].id, actor_id=9, approve=True)
    bob = (await rewards.claim(ids=[perks[1].id]))[0]
    assert (await rewards.code_for(bob)) is not None


async def test_retroactive_sync_preview_then_apply(db: Database, clock: FakeClock) -> None:
    ledger, rewards, _ = make(db, clock)
    await answers(ledger, ALICE, 3)
    await answers(ledger, BOB, 1)
    await answers(ledger, CAROL, 4)
    await rewards.save_rule(G, rule(name="helper", trigger={"kind": "answer", "count": 3}, role=ROLE),
                            actor_id=None)
    preview = await rewards.preview(G, "helper")
    assert sorted(preview.user_ids) == [ALICE, CAROL]
    assert preview.sentence("role X").startswith("2 members would get role X")
    assert await rewards.apply_sync(G, "helper", actor_id=9) == 2
    assert await rewards.apply_sync(G, "helper", actor_id=9) == 0
    assert (await rewards.preview(G, "helper")).skipped == {"already earned": 2}


async def test_dispatch_transitions_and_stale_claims(db: Database, clock: FakeClock) -> None:
    _, rewards, _ = make(db, clock)
    async with db.begin() as conn:
        gid = await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action="role_add",
                                        payload={"role_id": ROLE, "duration_days": 3}, dedupe_key="t:1",
                                        rule_name="test")
        assert await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action="role_add",
                                         payload={"role_id": ROLE}, dedupe_key="t:1", rule_name="test") is None
    claimed = await rewards.claim()
    assert [g.id for g in claimed] == [gid] and claimed[0].status == "delivering"
    assert await rewards.claim() == []  # claimed: not due again
    await clock.advance(timedelta(minutes=5))  # the claimer crashed: the claim went stale
    again = await rewards.claim()
    assert [g.attempts for g in again] == [2]
    assert await rewards.delivered(again[0])
    assert not await rewards.delivered(again[0])  # finishing twice does nothing
    async with db.connect() as conn:
        timer = (await conn.execute(select(timers).where(timers.c.event == "rewards.expire"))).first()
        row = await repo.grant(conn, gid)
    assert timer is not None and row is not None and row.expires_at == timer.due_at


async def test_an_expiry_removes_the_role_once_unless_it_was_earned_again(db: Database, clock: FakeClock) -> None:
    """The removal and its ``reward.expired`` line come together, once; a role the member holds through another
    grant too stays, and nothing is audited for it (nothing changed)."""
    _, rewards, _ = make(db, clock)
    async with db.begin() as conn:
        for key, payload in (("t:1", {"role_id": ROLE, "duration_days": 3}), ("t:2", {"role_id": ROLE}),
                             ("t:3", {"role_id": ROLE + 1, "duration_days": 3})):
            await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action="role_add", payload=payload,
                                      dedupe_key=key, rule_name="test")
    kept, permanent, temporary = await rewards.claim()
    for grant in (kept, permanent, temporary):
        assert await rewards.delivered(grant)
    await clock.advance(timedelta(days=4))
    assert not await rewards.expire_due(kept.id)  # ROLE is held through the permanent grant as well
    assert await rewards.expire_due(temporary.id)
    assert not await rewards.expire_due(temporary.id)  # the timer again: nothing more
    async with db.connect() as conn:
        expired = (await conn.execute(select(audit_log.c.details).where(audit_log.c.action == "reward.expired")))
        details = [dict(r[0]) for r in expired]
    assert [d["grant"] for d in details] == [temporary.id]
    assert [g.payload["role_id"] for g in await grant_rows(db, action="role_remove")] == [ROLE + 1]


async def test_retry_backs_off_then_fails_with_reason(db: Database, clock: FakeClock) -> None:
    _, rewards, _ = make(db, clock)
    async with db.begin() as conn:
        gid = await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action="dm",
                                        payload={"template": "hi"}, dedupe_key="t:2", rule_name="test")
    for attempt in range(1, 6):
        await clock.advance(timedelta(hours=1))
        (grant,) = await rewards.claim()
        assert grant.attempts == attempt
        await rewards.retry_later(grant, "503 Service Unavailable")
    async with db.connect() as conn:
        row = await repo.grant(conn, gid)
    assert row is not None and row.status == "failed" and "gave up after 5 attempts" in (row.last_error or "")


async def test_demotion_waits_below_the_line_and_cancels_above(db: Database, clock: FakeClock) -> None:
    ledger, rewards, _ = make(db, clock)
    await rewards.save_rule(G, rule(name="star", trigger={"points": 30}, role=ROLE, demote=True), actor_id=None)
    await answers(ledger, ALICE, 3)  # 30 points
    (grant,) = await grant_rows(db, user_id=ALICE)
    (claimed,) = await rewards.claim()
    await rewards.delivered(claimed)
    async with db.connect() as conn:
        rows = list(await conn.execute(select(grants.c.id, grants.c.payload).where(grants.c.user_id == ALICE)))
        first = (await conn.execute(select(func.min(grants.c.id)))).scalar_one()
    assert rows
    from bot.ledger import store as ledger_repo

    async with db.connect() as conn:
        contribution_ids = [r.id for r in await ledger_repo.history(conn, G, ALICE, limit=10)]
    await ledger.reverse(G, contribution_ids[0], actor_id=9, reason="spam")  # 20 points < 27
    async with db.connect() as conn:
        pending = list(await conn.execute(select(timers.c.due_at).where(timers.c.event == "rewards.demote",
                                                                        timers.c.status == "pending")))
    assert [p.due_at for p in pending] == [clock.now() + timedelta(days=14)]
    await answers(ledger, ALICE, 1, start=10)  # back to 30
    async with db.connect() as conn:
        left = (await conn.execute(select(func.count()).select_from(timers).where(
            timers.c.event == "rewards.demote", timers.c.status == "pending"))).scalar_one()
    assert left == 0
    assert first == grant.id
    assert not await rewards.demote_due(grant.id)  # above the line: nothing happens


async def test_a_later_role_removal_ends_the_earned_role(db: Database, clock: FakeClock) -> None:
    """A cohort role taken back (e.g. on leaving a beta) is no longer "earned": reconciliation must not
    report it as drift, and a rejoin must not restore it. Earning it again counts again."""
    _, rewards, _ = make(db, clock)

    async def deliver(action: str, key: str) -> None:
        async with db.begin() as conn:
            await rewards.queue_grant(conn, guild_id=G, user_id=ALICE, action=action, payload={"role_id": ROLE},
                                      dedupe_key=key, rule_name="beta:test")
        for grant in await rewards.claim():
            assert await rewards.delivered(grant)

    await deliver("role_add", "beta:1:add")
    assert [g.action for g in await rewards.earned_roles(G, user_id=ALICE)] == ["role_add"]
    await deliver("role_remove", "beta:1:remove")
    assert await rewards.earned_roles(G, user_id=ALICE) == []
    await deliver("role_add", "beta:1:add-again")
    assert len(await rewards.earned_roles(G, user_id=ALICE)) == 1
