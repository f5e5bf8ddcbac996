"""The ledger at scale: /profile and /leaderboard database time with 1,000,000 ledger rows and 100,000 members
on SQLite, against a bare ``SELECT 1`` in the same run; and crediting at a small vs that large ledger.

The data is written straight into a migrated SQLite file with the stdlib driver (``executemany`` in chunks),
then the aggregates are built with one ``INSERT … SELECT … GROUP BY``: the same shape the ledger service
keeps up row by row. No ``ANALYZE``: the bot never runs it, so the queries must be fast without statistics.
The timed calls go through the real :class:`LedgerService` on the async engine the bot uses.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import Result, median, percentile
from bot.clock import FakeClock
from bot.db import Database, migrate
from bot.services.ledger import DEFAULT_POINTS, LedgerPolicy, LedgerService, Season

GUILD = 1
USER_BASE = 10**17
ROWS = 1_000_000
MEMBERS = 100_000
SMALL_ROWS = 1_000
SPAN = timedelta(days=730)
CHUNK = 50_000
_KIND_WEIGHTS = {"answer": 30, "thanks": 40, "curation": 8, "creation": 7, "feedback": 10, "beta": 5}

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SEASON = Season("s1", NOW - timedelta(days=60), NOW + timedelta(days=30))


def _fmt(when: datetime) -> str:
    return when.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _generate(path: Path, rows: int, members: int, seed: int = 7) -> float:
    """Fill ``contributions`` and ``member_stats``; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed)
    kinds = list(_KIND_WEIGHTS)
    weights = list(_KIND_WEIGHTS.values())
    start = NOW - SPAN
    step = SPAN / rows
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA synchronous=OFF")
        # Bulk load without the secondary indexes, then build them once (the unique key stays: it is a table
        # constraint). The schema after loading is exactly the migrated one.
        indexes = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                              "AND tbl_name IN ('contributions', 'member_stats')").fetchall()
        for name, _sql in indexes:
            con.execute(f'DROP INDEX "{name}"')
        sql = ("INSERT INTO contributions (guild_id, user_id, kind, points, source_key, channel_id, thread_id, "
               "message_id, actor_id, reason, season, created_at, status, note) "
               "VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, '', ?, ?, 'counted', '')")
        season_start, season_end = SEASON.starts_at, SEASON.ends_at
        for first in range(0, rows, CHUNK):
            batch = []
            picked = rng.choices(kinds, weights, k=min(CHUNK, rows - first))
            for offset, kind in enumerate(picked):
                i = first + offset
                # a long tail: a few very active members, most with a handful of entries
                user = USER_BASE + int(members * rng.random() ** 2)
                actor = USER_BASE + rng.randrange(members)
                at = start + step * i
                season = SEASON.id if season_start <= at < season_end else ""
                batch.append((GUILD, user, kind, DEFAULT_POINTS[kind], f"bench:{i}", 42, i, actor, season, _fmt(at)))
            con.executemany(sql, batch)
            con.commit()
        for season_expr, where in (("''", ""), ("season", "WHERE season != ''")):
            con.execute(f"INSERT INTO member_stats (guild_id, user_id, kind, season, points, count) "  # noqa: S608
                        f"SELECT guild_id, user_id, kind, {season_expr}, SUM(points), COUNT(*) FROM contributions "
                        f"{where} GROUP BY guild_id, user_id, kind, {season_expr}")
            con.execute(f"INSERT INTO member_stats (guild_id, user_id, kind, season, points, count) "  # noqa: S608
                        f"SELECT guild_id, user_id, '*', {season_expr}, SUM(points), COUNT(*) FROM contributions "
                        f"{where} GROUP BY guild_id, user_id, {season_expr}")
        for _name, sql_text in indexes:
            con.execute(sql_text)
        con.commit()
    finally:
        con.close()
    return time.perf_counter() - started


async def _timed(call: Callable[[], Awaitable[Any]], rounds: int) -> list[float]:
    for _ in range(5):
        await call()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def _open(path: Path) -> tuple[Database, LedgerService]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    policy = LedgerPolicy(seasons=(SEASON,), probation_days=0, thanks_given_per_day=0,
                          thanks_pair_cooldown_hours=0, max_from_same_giver=0)
    return db, LedgerService(db, FakeClock(NOW), lambda _g: policy)


async def _prepare(path: Path, rows: int, members: int) -> float:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate.upgrade(db)
    finally:
        await db.close()
    return await asyncio.to_thread(_generate, path, rows, members)


async def _credit_times(ledger: LedgerService, rounds: int, tag: str) -> list[float]:
    rng = random.Random(11)
    counter = iter(range(10**9))

    async def one() -> None:
        n = next(counter)
        user = USER_BASE + rng.randrange(MEMBERS)
        actor = USER_BASE + MEMBERS + rng.randrange(MEMBERS)
        result = await ledger.credit(GUILD, user, "creation", source_key=f"{tag}:{n}", actor_id=actor)
        assert result.status == "credited", result

    return await _timed(one, rounds)


async def run(rounds: int = 300) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kudos-bench-ledger-") as tmp:
        big, small = Path(tmp) / "big.db", Path(tmp) / "small.db"
        seconds = await _prepare(big, ROWS, MEMBERS)
        await _prepare(small, SMALL_ROWS, min(MEMBERS, SMALL_ROWS))
        db, ledger = await _open(big)
        try:
            async def select_one() -> None:
                async with db.connect() as conn:
                    await conn.execute(text("SELECT 1"))

            baseline = percentile(await _timed(select_one, rounds), 95)
            rng = random.Random(3)

            async def profile() -> None:
                await ledger.profile(GUILD, USER_BASE + int(MEMBERS * rng.random() ** 2))

            measured = {
                "/profile (random member)": await _timed(profile, rounds),
                "/leaderboard all": await _timed(lambda: ledger.leaderboard(GUILD, "all"), rounds),
                "/leaderboard season": await _timed(lambda: ledger.leaderboard(GUILD, "season"), rounds),
                "/leaderboard all, kind=answer": await _timed(lambda: ledger.leaderboard(GUILD, "all", "answer"),
                                                              rounds),
                "/leaderboard week": await _timed(lambda: ledger.leaderboard(GUILD, "week"), 30),
                "/leaderboard month": await _timed(lambda: ledger.leaderboard(GUILD, "month"), 30),
            }
            for name, times in measured.items():
                results.append(Result(f"ledger 1M: {name} p95", percentile(times, 95), baseline, "ms",
                                      "SELECT 1 p95 (same run)", goal="p95 <= 10 ms" if "week" not in name and "month" not in name
                                      else "p95 <= 10 ms (rolling window: sums the ledger)"))
            large_credit = await _credit_times(ledger, rounds // 2, "big")
        finally:
            await db.close()
        db, ledger = await _open(small)
        try:
            small_credit = await _credit_times(ledger, rounds // 2, "small")
        finally:
            await db.close()
    results.append(Result("ledger: credit at 1M rows (median)", median(large_credit), median(small_credit), "ms",
                          f"credit at {SMALL_ROWS:,} rows (median)", goal="ratio ≈ 1 (no growth)"))
    results.append(Result("ledger: credit at 1M rows (p95)", percentile(large_credit, 95),
                          percentile(small_credit, 95), "ms", f"credit at {SMALL_ROWS:,} rows (p95)",
                          goal="ratio ≈ 1 (no growth)"))
    results.append(Result("ledger: generate 1M rows + aggregates", seconds, 1.0, "s", "(1 s)",
                          goal="setup, not a goal"))
    return results
