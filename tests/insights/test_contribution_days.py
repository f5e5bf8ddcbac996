"""``contributions_per_day`` reads whole days from ``contribution_days`` (kept by the ledger with each entry)
and counts only the partial edge days from the ledger rows: over every window, aligned to midnight or not, it
gives exactly what counting the ledger rows gives. Migration 0016 fills ``contribution_days`` from an existing
ledger with the same numbers the ledger keeps row by row. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from bot.insights import store as repo
from bot.ledger import LedgerPolicy, LedgerService
from bot.ledger.policy import KINDS
from bot.ledger.tables import contribution_days
from bot.platform.clock import FakeClock
from bot.platform.db import Database, migrate
from bot.schema import metadata

G = 200
USERS = [320000000000000001 + i for i in range(4)]
STAFF = 320000000000000009
START = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
# daily caps: some credits of a busy day are recorded "capped" (they count as entries)
CAPPED = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0,
                      daily_cap={"thanks": 2})


async def _fill(db: Database) -> FakeClock:
    """Ten days of credits at odd hours, a few reversed (one a week later, one the same day), capped rows."""
    clock = FakeClock(START)
    ledger = LedgerService(db, clock, lambda _g: CAPPED)
    made: list[int] = []
    n = 0
    for day in range(10):
        for hour in (0.5, 7, 13.25, 23.9):
            for kind in ("answer", "thanks", "curation"):
                n += 1
                result = await ledger.credit(G, USERS[n % 4], kind, source_key=f"k{n}",
                                             actor_id=STAFF if kind != "thanks" else USERS[(n + 1) % 4])
                if result.contribution_id is not None:
                    made.append(result.contribution_id)
            await clock.advance(timedelta(hours=hour))
        await clock.advance(timedelta(hours=24 - (0.5 + 7 + 13.25 + 23.9) % 24))
        if day == 3:
            await ledger.reverse(G, made[2], actor_id=STAFF, reason="dup")  # reverses a row of day 0
        if day == 6:
            await ledger.reverse(G, made[-1], actor_id=STAFF, reason="same day")
    return clock


async def _both(db: Database, start: datetime, end: datetime) -> tuple[list, list]:  # type: ignore[type-arg]
    async with db.connect() as conn:
        fast = sorted(await repo.contributions_per_day(conn, G, start, end, KINDS))
        slow = sorted(await repo._per_day_from_ledger(conn, G, start, end, KINDS))
    return fast, slow


async def test_per_day_from_the_aggregate_equals_the_ledger_count(db: Database) -> None:
    clock = await _fill(db)
    end = clock.now()
    windows = [(START - timedelta(days=1), end), (START, end), (START + timedelta(hours=1, minutes=30), end),
               (datetime(2026, 3, 3, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC)),
               (datetime(2026, 3, 3, 5, tzinfo=UTC), datetime(2026, 3, 8, 17, tzinfo=UTC)),
               (datetime(2026, 3, 4, 1, tzinfo=UTC), datetime(2026, 3, 4, 20, tzinfo=UTC)),
               (datetime(2026, 3, 4, 1, tzinfo=UTC), datetime(2026, 3, 5, 20, tzinfo=UTC))]
    for start, stop in windows:
        fast, slow = await _both(db, start, stop)
        assert fast == slow, (start, stop)
    fast, _ = await _both(db, START - timedelta(days=1), end)
    assert sum(n for _, _, n in fast) > 100  # the data is there (not two empty lists)
    async with db.connect() as conn:
        kept = (await conn.execute(select(contribution_days.c.kind).where(contribution_days.c.guild_id == G)
                                   .distinct())).scalars().all()
    assert set(kept) == {"answer", "thanks", "curation"}


async def _days(db: Database) -> dict[tuple[str, str], int]:
    async with db.connect() as conn:
        rows = await conn.execute(select(contribution_days.c.day, contribution_days.c.kind, contribution_days.c.count)
                                  .where(contribution_days.c.count != 0))
        return {(d, k): int(n) for d, k, n in rows}


async def test_the_migration_fills_the_days_the_ledger_keeps(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate.upgrade(db, metadata=metadata)
        await _fill(db)
        kept = await _days(db)
        assert kept
        async with db.begin() as conn:
            await conn.execute(delete(contribution_days))
        await migrate.downgrade(db, "0015_emu2")
        await migrate.upgrade(db)
        assert await _days(db) == kept
    finally:
        await db.close()
