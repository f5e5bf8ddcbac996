"""Migration 0010: ledger rows of the old kind ``feedback`` are re-kinded by source key and the per-kind
aggregates split in the same upgrade, on both backends, whichever order 0007 (period rows) and 0010 run in."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from bot.ledger import LedgerPolicy, LedgerService
from bot.ledger.store import ALL_KINDS, ALL_TIME, bump_stats, period_keys
from bot.ledger.tables import contributions, member_stats
from bot.platform.clock import FakeClock
from bot.platform.db import Database, migrate
from bot.rewards.tables import reward_rules

G, ALICE, BOB, STAFF = 1, 10, 20, 99
T0 = datetime(2026, 3, 30, 12, tzinfo=UTC)  # a Monday; the rows below span several weeks and months

# (user, source key, points, status, days after T0, season, reverses: index of the reversed row or None)
OLD_ROWS: list[tuple[int, str, int, str, int, str, int | None]] = [
    (ALICE, "feedback:1", 5, "counted", 0, "s1", None),
    (ALICE, "feedback:1:heard", 3, "counted", 1, "s1", None),
    (ALICE, "feedback:1:shipped", 10, "counted", 40, "", None),
    (ALICE, "feedback:2:heard:co:10", 3, "counted", 8, "s1", None),
    (ALICE, "rev:?", -3, "counted", 9, "s1", 3),  # reverses the co-reporter credit just above
    (ALICE, "feedback:3", 5, "pending", 9, "s1", None),  # on hold: not in member_stats
    (ALICE, "give:12345", 15, "counted", 2, "s1", None),  # /contrib give of the old kind
    (BOB, "feedback:2", 5, "counted", 3, "", None),
    (BOB, "feedback:2:shipped", 0, "capped", 40, "", None),  # capped: recorded with 0 points, not counted
]
EXPECTED_KINDS = ["feedback_given", "feedback_acknowledged", "feedback_shipped", "feedback_acknowledged",
                  "feedback_acknowledged", "feedback_given", "feedback_given", "feedback_given", "feedback_shipped"]


async def _seed(db: Database, *, periods: bool) -> None:
    """Old-kind rows and the aggregates the ledger kept for them (with week/month rows once 0007 ran)."""
    async with db.begin() as conn:
        ids: list[int] = []
        for user, key, points, status, days, season, reverses in OLD_ROWS:
            original = ids[reverses] if reverses is not None else None
            row_id = (await conn.execute(insert(contributions).values(
                guild_id=G, user_id=user, kind="feedback", points=points,
                source_key=f"rev:{original}" if original else key, actor_id=STAFF, season=season,
                reverses_id=original, created_at=T0 + timedelta(days=days), status=status,
            ).returning(contributions.c.id))).scalar_one()
            ids.append(row_id)
            if status == "counted":
                await bump_stats(conn, guild_id=G, user_id=user, kind="feedback", season=season, points=points,
                                 count=-1 if original else 1, at=T0 + timedelta(days=days) if periods else None)
        await conn.execute(insert(contributions).values(
            guild_id=G, user_id=BOB, kind="answer", points=10, source_key="answer:1:2", season="",
            created_at=T0, status="counted"))
        await bump_stats(conn, guild_id=G, user_id=BOB, kind="answer", season="", points=10, count=1,
                         at=T0 if periods else None)
        for name, definition in (
            ("implemented", {"trigger": {"kind": "feedback", "count": 1}, "role": "Implemented"}),
            ("bonus", {"trigger": {"event": "first_feedback"}, "bonus_points": 2, "bonus_kind": "feedback"}),
            ("answers", {"trigger": {"kind": "answer", "count": 5}, "role": "Helper"}),
        ):
            await conn.execute(insert(reward_rules).values(guild_id=G, name=name, definition=definition,
                                                           created_at=T0, updated_at=T0))


def _replayed(rows: list[Any]) -> dict[tuple[int, str, str], tuple[int, int]]:
    """member_stats as the ledger would have kept it for these rows (all time, season, week, month; '*')."""
    out: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        if r.status != "counted":
            continue
        keys = [ALL_TIME, *([r.season] if r.season else []), *period_keys(r.created_at)]
        for kind in (r.kind, ALL_KINDS):
            for key in keys:
                out[(r.user_id, kind, key)][0] += r.points
                out[(r.user_id, kind, key)][1] += -1 if r.reverses_id else 1
    return {k: (v[0], v[1]) for k, v in out.items() if v != [0, 0]}


async def _state(db: Database) -> tuple[list[Any], dict[tuple[int, str, str], tuple[int, int]], dict[str, Any]]:
    async with db.connect() as conn:
        rows = list(await conn.execute(select(contributions).order_by(contributions.c.id)))
        stats = {(s.user_id, s.kind, s.season): (s.points, s.count)
                 for s in await conn.execute(select(member_stats)) if (s.points, s.count) != (0, 0)}
        rules = {r.name: r.definition for r in await conn.execute(select(reward_rules))}
    return rows, stats, rules


@pytest.mark.parametrize("before", ["0007", "0005"], ids=["periods-first", "0010-before-0007"])
async def test_feedback_rows_are_rekinded_and_stats_split(db_url: str, before: str) -> None:
    db = Database(db_url)
    try:
        await migrate.upgrade(db, "0005")
        if before == "0007":
            await migrate.upgrade(db, "0007")  # week/month rows exist before 0010 runs
        await _seed(db, periods=before == "0007")
        old_rows, old_stats, _ = await _state(db)

        await migrate.upgrade(db)
        assert await migrate.current_revisions(db) == migrate.head_revisions()
        rows, stats, rules = await _state(db)
        assert [r.kind for r in rows if r.kind != "answer"] == EXPECTED_KINDS
        assert [(r.id, r.points, r.source_key, r.status) for r in rows] == [
            (r.id, r.points, r.source_key, r.status) for r in old_rows]  # only the kind changed
        assert stats == _replayed(rows)  # every aggregate row, per new kind, all periods
        assert {k: v for k, v in stats.items() if k[1] == ALL_KINDS} == {
            k: v for k, v in _replayed(old_rows).items() if k[1] == ALL_KINDS}  # totals untouched
        assert stats[(ALICE, "feedback_acknowledged", ALL_TIME)] == (3, 1)  # 3 + 3 - 3 (reversed)
        assert stats[(ALICE, "feedback_given", "s1")] == (20, 2)
        assert rules["implemented"]["trigger"] == {"kind": "feedback_given", "count": 1}
        assert rules["bonus"]["bonus_kind"] == "feedback_given"
        assert rules["answers"]["trigger"]["kind"] == "answer"

        # the new code finds the old credits: the same stage is never paid twice
        ledger = LedgerService(db, FakeClock(T0 + timedelta(days=60)), lambda g: LedgerPolicy())
        again = await ledger.credit(G, ALICE, "feedback_acknowledged", source_key="feedback:1:heard", actor_id=STAFF)
        assert again.status == "duplicate"
        profile = await ledger.profile(G, ALICE)
        assert (profile.points_by_kind["feedback_given"], profile.points_by_kind["feedback_acknowledged"],
                profile.points_by_kind["feedback_shipped"]) == (20, 3, 10)

        await migrate.downgrade(db, "0005")  # below 0010: 0011 (ladder stages) and the merge 0012 go too
        assert "0010" not in await migrate.current_revisions(db)
        down_rows, down_stats, down_rules = await _state(db)
        assert {r.kind for r in down_rows} == {"feedback", "answer"}
        assert down_stats == _replayed(down_rows)
        if before == "0007":  # else 0007 (still applied) has added the week/month rows since
            assert down_stats == old_stats
        assert down_rules["implemented"]["trigger"]["kind"] == "feedback"

        await migrate.upgrade(db)
        assert (await _state(db))[1] == stats
    finally:
        await db.close()


async def test_upgrade_of_a_ledger_without_feedback_rows(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate.upgrade(db, "0005")
        async with db.begin() as conn:
            await conn.execute(delete(member_stats))
        await migrate.upgrade(db)
        assert await migrate.current_revisions(db) == migrate.head_revisions()
        assert (await _state(db))[1] == {}
    finally:
        await db.close()
