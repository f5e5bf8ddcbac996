"""The ledger at scale: /profile and /leaderboard database time with 1,000,000 ledger rows and 100,000 members
on SQLite, against a bare ``SELECT 1`` in the same run; and crediting at a small vs that large ledger
(alternating runs of credits on each, so both see the same machine).

The data is written straight into a migrated SQLite file with the stdlib driver (``executemany`` in chunks),
then the aggregates are built with one ``INSERT … SELECT … GROUP BY``: the same shape the ledger service
keeps up row by row. No ``ANALYZE``: the bot never runs it, so the queries must be fast without statistics.
The timed calls go through the real :class:`LedgerService` on the async engine the bot uses. ``/profile`` is
timed as the cog runs it: the ledger profile plus :meth:`RewardsService.next_reward` (the progress bar to the
nearest reward), over a guild with threshold reward rules and the grants its members earned (``_REWARDS``).
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import Result, median, percentile, postgres_database, postgres_url
from bot.feedback import FeedbackPolicy, FeedbackService
from bot.ledger import DEFAULT_POINTS, LedgerPolicy, LedgerService, Season
from bot.platform.clock import FakeClock
from bot.platform.db import Database, migrate
from bot.rewards import RewardsService

GUILD = 1
USER_BASE = 10**17
ROWS = 1_000_000
MEMBERS = 100_000
SMALL_ROWS = 1_000
SPAN = timedelta(days=730)
CHUNK = 50_000
_KIND_WEIGHTS = {"answer": 30, "thanks": 40, "curation": 8, "creation": 7, "feedback_given": 6,
                 "feedback_acknowledged": 3, "feedback_shipped": 1, "beta": 5}

NOW = datetime(2026, 6, 4, 15, tzinfo=UTC)  # a Thursday: the week and month boards have data
SEASON = Season("s1", NOW - timedelta(days=60), NOW + timedelta(days=30))


# Reward rules of the benchmark guild: threshold rules of every form (kind count, points all time / season /
# rolling window, repeatable) and one event rule; ``grant_if`` is the member_stats row whose value earned it.
_REWARDS: list[tuple[dict[str, Any], tuple[str, str, str, int] | None]] = [
    ({"name": "first-answer", "trigger": {"kind": "answer", "count": 1}, "dm": "Thanks!"}, ("answer", "", "count", 1)),
    ({"name": "helper", "trigger": {"kind": "answer", "count": 10}, "role": 4242, "perk_pool": "storage"},
     ("answer", "", "count", 10)),
    ({"name": "hundred", "trigger": {"points": 100}, "dm": "100!"}, ("*", "", "points", 100)),
    ({"name": "thousand", "trigger": {"points": 1000}, "role": 4343}, ("*", "", "points", 1000)),
    ({"name": "season-200", "trigger": {"points": 200, "season": True}, "dm": "Season!"}, ("*", "s1", "points", 200)),
    ({"name": "weekly-30", "trigger": {"points": 30, "window_days": 7}, "dm": "Week!", "repeatable": True,
      "cooldown_days": 7}, None),
    ({"name": "beta", "trigger": {"event": "beta_joined"}, "dm": "Welcome"}, None),
]


def _reward_rows(fmt: Callable[[datetime], Any]
                 ) -> tuple[list[tuple[Any, ...]], list[tuple[str, tuple[Any, ...]]]]:
    """(reward_rules rows, [(column, parameters of :func:`_grant_sql`)]) for ``_REWARDS``."""
    at = fmt(NOW - timedelta(days=1))
    rules = [(GUILD, d["name"], json.dumps({k: v for k, v in d.items() if k != "name"}), "config", True, at, at)
             for d, _ in _REWARDS]
    grants = []
    for d, earned in _REWARDS:
        if earned is not None:
            kind, season, column, limit = earned
            grants.append((column, (d["name"], "role_add" if "role" in d else "dm", at, kind, season, limit)))
    return rules, grants


def _grant_sql(column: str, p: list[str]) -> str:
    """Grants for every member whose aggregate reached the rule's threshold (``column``: points or count);
    ``p``: the placeholders of (rule name, action, created_at, kind, season, threshold)."""
    return ("INSERT INTO grants (guild_id, user_id, rule_name, action, payload, status, attempts, dedupe_key, "  # noqa: S608
            f"created_at, cause) SELECT guild_id, user_id, {p[0]}, {p[1]}, '{{}}', 'delivered', 1, "
            f"'rule:{GUILD}:' || {p[0]} || ':' || CAST(user_id AS TEXT) || ':1:' || {p[1]}, {p[2]}, 'bench' "
            f"FROM member_stats WHERE guild_id = {GUILD} AND kind = {p[3]} AND season = {p[4]} AND {column} >= {p[5]}")


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
        # calendar week (ISO: the Thursday of the week names it) and month, as the ledger keeps them
        thursday = "date(created_at, 'weekday 0', '-3 days')"
        week = (f"'W' || strftime('%Y', {thursday}) || '-' || "
                f"printf('%02d', (CAST(strftime('%j', {thursday}) AS INTEGER) - 1) / 7 + 1)")
        month = "'M' || strftime('%Y-%m', created_at)"
        for season_expr, where in (("''", ""), ("season", "WHERE season != ''"), (week, ""), (month, "")):
            con.execute(f"INSERT INTO member_stats (guild_id, user_id, kind, season, points, count) "  # noqa: S608
                        f"SELECT guild_id, user_id, kind, {season_expr}, SUM(points), COUNT(*) FROM contributions "
                        f"{where} GROUP BY guild_id, user_id, kind, {season_expr}")
            con.execute(f"INSERT INTO member_stats (guild_id, user_id, kind, season, points, count) "  # noqa: S608
                        f"SELECT guild_id, user_id, '*', {season_expr}, SUM(points), COUNT(*) FROM contributions "
                        f"{where} GROUP BY guild_id, user_id, {season_expr}")
        for _name, sql_text in indexes:
            con.execute(sql_text)
        rules, grant_params = _reward_rows(_fmt)
        con.executemany("INSERT INTO reward_rules (guild_id, name, definition, origin, enabled, created_at, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rules)
        for column, params in grant_params:
            con.execute(_grant_sql(column, [f"?{i}" for i in range(1, 7)]), params)
        con.executemany(
            "INSERT INTO feedback (guild_id, reporter_id, type, title, details, status, thread_id, vote_count, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?)", _feedback_rows(rng, members, _fmt))
        con.commit()
    finally:
        con.close()
    return time.perf_counter() - started


FEEDBACK = 20_000
_STATUSES = ["new"] * 5 + ["acknowledged", "planned", "in_progress", "shipped", "declined", "duplicate"]


def _feedback_rows(rng: random.Random, members: int, fmt: Callable[[datetime], Any]) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(FEEDBACK):
        at = fmt(NOW - timedelta(minutes=i * 30))
        rows.append((GUILD, USER_BASE + rng.randrange(members), rng.choice(["bug", "idea", "praise", "question"]),
                     f"report {i}", rng.choice(_STATUSES), 5 * 10**17 + i, int(300 * rng.random() ** 4), at, at))
    return rows


async def _timed(call: Callable[[], Awaitable[Any]], rounds: int, warm: int = 5) -> list[float]:
    for _ in range(warm):
        await call()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def _open(path: Path) -> tuple[Database, LedgerService]:
    return await _open_url(f"sqlite+aiosqlite:///{path}")


async def _open_url(url: str) -> tuple[Database, LedgerService]:
    db = Database(url)
    await db.start_checkpoints()  # as the bot does at start (WAL checkpoints off the commits, on SQLite)
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


def _crediting(ledger: LedgerService, tag: str) -> Callable[[], Awaitable[None]]:
    """One credit per call, to a random member from a random actor, each with a new source key."""
    rng = random.Random(11)
    counter = iter(range(10**9))

    async def one() -> None:
        n = next(counter)
        user = USER_BASE + rng.randrange(MEMBERS)
        actor = USER_BASE + MEMBERS + rng.randrange(MEMBERS)
        result = await ledger.credit(GUILD, user, "creation", source_key=f"{tag}:{n}", actor_id=actor)
        assert result.status == "credited", result

    return one


async def _credit_times(large: LedgerService, small: LedgerService, rounds: int) -> tuple[list[float], list[float]]:
    """Credit times on the large and the small ledger, ``rounds`` each, in alternating runs of CREDIT_RUN (which
    side goes first alternating too), so whatever else the machine does in those seconds hits both alike. (Until
    2026-12-04 the large ledger's 150 credits were all timed first and the small one's after: the p95 of each was
    its 8th-slowest call, from a different minute.)"""
    big, little = _crediting(large, "big"), _crediting(small, "small")
    big_times: list[float] = []
    small_times: list[float] = []
    for i in range(0, rounds, CREDIT_RUN):
        sides = [(big, big_times), (little, small_times)]
        for call, times in sides if (i // CREDIT_RUN) % 2 == 0 else reversed(sides):
            times += await _timed(call, min(CREDIT_RUN, rounds - i), warm=1 if i else 5)
    return big_times, small_times


CREDIT_ROUNDS = 600  # per ledger size
CREDIT_RUN = 20  # credits timed on one side before switching to the other

GOAL = "p95 <= 10 ms SQLite, 15 ms PostgreSQL; <= 5x SELECT 1"


async def _queries(db: Database, ledger: LedgerService, rounds: int, label: str) -> list[Result]:
    """p95 of every member-facing query against ``SELECT 1`` on the same engine, same run."""
    feedback = FeedbackService(db, ledger.clock, ledger, lambda _g: FeedbackPolicy())

    async def select_one() -> None:
        async with db.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def select_one_read() -> None:
        await db.read(lambda conn: conn.execute(text("SELECT 1")))

    baseline = percentile(await _timed(select_one, rounds), 95)
    # The stricter baseline: SELECT 1 through the path /profile's reads take (Database.read: on SQLite in the
    # loop's thread, on PostgreSQL a read-only autocommit connection), so the ratio is the card's own work.
    read_baseline = percentile(await _timed(select_one_read, rounds), 95)
    rng = random.Random(3)

    rewards = RewardsService(db, ledger.clock, policy_for=ledger.policy_for)
    reward_part: list[float] = []

    async def profile() -> None:
        """As the cog does it: the ledger profile, then the progress bar to the nearest reward (timed apart too)."""
        user = USER_BASE + int(MEMBERS * rng.random() ** 2)
        p = await ledger.profile(GUILD, user, windows=rewards.windows_of(GUILD))
        t0 = time.perf_counter()
        nxt = await rewards.next_reward(GUILD, user, p)
        reward_part.append((time.perf_counter() - t0) * 1000)
        assert nxt.state != "none"

    profiles = await _timed(profile, rounds)
    measured = {
        "/profile (random member)": profiles,
        "/profile: of which the reward bar": reward_part[-rounds:],
        "/leaderboard all": await _timed(lambda: ledger.leaderboard(GUILD, "all"), rounds),
        "/leaderboard season": await _timed(lambda: ledger.leaderboard(GUILD, "season"), rounds),
        "/leaderboard all, kind=answer": await _timed(lambda: ledger.leaderboard(GUILD, "all", "answer"), rounds),
        "/leaderboard week": await _timed(lambda: ledger.leaderboard(GUILD, "week"), rounds),
        "/leaderboard month": await _timed(lambda: ledger.leaderboard(GUILD, "month"), rounds),
        "/leaderboard month, page 5": await _timed(lambda: ledger.leaderboard(GUILD, "month", offset=40), rounds),
        f"/feedback top ({FEEDBACK // 1000}k items)": await _timed(lambda: feedback.top(GUILD), rounds),
    }
    results = [Result(f"1M: {name} p95", percentile(times, 95), baseline, "ms", "SELECT 1 p95 (same run)",
                      goal=GOAL, db=label) for name, times in measured.items()]
    results.append(Result("1M: /profile p95 ÷ SELECT 1 by the same read path", percentile(profiles, 95),
                          read_baseline, "ms", "SELECT 1 p95 via Database.read", goal="(stricter; <= 5x)",
                          db=label))
    return results


async def _postgres(base_url: str, rounds: int) -> list[Result]:
    """The same data on a fresh PostgreSQL database, loaded with COPY (asyncpg ``copy_records_to_table``)."""
    import asyncpg

    async with postgres_database(base_url, "kudos_bench_ledger") as url:
        db = Database(url)
        try:
            await migrate.upgrade(db)
        finally:
            await db.close()
        started = time.perf_counter()
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            indexes = await conn.fetch(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('contributions', 'member_stats') "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)")
            for row in indexes:
                await conn.execute(f'DROP INDEX "{row["indexname"]}"')
            rng = random.Random(7)
            kinds, weights = list(_KIND_WEIGHTS), list(_KIND_WEIGHTS.values())
            start, step = NOW - SPAN, SPAN / ROWS
            columns = ["guild_id", "user_id", "kind", "points", "source_key", "channel_id", "message_id", "actor_id",
                       "reason", "season", "created_at", "status", "note"]
            for first in range(0, ROWS, CHUNK):
                batch = []
                for offset, kind in enumerate(rng.choices(kinds, weights, k=min(CHUNK, ROWS - first))):
                    i = first + offset
                    at = start + step * i
                    season = SEASON.id if SEASON.starts_at <= at < SEASON.ends_at else ""
                    batch.append((GUILD, USER_BASE + int(MEMBERS * rng.random() ** 2), kind, DEFAULT_POINTS[kind],
                                  f"bench:{i}", 42, i, USER_BASE + rng.randrange(MEMBERS), "", season, at,
                                  "counted", ""))
                await conn.copy_records_to_table("contributions", records=batch, columns=columns)
            week = "to_char(created_at AT TIME ZONE 'UTC', '\"W\"IYYY-IW')"
            month = "to_char(created_at AT TIME ZONE 'UTC', '\"M\"YYYY-MM')"
            for season_expr, where in (("''", ""), ("season", "WHERE season != ''"), (week, ""), (month, "")):
                for kind_expr, group in (("kind", ", kind"), ("'*'", "")):
                    await conn.execute(
                        f"INSERT INTO member_stats (guild_id, user_id, kind, season, points, count) "  # noqa: S608
                        f"SELECT guild_id, user_id, {kind_expr}, {season_expr}, SUM(points), COUNT(*) "
                        f"FROM contributions {where} GROUP BY guild_id, user_id{group}"
                        f"{'' if season_expr == repr('') else ', ' + season_expr}")
            for row in indexes:
                await conn.execute(row["indexdef"])
            rules, grant_params = _reward_rows(lambda when: when)
            await conn.executemany("INSERT INTO reward_rules (guild_id, name, definition, origin, enabled, created_at, "
                                   "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)", rules)
            for column, params in grant_params:
                await conn.execute(_grant_sql(column, ["$1::text", "$2::text", "$3", "$4::text", "$5::text", "$6::int"]),
                                   *params)
            await conn.copy_records_to_table(
                "feedback", columns=["guild_id", "reporter_id", "type", "title", "details", "status", "thread_id",
                                     "vote_count", "created_at", "updated_at"],
                records=[(g, r, t, title, "", st, th, v, at, at) for g, r, t, title, st, th, v, at, _ in
                         _feedback_rows(rng, MEMBERS, lambda when: when)])
            await conn.execute("ANALYZE")  # autovacuum would do it within a minute of such a load
        finally:
            await conn.close()
        seconds = time.perf_counter() - started
        db, ledger = await _open_url(url)
        try:
            results = await _queries(db, ledger, rounds, "PostgreSQL")
        finally:
            await db.close()
        results.append(Result("PostgreSQL: load 1M rows (COPY) + aggregates", seconds, 1.0, "s", "(1 s)",
                              goal="setup, not a goal"))
        return results


async def run(rounds: int = 300) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kudos-bench-ledger-") as tmp:
        big, small = Path(tmp) / "big.db", Path(tmp) / "small.db"
        seconds = await _prepare(big, ROWS, MEMBERS)
        await _prepare(small, SMALL_ROWS, min(MEMBERS, SMALL_ROWS))
        db, ledger = await _open(big)
        small_db, small_ledger = await _open(small)
        try:
            results += await _queries(db, ledger, rounds, "SQLite")
            large_credit, small_credit = await _credit_times(ledger, small_ledger, CREDIT_ROUNDS)
        finally:
            await db.close()
            await small_db.close()
    results.append(Result("ledger: credit at 1M rows (median)", median(large_credit), median(small_credit), "ms",
                          f"credit at {SMALL_ROWS:,} rows (median)", goal="ratio ≈ 1 (no growth)"))
    results.append(Result("ledger: credit at 1M rows (p95)", percentile(large_credit, 95),
                          percentile(small_credit, 95), "ms", f"credit at {SMALL_ROWS:,} rows (p95)",
                          goal="ratio ≈ 1 (no growth)"))
    results.append(Result("SQLite: generate 1M rows + aggregates", seconds, 1.0, "s", "(1 s)",
                          goal="setup, not a goal"))
    pg_url = await postgres_url()
    if pg_url:
        results += await _postgres(pg_url, rounds)
    return results
