"""Activity counters: in memory on the hot path, written by size, by time and on close, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from bot.activity.service import ActivityCounters, totals
from bot.activity.tables import activity_counters
from bot.platform.clock import FakeClock
from bot.platform.db import Database
from bot.privacy.tables import privacy_optouts

G, A, B, CH1, CH2 = 1, 100, 200, 10, 20


async def _rows(db: Database) -> list[tuple]:
    async with db.connect() as conn:
        result = await conn.execute(select(activity_counters).order_by(*activity_counters.primary_key.columns))
        return [tuple(r) for r in result]


async def test_counts_stay_in_memory_until_flushed_then_add_up(db: Database, clock: FakeClock) -> None:
    counters = ActivityCounters(db, clock, interval=60, max_pending=1000)
    for _ in range(3):
        counters.message(G, A, CH1)
    counters.reaction(G, A, CH1)
    counters.message(G, B, CH2)
    assert await _rows(db) == [] and counters.pending_events == 5
    stats = await counters.flush()
    assert (stats.rows, stats.events) == (2, 5) and counters.pending_events == 0
    counters.message(G, A, CH1)
    await clock.advance(timedelta(days=1))
    counters.message(G, A, CH1)
    await counters.flush()
    rows = await _rows(db)
    assert [(r[1], r[2], r[4], r[5]) for r in rows] == [(A, CH1, 4, 1), (A, CH1, 1, 0), (B, CH2, 1, 0)]
    assert await totals(db, G, A) == (5, 1)


async def test_the_writer_flushes_by_size_and_by_time(db: Database, clock: FakeClock) -> None:
    by_size = ActivityCounters(db, clock, interval=60, max_pending=50)
    task = asyncio.create_task(by_size.run())
    try:
        for _ in range(50):
            by_size.message(G, A, CH1)
        for _ in range(100):
            await asyncio.sleep(0.02)
            if by_size.flushes:
                break
        assert by_size.flushes == 1 and await totals(db, G, A) == (50, 0)  # long before the 60 s interval
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    by_time = ActivityCounters(db, clock, interval=0.1, max_pending=1000)
    task = asyncio.create_task(by_time.run())
    try:
        by_time.reaction(G, B, CH2)
        await asyncio.sleep(0.5)
        assert await totals(db, G, B) == (0, 1)
    finally:
        await by_time.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_close_returns_once_the_writer_has_stopped_even_in_its_pause(db: Database, clock: FakeClock) -> None:
    """Under a steady burst the writer pauses out the rest of its interval after a flush; close() ends that pause
    at once and returns only after the writer loop has returned, so nothing flushes behind the caller's back."""
    counters = ActivityCounters(db, clock, interval=30, max_pending=10)
    task = asyncio.create_task(counters.run())
    for _ in range(10):
        counters.message(G, A, CH1)
    for _ in range(1000):  # until the writer has taken the batch (its flush is under way)
        await asyncio.sleep(0)
        if not counters.pending_events:
            break
    for _ in range(10):  # a full batch again before that flush ends: the writer then pauses for 30 s
        counters.message(G, A, CH1)
    for _ in range(100):
        await asyncio.sleep(0.02)
        if counters.flushes:
            break
    await asyncio.sleep(0.05)
    assert counters.flushes == 1 and counters.pending_events == 10 and not task.done()
    await asyncio.wait_for(counters.close(), 5)
    assert task.done() and counters.flushes == 2 and await totals(db, G, A) == (20, 0)
    counters.message(G, A, CH1)  # counting goes on after close; flush() writes on demand
    await asyncio.sleep(0.05)
    assert counters.flushes == 2 and counters.pending_events == 1
    await counters.flush()
    assert await totals(db, G, A) == (21, 0)


async def test_close_writes_the_rest_and_opted_out_members_are_dropped(db: Database, clock: FakeClock) -> None:
    async with db.begin() as conn:
        await conn.execute(insert(privacy_optouts).values(guild_id=G, user_id=B, tracking_off_at=clock.now()))
    counters = ActivityCounters(db, clock, interval=60)
    counters.message(G, A, CH1)
    counters.message(G, B, CH1)
    await counters.close()
    assert await totals(db, G, A) == (1, 0)
    assert await totals(db, G, B) == (0, 0)


async def test_a_failed_flush_keeps_its_counts(db: Database, clock: FakeClock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'not-migrated.db'}")
    counters = ActivityCounters(broken, clock, interval=60)
    counters.message(G, A, CH1)
    try:
        await counters.flush()
    except Exception:  # noqa: BLE001 - the table does not exist there
        pass
    finally:
        await broken.close()
    assert counters.pending_events == 1
    counters.db = db
    await counters.flush()
    assert await totals(db, G, A) == (1, 0)


async def test_counts_land_on_the_utc_day_of_the_event(db: Database) -> None:
    clock = FakeClock(datetime(2026, 3, 4, 23, 59, 59, tzinfo=UTC))
    counters = ActivityCounters(db, clock, interval=60)
    counters.message(G, A, CH1)
    await clock.advance(timedelta(seconds=1))  # midnight UTC: a new day
    counters.message(G, A, CH1)
    counters.reaction(G, A, CH1)
    clock._now = datetime(2026, 3, 7, 12, tzinfo=UTC)  # set directly, as some tests do
    counters.reaction(G, A, CH1)
    await counters.flush()
    assert [(r[3], r[4], r[5]) for r in await _rows(db)] == [
        (date(2026, 3, 4), 1, 0), (date(2026, 3, 5), 1, 1), (date(2026, 3, 7), 0, 1)]
