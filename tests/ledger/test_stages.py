"""Ladder stages kept by the ledger (member_stages, stage_moves) equal a from-scratch recomputation from the ledger,
on both backends, through credits, reversals, probation releases, a season change, a data erasure and a change of
the configured ladder; /profile shows the same stage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.ledger import LedgerPolicy, LedgerService, Season, default_ladder, stages
from bot.ledger import stages_store as repo
from bot.ledger.tables import contributions
from bot.platform.clock import FakeClock
from bot.platform.db import Database, migrate
from bot.platform.tables import guilds, members
from bot.privacy import PrivacyService
from bot.schema import PERSONAL_DATA
from tests.platform.races import ok, race

G = 200
A, B, C, D = 320000000000000001, 320000000000000002, 320000000000000003, 320000000000000004
STAFF = 320000000000000009
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SEASONS = (Season("s1", T0 - timedelta(days=30), T0 + timedelta(days=10)),
           Season("s2", T0 + timedelta(days=10), T0 + timedelta(days=60)))
POLICY = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0, seasons=SEASONS)
CONSUMER, CURATOR, CREATOR, COLLABORATOR = range(4)


async def recomputed(db: Database, guild_id: int, policy: LedgerPolicy) -> dict[int, stages.Replayed]:
    """Every member's stage history replayed from the guild's counted ledger rows, ignoring the stored tables."""
    async with db.connect() as conn:
        rows = await conn.execute(
            select(contributions.c.user_id, contributions.c.kind, contributions.c.points,
                   contributions.c.reverses_id, contributions.c.created_at, contributions.c.held_until,
                   contributions.c.id)
            .where(contributions.c.guild_id == guild_id, contributions.c.status == "counted"))
        per_member: dict[int, list[tuple[datetime, int, str, int, bool]]] = {}
        for user, kind, points, rev, created, held, row_id in rows:
            per_member.setdefault(user, []).append((stages.counted_at(created, held), row_id, kind, points,
                                                    rev is not None))
    out = {}
    for user, entries in per_member.items():
        entries.sort()
        done = stages.replay(policy.ladder, [(k, p, r, at) for at, _, k, p, r in entries])
        assert done is not None
        out[user] = done
    return out


async def assert_consistent(db: Database, ledger: LedgerService, guild_id: int, policy: LedgerPolicy) -> None:
    expected = await recomputed(db, guild_id, policy)
    async with db.connect() as conn:
        stored = await repo.all_stages(conn, guild_id)
        moves = await repo.all_moves(conn, guild_id)
    assert stored == {u: (r.stage, r.since) for u, r in expected.items()}
    assert moves == {u: r.moves for u, r in expected.items() if r.moves}
    names = [s.name for s in policy.ladder]
    for user, (stage, _) in stored.items():
        assert (await ledger.profile(guild_id, user, receipts=0)).stage == names[stage]


async def test_stages_follow_the_ledger_and_match_a_recomputation(db: Database) -> None:
    clock = FakeClock(T0)
    policy = POLICY
    held = replace(POLICY, probation_days=3)
    current = {"policy": policy}
    ledger = LedgerService(db, clock, lambda _g: current["policy"])
    async with db.begin() as conn:
        await conn.execute(insert(guilds).values(id=G, name="g", joined_at=T0))
        await conn.execute(insert(members).values(guild_id=G, user_id=D, first_seen_at=T0,
                                                  joined_at=T0 + timedelta(days=10)))

    await ledger.credit(G, A, "curation", source_key="cur:a", actor_id=STAFF)  # A: curator
    await ledger.credit(G, B, "thanks", source_key="thx:b", actor_id=A)  # B: consumer with a ledger row
    await clock.advance(timedelta(days=1))
    made = await ledger.credit(G, A, "creation", source_key="cre:a", actor_id=None)  # A: creator
    for i in range(5):
        await ledger.credit(G, C, "answer", source_key=f"ans:c{i}", actor_id=None, thread_id=i)  # 50 points
    await ledger.credit(G, C, "feedback_given", source_key="fb:c", actor_id=None)
    await ledger.credit(G, C, "creation", source_key="cre:c", actor_id=None)  # C: collaborator
    await assert_consistent(db, ledger, G, policy)

    # A reversal takes A back down to curator; the season changes (stages are all-time: nothing moves)
    await clock.advance(timedelta(days=10))
    assert made.contribution_id is not None
    await ledger.reverse(G, made.contribution_id, actor_id=STAFF, reason="not original")
    await ledger.credit(G, B, "thanks", source_key="thx:b2", actor_id=C)
    async with db.connect() as conn:
        assert await repo.moves_of(conn, G, A) == [(CONSUMER, CURATOR, T0), (CURATOR, CREATOR, T0 + timedelta(days=1)),
                                                   (CREATOR, CURATOR, T0 + timedelta(days=11))]
        assert await repo.stage_of(conn, G, C) == COLLABORATOR
    await assert_consistent(db, ledger, G, policy)
    # /profile shows the stored stage and when it was reached (the lowest stage has no date)
    profile_a = await ledger.profile(G, A, receipts=0)
    assert (profile_a.stage, profile_a.stage_since) == ("curator", T0 + timedelta(days=11))
    assert (await ledger.profile(G, B, receipts=0)).stage_since is None

    # probation: D (joined at day 10) gets a curation held until day 13; released at day 16, it moves D as of
    # the end of the hold
    current["policy"] = held
    pending = await ledger.credit(G, D, "curation", source_key="cur:d", actor_id=STAFF)
    assert pending.status == "pending"
    async with db.connect() as conn:
        assert await repo.stage_of(conn, G, D) is None
    await clock.advance(timedelta(days=5))
    assert await ledger.release_pending(G) == 1
    async with db.connect() as conn:
        assert await repo.moves_of(conn, G, D) == [(CONSUMER, CURATOR, T0 + timedelta(days=13))]
    await assert_consistent(db, ledger, G, held)

    # erasure: C's stage and moves stay in the aggregates, under the pseudonym
    privacy = PrivacyService(db, clock, retention_days=lambda _g: 0, personal_data=PERSONAL_DATA)
    erased = await privacy.forget(G, C)
    async with db.connect() as conn:
        assert await repo.stage_of(conn, G, C) is None and await repo.moves_of(conn, G, C) == []
        assert await repo.stage_of(conn, G, erased.pseudonym) == COLLABORATOR
        assert await repo.members_per_stage(conn, G) == {CONSUMER: 1, CURATOR: 2, COLLABORATOR: 1}
    await assert_consistent(db, ledger, G, held)


async def test_a_changed_ladder_is_rebuilt_before_it_is_read(db: Database) -> None:
    clock = FakeClock(T0)
    strict = replace(POLICY, ladder=default_ladder(curator_min_points=20))
    current = {"policy": POLICY}
    ledger = LedgerService(db, clock, lambda _g: current["policy"])
    await ledger.credit(G, A, "answer", source_key="ans:1", actor_id=None, thread_id=1)
    await ledger.credit(G, A, "answer", source_key="ans:2", actor_id=None, thread_id=2)  # 20 points
    assert not await stages.ensure_current(db, G, POLICY.ladder, clock.now())  # kept up to date already
    async with db.connect() as conn:
        assert await repo.stage_of(conn, G, A) == CONSUMER

    # the guild's config now makes 20 points a curator: writes leave the stale stages alone until the rebuild
    current["policy"] = strict
    await clock.advance(timedelta(hours=1))
    await ledger.credit(G, B, "thanks", source_key="thx:1", actor_id=A)
    async with db.connect() as conn:
        assert await repo.stage_of(conn, G, B) is None
    # at start the bot rebuilds every guild whose ladder changed (here: G)
    assert await stages.ensure_all_current(db, lambda _g: strict.ladder, clock.now()) == [G]
    async with db.connect() as conn:
        assert await repo.moves_of(conn, G, A) == [(CONSUMER, CURATOR, T0)]
        assert await repo.stage_of(conn, G, B) == CONSUMER
    await assert_consistent(db, ledger, G, strict)
    assert not await stages.ensure_current(db, G, strict.ladder, clock.now())


async def test_a_rebuild_racing_a_credit_keeps_the_credit(db_url: str) -> None:
    """Two processes: one rebuilds the stages for a changed ladder while the other credits a member. The rebuild
    holds the guild's ``stage_ladders`` row (``FOR UPDATE``); the credit's ``track`` waits on it (``FOR SHARE``),
    then tracks the member on the new ladder — the rebuild could not see the uncommitted row. (On PostgreSQL the
    ledger's empty ``lock_for_write`` serializes nothing: this row lock is what makes it safe.)"""
    clock = FakeClock(T0)
    strict = replace(POLICY, ladder=default_ladder(curator_min_points=20))
    db = Database(db_url)
    await migrate.upgrade(db)
    try:
        ledger = LedgerService(db, clock, lambda _g: POLICY)
        await ledger.credit(G, A, "answer", source_key="ans:1", actor_id=None, thread_id=1)
        await ledger.credit(G, A, "answer", source_key="ans:2", actor_id=None, thread_id=2)
        await clock.advance(timedelta(hours=1))

        async def rebuild(d: Database) -> bool:
            return await stages.ensure_current(d, G, strict.ladder, clock.now())

        async def credit(d: Database) -> None:  # a process already running with the new config
            await LedgerService(d, clock, lambda _g: strict).credit(G, B, "answer", source_key="ans:3",
                                                                    actor_id=None, thread_id=3)

        # PostgreSQL: the rebuild holds the ladder row and waits to clear member_stages, then the credit waits
        results = await race(db_url, "member_stages", rebuild, credit, staggered=True)
        assert ok(results) == [True, None]
        async with db.connect() as conn:
            assert await repo.stage_of(conn, G, B) == CONSUMER
            assert await repo.moves_of(conn, G, A) == [(CONSUMER, CURATOR, T0)]
        await assert_consistent(db, LedgerService(db, clock, lambda _g: strict), G, strict)
    finally:
        await db.close()
