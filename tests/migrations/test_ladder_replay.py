"""Migration 0011's frozen ladder replay (migrations/_ladder.py) gives what the application's code gives
(bot.ledger): the same stages, moves and ladder key, on generated rows and on a ledger the application
wrote (credits, probation holds released late, reversals, rows at equal times), migrated on SQLite and
PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import migrations._ladder as frozen
from bot.ledger import KINDS, LedgerPolicy, LedgerService, default_ladder, stages
from bot.ledger import stages_store as repo
from bot.ledger.tables import contributions
from bot.platform.clock import FakeClock
from bot.platform.db import Database, migrate

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
LADDERS = [{}, {"curator_min_points": 0}, {"curator_min_points": 20, "collaborator_min_answers": 1},
           {"curator_min_points": 250, "collaborator_min_answers": 8}]


def _as_tuple(done: Any) -> Any:
    return None if done is None else (done.stage, done.since, done.moves)


def test_the_frozen_ladder_is_the_applications() -> None:
    assert frozen.KINDS == KINDS
    for params in LADDERS:
        assert frozen.ladder_key(frozen.default_ladder(**params)) == stages.ladder_key(default_ladder(**params))
        assert repr(frozen.default_ladder(**params)) == repr(default_ladder(**params))
    later = T0 + timedelta(days=2)
    for created, held in ((T0, None), (T0, later), (later, T0), (T0, T0)):
        assert frozen.counted_at(created, held) == stages.counted_at(created, held)


ROWS = st.lists(st.tuples(st.sampled_from((*KINDS, "feedback")),  # "feedback": a kind no ladder names
                          st.integers(-15, 25), st.booleans(), st.integers(0, 3)), max_size=60)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(rows=ROWS, ladder=st.sampled_from(range(len(LADDERS))))
def test_replay_of_generated_rows(rows: list[tuple[str, int, bool, int]], ladder: int) -> None:
    at, timed = T0, []
    for kind, points, reversal, gap in rows:  # counting order; equal times happen
        at += timedelta(hours=gap)
        timed.append((kind, points, reversal, at))
    app = stages.replay(default_ladder(**LADDERS[ladder]), timed)
    assert _as_tuple(frozen.replay(frozen.default_ladder(**LADDERS[ladder]), timed)) == _as_tuple(app)
    compiled = frozen.CompiledLadder(frozen.default_ladder(**LADDERS[ladder]))
    assert _as_tuple(frozen.replay(compiled, timed)) == _as_tuple(app)


POLICY = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0, probation_days=2)
GUILDS = (501, 502)
USERS = [340000000000000000 + i for i in range(1, 31)]
NEWCOMERS = set(USERS[::4])  # joined just now: their credits are held for two days of probation


async def _write_a_ledger(db: Database, clock: FakeClock) -> None:
    """A few hundred operations of the application's ledger, from a fixed seed."""
    rng = random.Random(11)
    ledger = LedgerService(db, clock, lambda _g: POLICY)
    written: dict[int, list[int]] = {g: [] for g in GUILDS}
    for n in range(420):
        guild = rng.choice(GUILDS)
        roll = rng.random()
        if roll < 0.1 and written[guild]:
            await ledger.reverse(guild, rng.choice(written[guild]), actor_id=USERS[0], reason="test")
        elif roll < 0.14:
            await ledger.release_pending(guild)
        else:
            user = rng.choice(USERS[:4] if rng.random() < 0.5 else USERS)  # a few busy members, many occasional
            kind = rng.choice((*KINDS, "answer", "answer", "answer"))
            actor = rng.choice([u for u in USERS if u != user])
            joined = clock.now() - timedelta(hours=1) if user in NEWCOMERS and n < 300 else None
            result = await ledger.credit(guild, user, kind, source_key=f"s{n}", actor_id=actor, thread_id=n,
                                         member_joined_at=joined, strict=False,
                                         points=rng.choice((None, None, 1, 40)))
            if result.contribution_id is not None:
                written[guild].append(result.contribution_id)
        if rng.random() < 0.6:  # else the next row has the same time
            await clock.advance(timedelta(minutes=rng.choice((1, 30, 240, 1500))))
    await clock.advance(timedelta(days=3))
    for guild in GUILDS:
        await ledger.release_pending(guild)  # later than the holds ended: counted from the end of the hold


async def _stages(db: Database) -> dict[int, Any]:
    async with db.connect() as conn:
        return {g: (await repo.all_stages(conn, g), await repo.all_moves(conn, g), await repo.ladder_of(conn, g))
                for g in GUILDS}


async def test_migration_replays_a_real_ledger_as_the_application(db_url: str) -> None:
    clock = FakeClock(T0)
    db = Database(db_url)
    try:
        await migrate.upgrade(db)
        await _write_a_ledger(db, clock)
        async with db.begin() as conn:  # the application's from-scratch replay (its rebuild)
            for guild in GUILDS:
                await stages.rebuild(conn, guild, default_ladder(), clock.now())
        by_app = await _stages(db)
        async with db.connect() as conn:  # rows counted from the end of a hold are part of it
            held = await conn.scalar(select(func.count()).select_from(contributions).where(
                contributions.c.status == "counted", contributions.c.held_until > contributions.c.created_at))
        assert held and held > 20

        await migrate.downgrade(db, "0010")  # drops the stage tables (0011, and the merge above it)
        assert "0011" not in await migrate.current_revisions(db)
        await migrate.upgrade(db)  # 0011 replays the ledger with the frozen copy
        by_migration = await _stages(db)
    finally:
        await db.close()

    assert by_migration == by_app
    # the ledger exercised the replay: every stage, moves down, several moves per member
    stages_seen = {stage for g in GUILDS for stage, _ in by_app[g][0].values()}
    moves = [m for g in GUILDS for member in by_app[g][1].values() for m in member]
    assert stages_seen == {0, 1, 2, 3} and any(a > b for a, b, _ in moves)
    assert max(len(member) for g in GUILDS for member in by_app[g][1].values()) >= 3
    assert sum(len(by_app[g][0]) for g in GUILDS) > 40
    assert by_app[GUILDS[0]][2] == frozen.ladder_key(frozen.default_ladder())
