"""Durable timers: fire on time, survive restarts, retry with back-off, and fire once across processes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.platform.clock import FakeClock, SystemClock
from bot.platform.db import Database
from bot.platform.jobs import store as repo
from bot.platform.jobs.scheduler import CronJob, SchedulerSettings, TimerScheduler


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], int]] = []

    async def __call__(self, payload: dict[str, Any], timer: repo.Timer) -> None:
        self.calls.append((payload, timer.id))


async def _status(db: Database, timer_id: int) -> repo.Timer:
    async with db.connect() as conn:
        timer = await repo.get(conn, timer_id)
    assert timer is not None
    return timer


async def test_timer_fires_when_clock_advances(db: Database, clock: FakeClock) -> None:
    sched = TimerScheduler(db, clock)
    seen = Recorder()
    sched.register("ping", seen)
    await sched.start()
    try:
        timer_id = await sched.schedule("ping", {"n": 1}, delay=timedelta(hours=2))
        await clock.advance(timedelta(hours=1, minutes=59))
        assert seen.calls == []
        await clock.advance(timedelta(minutes=1))
        assert seen.calls == [({"n": 1}, timer_id)]
        assert (await _status(db, timer_id)).status == "done"
        await clock.advance(timedelta(days=1))
        assert len(seen.calls) == 1
    finally:
        await sched.stop()


async def test_overdue_timers_fire_at_start(db: Database, clock: FakeClock) -> None:
    first = TimerScheduler(db, clock)
    timer_id = await first.schedule("ping", {"x": "y"}, delay=timedelta(minutes=5))
    # The process "dies" before the timer is due; a new one starts an hour later.
    await clock.advance(timedelta(hours=1))
    second = TimerScheduler(db, clock)
    seen = Recorder()
    second.register("ping", seen)
    await second.start()
    try:
        assert seen.calls == [({"x": "y"}, timer_id)]
    finally:
        await second.stop()


async def test_failures_retry_with_backoff_then_fail(db: Database, clock: FakeClock) -> None:
    settings = SchedulerSettings(max_attempts=3, retry_base_seconds=60)
    sched = TimerScheduler(db, clock, settings)
    attempts: list[datetime] = []

    async def flaky(payload: dict[str, Any], timer: repo.Timer) -> None:
        attempts.append(clock.now())
        raise RuntimeError("discord is down")

    sched.register("flaky", flaky)
    await sched.start()
    try:
        timer_id = await sched.schedule("flaky", {})
        assert len(attempts) == 0  # scheduled "now" but fires on the next run
        await sched.run_due()
        assert len(attempts) == 1
        t = await _status(db, timer_id)
        assert (t.status, t.attempts) == ("pending", 1)
        assert t.due_at == attempts[0] + timedelta(seconds=60)

        await clock.advance(timedelta(seconds=59))
        assert len(attempts) == 1
        await clock.advance(timedelta(seconds=1))
        assert len(attempts) == 2
        t = await _status(db, timer_id)
        assert t.due_at == attempts[1] + timedelta(seconds=120)  # doubled

        await clock.advance(timedelta(seconds=120))
        assert len(attempts) == 3
        t = await _status(db, timer_id)
        assert (t.status, t.attempts) == ("failed", 3)
        async with db.connect() as conn:
            from sqlalchemy import select

            from bot.platform.tables import timers

            err = (await conn.execute(select(timers.c.last_error).where(timers.c.id == timer_id))).scalar()
        assert "discord is down" in err
        await clock.advance(timedelta(days=2))
        assert len(attempts) == 3
    finally:
        await sched.stop()


async def test_unknown_event_is_retried_not_lost(db: Database, clock: FakeClock) -> None:
    sched = TimerScheduler(db, clock, SchedulerSettings(max_attempts=2, retry_base_seconds=10))
    await sched.start()
    try:
        timer_id = await sched.schedule("nobody-listens", {})
        await sched.run_due()
        assert (await _status(db, timer_id)).status == "pending"
        # A handler appears (e.g. the cog loads); the retry delivers.
        seen = Recorder()
        sched.register("nobody-listens", seen)
        await clock.advance(timedelta(seconds=10))
        assert len(seen.calls) == 1
        assert (await _status(db, timer_id)).status == "done"
    finally:
        await sched.stop()


async def test_two_schedulers_race_each_timer_fires_once(db: Database, clock: FakeClock) -> None:
    a = TimerScheduler(db, clock, worker_id="worker-a")
    b = TimerScheduler(db, clock, worker_id="worker-b")
    fired: list[tuple[str, int]] = []

    def handler(worker: str):  # type: ignore[no-untyped-def]
        async def _h(payload: dict[str, Any], timer: repo.Timer) -> None:
            fired.append((worker, payload["i"]))
            await asyncio.sleep(0)  # let the other worker run meanwhile

        return _h

    a.register("job", handler("a"))
    b.register("job", handler("b"))
    for i in range(40):
        await a.schedule("job", {"i": i}, delay=timedelta(minutes=i % 5))
    a._running = b._running = True  # started without the clock listener: the test drives both by hand
    await clock.advance(timedelta(minutes=10))
    await asyncio.gather(a.run_due(), b.run_due(), a.run_due(), b.run_due())
    numbers = sorted(i for _, i in fired)
    assert numbers == list(range(40))
    async with db.connect() as conn:
        assert await repo.pending(conn) == []


async def test_dedupe_key_and_cancel(db: Database, clock: FakeClock) -> None:
    sched = TimerScheduler(db, clock)
    seen = Recorder()
    sched.register("close", seen)
    await sched.start()
    try:
        first = await sched.schedule("close", {"t": 1}, delay=timedelta(hours=1), dedupe_key="close:1")
        again = await sched.schedule("close", {"t": 1}, delay=timedelta(hours=1), dedupe_key="close:1")
        assert first is not None and again is None
        other = await sched.schedule("close", {"t": 2}, delay=timedelta(hours=1))
        assert other is not None
        assert await sched.cancel(other) is True
        assert await sched.cancel(other) is False
        await clock.advance(timedelta(hours=2))
        assert [p for p, _ in seen.calls] == [{"t": 1}]
    finally:
        await sched.stop()


@pytest.mark.parametrize("dedupe_key", [None, "x:1"])
async def test_schedule_joins_callers_transaction(db: Database, clock: FakeClock, dedupe_key: str | None) -> None:
    sched = TimerScheduler(db, clock)
    with pytest.raises(RuntimeError):
        async with db.begin() as conn:
            await sched.schedule("x", {}, delay=timedelta(minutes=1), conn=conn, dedupe_key=dedupe_key)
            raise RuntimeError("the surrounding write failed")
    async with db.connect() as conn:
        assert await repo.pending(conn) == []  # rolled back with it


async def test_cron_jobs_from_config(db: Database) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))  # a Monday
    settings = SchedulerSettings(cron=(CronJob(name="digest", event="digest", cron="0 9 * * mon"),))
    sched = TimerScheduler(db, clock, settings)
    seen = Recorder()
    sched.register("digest", seen)
    await sched.start()
    # A second process declaring the same cron job adds no duplicate occurrence.
    twin = TimerScheduler(db, clock, settings, worker_id="twin")
    twin.register("digest", Recorder())
    await twin._schedule_next_cron(settings.cron[0], after=clock.now())
    try:
        await clock.advance(timedelta(minutes=59))
        assert seen.calls == []
        await clock.advance(timedelta(minutes=1))
        assert [p["_cron"] for p, _ in seen.calls] == ["digest"]
        await clock.advance(timedelta(days=7))
        assert len(seen.calls) == 2
        async with db.connect() as conn:
            upcoming = await repo.pending(conn)
        assert [t.due_at for t in upcoming] == [datetime(2026, 3, 16, 9, 0, tzinfo=UTC)]
    finally:
        await sched.stop()


async def test_real_clock_uses_apscheduler(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.platform.db import migrate

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'real.db'}")
    await migrate.upgrade(db)
    sched = TimerScheduler(db, SystemClock(), SchedulerSettings(poll_seconds=60))
    done = asyncio.Event()

    async def handler(payload: dict[str, Any], timer: repo.Timer) -> None:
        done.set()

    sched.register("soon", handler)
    await sched.start()
    try:
        await sched.schedule("soon", {}, delay=timedelta(milliseconds=200))
        assert sched._aps is not None and len(sched._aps.get_jobs()) == 2  # poll + the timer
        await asyncio.wait_for(done.wait(), timeout=5)
    finally:
        await sched.stop()
        await db.close()


async def test_claims_skip_rows_another_process_is_claiming(db: Database, clock: FakeClock) -> None:
    """PostgreSQL: a row locked by another transaction is skipped at once (SKIP LOCKED), not waited for."""
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: the conditional UPDATE is the claim")
    from sqlalchemy import select

    from bot.platform.tables import timers

    first = await TimerScheduler(db, clock).schedule("job", {"i": 1})
    second = await TimerScheduler(db, clock).schedule("job", {"i": 2})
    now = clock.now()
    async with db.begin() as holder:
        await holder.execute(select(timers.c.id).where(timers.c.id == first).with_for_update())
        async with db.begin() as other:
            claimed = await asyncio.wait_for(
                repo.claim_due(other, worker="b", now=now, stale_before=now - timedelta(minutes=5)), timeout=5)
        assert [t.id for t in claimed] == [second]
