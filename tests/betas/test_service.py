"""The beta service on both backends: capacity under concurrency, FIFO waitlist, eligibility, budget, close."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.betas import BetaDraft, BetaPolicy, BetaService, Eligibility, MemberFacts, parse_when
from bot.feedback.tables import feedback
from bot.ledger import LedgerPolicy, LedgerService
from bot.ledger.tables import contributions
from bot.platform.clock import FakeClock
from bot.platform.config import RewardConfig
from bot.platform.db import Database
from bot.platform.errors import Conflict, InvalidInput, LimitReached, NotAllowed
from bot.platform.jobs.scheduler import TimerScheduler
from bot.platform.tables import timers
from bot.rewards import RewardsService
from bot.rewards import store as rewards_repo
from bot.rewards.tables import grants

G = 100
STAFF = 9
CHANNEL = 700
ROLE = 555
OPEN = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0)


class Env:
    def __init__(self, db: Database, clock: FakeClock, policy: BetaPolicy | None = None) -> None:
        self.db, self.clock = db, clock
        self.scheduler = TimerScheduler(db, clock)
        self.rewards = RewardsService(db, clock, policy_for=lambda g: OPEN, schedule=self.scheduler.schedule)
        self.ledger = LedgerService(db, clock, lambda g: OPEN, on_change=self.rewards.on_contribution)
        self.events: list[tuple[str, int, dict[str, Any]]] = []
        self.policy = policy or BetaPolicy(per_channel_per_day=2, per_channel_per_week=3)
        self.svc = BetaService(db, clock, self.ledger, self.rewards, lambda g: self.policy, emit=self.emit,
                               schedule=self.scheduler.schedule)

    async def emit(self, conn: AsyncConnection, name: str, guild_id: int, user_id: int, data: dict[str, Any]) -> None:
        self.events.append((name, user_id, data))
        from bot.platform.events import DomainEvent

        await self.rewards.on_event(conn, DomainEvent(guild_id, user_id, name, self.clock.now(), data))

    async def open_beta(self, **kw: Any) -> int:
        draft = BetaDraft(name=kw.pop("name", "Photos v2"), channel_id=CHANNEL, **kw)
        beta = await self.svc.create(G, STAFF, draft)
        slot = await self.svc.reserve_slot(G, CHANNEL, subject="beta", subject_id=beta.id, actor_id=STAFF)
        await self.svc.mark_posted(slot.announcement_id, message_id=1, thread_id=2)
        return beta.id

    async def grants(self, **where: Any) -> list[rewards_repo.Grant]:
        async with self.db.connect() as conn:
            stmt = select(grants).where(grants.c.user_id != 0)
            for key, value in where.items():
                stmt = stmt.where(grants.c[key] == value)
            return [rewards_repo._grant(r) for r in await conn.execute(stmt.order_by(grants.c.id))]


@pytest.fixture
def env(db: Database, clock: FakeClock) -> Env:
    return Env(db, clock)


def facts(user: int, **kw: Any) -> MemberFacts:
    return MemberFacts(user, **kw)


async def test_capacity_is_never_exceeded_under_concurrent_joins(env: Env) -> None:
    beta_id = await env.open_beta(capacity=10, cohort_role_id=ROLE)
    users = list(range(1000, 1050))
    results = await asyncio.gather(*(env.svc.join(G, beta_id, facts(u)) for u in users))
    statuses = [r.status for r in results]
    assert statuses.count("joined") == 10 and statuses.count("waitlisted") == 40
    beta = await env.svc.get(G, beta_id)
    assert (beta.joined, beta.waitlisted, beta.spots_left) == (10, 40, 0)
    positions = sorted(r.position for r in results if r.status == "waitlisted")
    assert positions == list(range(1, 41))
    roles = await env.grants(action="role_add")
    assert len(roles) == 10 and all(g.payload == {"role_id": ROLE} for g in roles)
    async with env.db.connect() as conn:
        credited = (await conn.execute(select(func.count()).select_from(contributions)
                                       .where(contributions.c.kind == "beta"))).scalar_one()
    assert credited == 10
    assert [e[0] for e in env.events] == ["beta_joined"] * 10


async def test_leave_promotes_the_first_of_the_waitlist_with_a_dm(env: Env) -> None:
    beta_id = await env.open_beta(capacity=2, cohort_role_id=ROLE)
    for u in (1, 2, 3, 4):
        await env.svc.join(G, beta_id, facts(u))
        env.clock._now += timedelta(seconds=1)
    left = await env.svc.leave(G, beta_id, 1)
    assert left.promoted == (3,)
    assert (left.beta.joined, left.beta.waitlisted) == (2, 1)
    dms = await env.grants(action="dm", user_id=3)
    assert len(dms) == 1 and "spot opened" in dms[0].payload["template"]
    assert [g.action for g in await env.grants(user_id=1)] == ["role_add", "role_remove"]
    assert [g.action for g in await env.grants(user_id=3)] == ["role_add", "dm"]
    # a waitlisted member leaving promotes nobody; joining twice changes nothing
    assert (await env.svc.leave(G, beta_id, 4)).promoted == ()
    again = await env.svc.join(G, beta_id, facts(2))
    assert again.status == "already_joined" and not again.changed
    with pytest.raises(Conflict, match="not in"):
        await env.svc.leave(G, beta_id, 4)


async def test_rejoining_gives_the_role_again_but_credits_once(env: Env) -> None:
    beta_id = await env.open_beta(cohort_role_id=ROLE)
    await env.svc.join(G, beta_id, facts(1))
    await env.svc.leave(G, beta_id, 1)
    env.clock._now += timedelta(seconds=300)  # the rejoin cooldown (betas.rejoin_cooldown_seconds)
    await env.svc.join(G, beta_id, facts(1))
    assert [g.action for g in await env.grants(user_id=1)] == ["role_add", "role_remove", "role_add"]
    async with env.db.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(contributions))).scalar_one()
    assert rows == 1 and len(env.events) == 1


async def test_rejoining_within_the_cooldown_is_refused_with_when(env: Env) -> None:
    beta_id = await env.open_beta(cohort_role_id=ROLE)
    await env.svc.join(G, beta_id, facts(1))
    left = await env.svc.leave(G, beta_id, 1)
    env.clock._now += timedelta(seconds=299)
    again_at = int((env.clock.now() + timedelta(seconds=1)).timestamp())
    for attempt in (env.svc.check_join, env.svc.join):
        with pytest.raises(NotAllowed, match=f"You left the .* a moment ago. You can join again <t:{again_at}:R>"):
            await attempt(G, beta_id, facts(1))
    assert [g.action for g in await env.grants(user_id=1)] == ["role_add", "role_remove"]
    env.clock._now += timedelta(seconds=1)
    assert (await env.svc.join(G, beta_id, facts(1))).status == "joined"
    assert left.beta.joined == 0


async def test_participation_reward_fires_on_join(env: Env) -> None:
    await env.rewards.save_rule(G, RewardConfig.model_validate(
        {"name": "joiner", "trigger": {"event": "beta_joined"}, "dm": "Thanks for joining {beta}!"}), actor_id=None)
    beta_id = await env.open_beta()
    await env.svc.join(G, beta_id, facts(7))
    rule_dm = [g for g in await env.grants(user_id=7) if g.rule_name == "joiner"]
    assert len(rule_dm) == 1 and rule_dm[0].payload["context"]["beta"] == "Photos v2"


@pytest.mark.parametrize(("rules", "member", "reason"), [
    (Eligibility(min_points=50), {}, "at least 50 points; you have 0"),
    (Eligibility(role_id=42), {"role_ids": frozenset({1})}, "<@&42> role"),
    (Eligibility(account_age_days=30), {"account_created_at": "5d"}, "at least 30 days old"),
    (Eligibility(stage="collaborator"), {}, "from the **collaborator** stage"),
])
async def test_eligibility_refusals_give_the_reason(env: Env, rules: Eligibility, member: dict[str, Any],
                                                   reason: str) -> None:
    if member.get("account_created_at"):
        member = {**member, "account_created_at": env.clock.now() - timedelta(days=5)}
    beta_id = await env.open_beta(eligibility=rules)
    with pytest.raises(NotAllowed, match=r".*" + reason.replace("*", r"\*").replace("(", r"\(")):
        await env.svc.join(G, beta_id, facts(5, **member))
    with pytest.raises(NotAllowed):
        await env.svc.check_join(G, beta_id, facts(5, **member))


async def test_eligible_member_passes_points_and_role(env: Env) -> None:
    beta_id = await env.open_beta(eligibility=Eligibility(min_points=10, role_id=42))
    await env.ledger.credit(G, 5, "answer", source_key="a:1", actor_id=None)
    result = await env.svc.join(G, beta_id, facts(5, role_ids=frozenset({42})))
    assert result.status == "joined"


async def test_terms_must_be_accepted(env: Env) -> None:
    beta_id = await env.open_beta(terms="Keep it confidential")
    with pytest.raises(NotAllowed, match="accept the terms"):
        await env.svc.join(G, beta_id, facts(5))
    assert (await env.svc.join(G, beta_id, facts(5), terms_accepted=True)).status == "joined"
    people = await env.svc.participants(G, beta_id)
    assert people[0].terms_accepted_at is not None


async def test_full_without_waitlist_is_refused(env: Env) -> None:
    beta_id = await env.open_beta(capacity=1, waitlist=False)
    await env.svc.join(G, beta_id, facts(1))
    with pytest.raises(Conflict, match="full .* no waitlist"):
        await env.svc.join(G, beta_id, facts(2))


async def test_bad_input(env: Env) -> None:
    now = env.clock.now()
    with pytest.raises(InvalidInput, match="capacity must be at least 1"):
        await env.svc.create(G, STAFF, BetaDraft(name="x", capacity=0))
    with pytest.raises(InvalidInput, match="end date is in the past"):
        await env.svc.create(G, STAFF, BetaDraft(name="x", ends_at=now - timedelta(days=1)))
    with pytest.raises(InvalidInput, match="after the start"):
        await env.svc.create(G, STAFF, BetaDraft(name="x", starts_at=now + timedelta(days=3),
                                                 ends_at=now + timedelta(days=2)))
    with pytest.raises(InvalidInput, match="Unknown ladder stage"):
        await env.svc.create(G, STAFF, BetaDraft(name="x", eligibility=Eligibility(stage="wizard")))
    await env.svc.create(G, STAFF, BetaDraft(name="Taken"))
    with pytest.raises(Conflict, match="already exists"):
        await env.svc.create(G, STAFF, BetaDraft(name="taken"))
    assert len(await env.svc.all(G)) == 1


def test_parse_when() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert parse_when("3d", now, what="end date") == now + timedelta(days=3)
    assert parse_when("2026-03-05", now, what="end date") == datetime(2026, 3, 5, tzinfo=UTC)
    assert parse_when("2026-03-05T18:30", now, what="x") == datetime(2026, 3, 5, 18, 30, tzinfo=UTC)
    assert parse_when("2026-03-05T18:30+02:00", now, what="x") == datetime(2026, 3, 5, 16, 30, tzinfo=UTC)
    assert parse_when("", now, what="x") is None
    with pytest.raises(InvalidInput, match="can't read the end date"):
        parse_when("next tuesday", now, what="end date")


async def test_broadcast_budget_refuses_with_the_next_slot(env: Env, clock: FakeClock) -> None:
    clock._now = datetime(2026, 3, 4, 10, tzinfo=UTC)  # a Wednesday
    for name in ("a", "b"):
        await env.open_beta(name=name)
    third = await env.svc.create(G, STAFF, BetaDraft(name="c"))
    with pytest.raises(LimitReached) as refused:
        await env.svc.reserve_slot(G, CHANNEL, subject="beta", subject_id=third.id, actor_id=STAFF)
    tomorrow = datetime(2026, 3, 5, tzinfo=UTC)
    assert f"<t:{int(tomorrow.timestamp())}:f>" in refused.value.message
    assert "at most 2 a day and 3 a week" in refused.value.message
    # scheduled for tomorrow: fits (the week's 3rd); then the week is full until Monday
    slot = await env.svc.reserve_slot(G, CHANNEL, subject="beta", subject_id=third.id, actor_id=STAFF, at=tomorrow)
    assert slot.scheduled and slot.at == tomorrow
    fourth = await env.svc.create(G, STAFF, BetaDraft(name="d"))
    with pytest.raises(LimitReached) as week:
        await env.svc.reserve_slot(G, CHANNEL, subject="beta", subject_id=fourth.id, actor_id=STAFF,
                                   at=datetime(2026, 3, 6, tzinfo=UTC))
    monday = datetime(2026, 3, 9, tzinfo=UTC)
    assert f"<t:{int(monday.timestamp())}:f>" in week.value.message
    # another channel has its own budget
    other = await env.svc.reserve_slot(G, CHANNEL + 1, subject="beta", subject_id=fourth.id, actor_id=STAFF)
    assert not other.scheduled
    async with env.db.connect() as conn:
        pending = (await conn.execute(select(func.count()).select_from(timers)
                                      .where(timers.c.event == "betas.announce",
                                             timers.c.due_at > clock.now()))).scalar_one()
        # the slots taken for now are posted by their job too, due at once
        now_jobs = (await conn.execute(select(func.count()).select_from(timers)
                                       .where(timers.c.event == "betas.announce",
                                              timers.c.due_at <= clock.now()))).scalar_one()
    assert pending == 1
    assert now_jobs == 3


async def test_reminder_and_nudge_are_queued_once(env: Env, clock: FakeClock) -> None:
    beta_id = await env.open_beta(ends_at=clock.now() + timedelta(days=2))
    await env.svc.join(G, beta_id, facts(1))
    await env.svc.join(G, beta_id, facts(2))
    await env.svc.set_reminders(G, beta_id, 2, False)
    assert await env.svc.remind(beta_id) == 1
    assert await env.svc.remind(beta_id) == 0
    assert await env.svc.nudge(beta_id, 1) is True
    assert await env.svc.nudge(beta_id, 1) is False
    assert await env.svc.nudge(beta_id, 2) is False  # muted
    async with env.db.connect() as conn:
        pending = sorted(r[0] for r in await conn.execute(select(timers.c.event).where(timers.c.status == "pending")))
    # the two joins' announcement edit: one job, pending (it reads the beta when it runs)
    assert pending.count("betas.refresh") == 1
    events = [e for e in pending if e != "betas.refresh"]
    # nudges would come after the end: not scheduled (the reply count of the discussion thread is)
    assert events == ["announce.replies", "betas.close", "betas.remind"]


async def test_close_thanks_swaps_roles_bonus_and_summary(env: Env) -> None:
    env.policy = BetaPolicy(feedback_bonus_points=5)
    beta_id = await env.open_beta(capacity=1, cohort_role_id=ROLE)
    await env.svc.join(G, beta_id, facts(1))
    await env.svc.join(G, beta_id, facts(2))  # waitlisted
    now = env.clock.now()
    async with env.db.begin() as conn:
        await conn.execute(feedback.insert().values(guild_id=G, beta_id=beta_id, reporter_id=1, type="bug",
                                                    title="t", status="new", created_at=now, updated_at=now))
    result = await env.svc.close(G, beta_id, actor_id=STAFF, alumni_role_id=777)
    assert result.participants == (1,)
    mine = [(g.action, g.payload.get("role_id") or g.payload.get("points")) for g in await env.grants(user_id=1)]
    assert ("dm", None) in mine and ("role_remove", ROLE) in mine and ("role_add", 777) in mine
    assert ("points", 5) in mine
    # the waitlisted member gets only the "closed before a spot opened up" DM (#20 item 6: they heard nothing)
    waiting = await env.grants(user_id=2)
    assert [(g.action, g.payload["template"]) for g in waiting] == [("dm", BetaPolicy().waitlist_closed)]
    assert "Joined: 1" in result.summary and "Bug 1 (New 1)" in result.summary and "<@1> (1)" in result.summary
    with pytest.raises(Conflict, match="closed already"):
        await env.svc.close(G, beta_id, actor_id=STAFF)
    with pytest.raises(NotAllowed, match="closed"):
        await env.svc.join(G, beta_id, facts(3))
    async with env.db.connect() as conn:
        pending = (await conn.execute(select(func.count()).select_from(timers)
                                      .where(timers.c.status == "pending", timers.c.event.like("betas.%"),
                                             timers.c.event != "betas.refresh"))).scalar_one()
        notices = (await conn.execute(select(func.count()).select_from(grants)
                                      .where(grants.c.action == "notice"))).scalar_one()
        # what is left is the announcement's one edit, which shows the beta closed
        edits = (await conn.execute(select(func.count()).select_from(timers)
                                    .where(timers.c.status == "pending", timers.c.event == "betas.refresh"))).scalar_one()
    assert pending == 0 and notices == 1
    assert edits == 1


async def test_edit_capacity_promotes_and_refuses_below_joined(env: Env) -> None:
    beta_id = await env.open_beta(capacity=1)
    await env.svc.join(G, beta_id, facts(1))
    await env.svc.join(G, beta_id, facts(2))
    beta, promoted = await env.svc.edit(G, beta_id, STAFF, capacity=2)
    assert promoted == (2,) and beta.joined == 2
    with pytest.raises(InvalidInput, match="can't go below"):
        await env.svc.edit(G, beta_id, STAFF, capacity=1)


async def test_export_csv(env: Env) -> None:
    beta_id = await env.open_beta(capacity=1)
    await env.svc.join(G, beta_id, facts(1))
    await env.svc.join(G, beta_id, facts(2))
    data = (await env.svc.export_csv(G, beta_id, {1: "alice"})).decode()
    lines = data.strip().splitlines()
    assert lines[0].startswith("user_id,name,status")
    assert lines[1].startswith("1,alice,joined,1,") and lines[2].startswith("2,,waitlisted,2,")
