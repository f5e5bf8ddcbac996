"""Durable timers on top of the ``timers`` table.

The table is the source of truth. APScheduler's AsyncIOScheduler only holds in-memory jobs rebuilt from it:
one date job per pending timer and a poll job that picks up timers written by other processes. With a
:class:`~bot.platform.clock.FakeClock` no wall-clock jobs are used: advancing the clock fires what became due.

Recurring jobs declared in config (``[[scheduler.cron]]``) are materialised as ordinary timers whose
dedupe key names the occurrence, so several processes create each occurrence once and fire it once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform import audit, logctx
from bot.platform.clock import Clock, FakeClock
from bot.platform.db.engine import Database
from bot.platform.jobs import claims
from bot.platform.jobs import store as repo
from bot.platform.jobs.effects import Drop, GiveUp
from bot.platform.jobs.keys import SeriesKey

log = logging.getLogger(__name__)

TimerHandler = Callable[[dict[str, Any], repo.Timer], Awaitable[None]]
# Told of every run's outcome: (event, "done" | "dropped" | "retry" | "failed", seconds the handler took).
RunObserver = Callable[[str, str, float], None]


@dataclass(frozen=True, slots=True)
class CronJob:
    name: str
    event: str
    cron: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    timezone: str = "UTC"
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    claim_timeout_seconds: float = 300.0
    poll_seconds: float = 30.0
    cron: tuple[CronJob, ...] = ()


class TimerScheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: SchedulerSettings | None = None,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings or SchedulerSettings()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._handlers: dict[str, TimerHandler] = {}
        self.observers: list[RunObserver] = []  # e.g. the metrics (bot.core.observability)
        self._aps: AsyncIOScheduler | None = None
        self._running = False
        self._run_lock = asyncio.Lock()
        self._inflight: set[asyncio.Task[None]] = set()
        self._tz = ZoneInfo(self.settings.timezone)
        self._cron = {job.name: job for job in self.settings.cron}
        self._triggers = {
            job.name: CronTrigger.from_crontab(job.cron, timezone=self._tz) for job in self.settings.cron
        }

    # -- registration -------------------------------------------------------------------------------
    def register(self, event: str, handler: TimerHandler) -> None:
        if event in self._handlers:
            raise ValueError(f"a handler for timer event {event!r} is already registered")
        self._handlers[event] = handler

    def unregister(self, event: str) -> None:
        self._handlers.pop(event, None)

    # -- scheduling ---------------------------------------------------------------------------------
    async def schedule(
        self,
        event: str,
        payload: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
        delay: timedelta | None = None,
        dedupe_key: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> int | None:
        """Write a timer (inside ``conn``'s transaction when given). Returns its id, or ``None`` if the
        dedupe key already exists."""
        now = self.clock.now()
        if at is None:
            at = now + (delay or timedelta(0))
        if conn is not None:
            timer_id = await repo.create(
                conn, event=event, payload=payload or {}, due_at=at, now=now, dedupe_key=dedupe_key
            )
        else:
            async with self.db.begin() as own:
                timer_id = await repo.create(
                    own, event=event, payload=payload or {}, due_at=at, now=now, dedupe_key=dedupe_key
                )
        if timer_id is not None:
            self._mirror(timer_id, at)
        return timer_id

    async def cancel(self, timer_id: int) -> bool:
        async with self.db.begin() as conn:
            done = await repo.cancel(conn, timer_id, now=self.clock.now())
        if self._aps is not None and self._aps.get_job(f"timer:{timer_id}"):
            self._aps.remove_job(f"timer:{timer_id}")
        return done

    async def expedite(self, key: SeriesKey) -> int:
        """Make the pending timers of ``key``'s series that were not tried yet due now; the next run fires them
        (a handler that expedites needs no run of its own: the run it is part of picks them up). One waiting
        out a back-off keeps its time. Returns how many."""
        async with self.db.begin() as conn:
            return await repo.expedite_series(conn, key, now=self.clock.now())

    async def cancel_key(self, dedupe_key: str) -> bool:
        async with self.db.begin() as conn:
            return await repo.cancel_by_key(conn, dedupe_key, now=self.clock.now())

    # -- lifecycle ----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Rebuild in-memory jobs from the table and fire what is overdue."""
        self._running = True
        for job in self._cron.values():
            await self._schedule_next_cron(job, after=self.clock.now())
        if isinstance(self.clock, FakeClock):
            self.clock.add_listener(self._on_clock_advance)
        else:
            self._aps = AsyncIOScheduler(timezone=self._tz)
            self._aps.add_job(
                self.run_due, IntervalTrigger(seconds=self.settings.poll_seconds), id="timers:poll",
                coalesce=True, max_instances=1,
            )
            self._aps.start()
            async with self.db.connect() as conn:
                for timer in await repo.pending(conn):
                    self._mirror(timer.id, timer.due_at)
        fired = await self.run_due()
        log.info("timer scheduler started as %s (%d overdue fired)", self.worker_id, fired)

    async def stop(self, timeout: float | None = None) -> None:
        """Start nothing new and let the jobs running now finish; after ``timeout`` seconds those still running
        are cancelled (their claim lapses, so the next start runs them again: a job never counts as done
        unless it finished)."""
        self._running = False
        if isinstance(self.clock, FakeClock):
            self.clock.remove_listener(self._on_clock_advance)
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        if self._inflight:
            runs = {t for t in self._inflight if t is not asyncio.current_task()}
            _done, hanging = await asyncio.wait(runs, timeout=timeout) if runs else (set(), set())
            for task in hanging:
                log.warning("stopping: jobs were still running after %.0f s; they run again at the next start",
                            timeout or 0)
                task.cancel()
            await asyncio.gather(*runs, return_exceptions=True)

    def _mirror(self, timer_id: int, due_at: datetime) -> None:
        if self._aps is None or not self._running:
            return
        run_date = max(due_at, self.clock.now())
        self._aps.add_job(
            self._fire_job, DateTrigger(run_date=run_date), id=f"timer:{timer_id}", replace_existing=True,
            misfire_grace_time=None,
        )

    async def _fire_job(self) -> None:
        await self._tracked_run()

    async def _on_clock_advance(self, _now: datetime) -> None:
        await self._tracked_run()

    async def _tracked_run(self) -> None:
        """A run started by APScheduler or the fake clock; cancelled by :meth:`stop` past the grace period,
        it ends quietly (not as an APScheduler error)."""
        try:
            await self.run_due()
        except asyncio.CancelledError:
            if self._running:
                raise
            log.debug("a timer run was stopped with the engine")

    # -- firing -------------------------------------------------------------------------------------
    async def run_due(self) -> int:
        """Claim and run every timer due now, including ones that handlers schedule for now.

        Returns how many timers this worker fired.
        """
        if not self._running:
            return 0
        task = asyncio.current_task()
        if task is not None:  # stop() waits for this run, and cancels it past its timeout
            self._inflight.add(task)
        try:
            return await self._run_due()
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _run_due(self) -> int:
        fired = 0
        async with self._run_lock:
            while self._running:
                now = self.clock.now()
                stale = now - timedelta(seconds=self.settings.claim_timeout_seconds)
                async with self.db.begin() as conn:
                    claimed = await repo.claim_due(conn, worker=self.worker_id, now=now, stale_before=stale)
                if not claimed:
                    return fired
                await asyncio.gather(*(self._run_one(t) for t in claimed))
                fired += len(claimed)
            return fired

    @property
    def running(self) -> bool:
        """Whether the engine runs timers (between :meth:`start` and :meth:`stop`)."""
        return self._running

    def _observe(self, event: str, outcome: str, started: float) -> None:
        elapsed = asyncio.get_running_loop().time() - started
        for observer in self.observers:
            try:
                observer(event, outcome, elapsed)
            except Exception:  # noqa: BLE001 - an observer must never fail a job
                log.exception("timer observer %r failed", observer)

    async def _run_one(self, timer: repo.Timer) -> None:
        handler = self._handlers.get(timer.event)
        started = asyncio.get_running_loop().time()
        payload = timer.payload if isinstance(timer.payload, dict) else {}
        token = logctx.bind(correlation_id=payload.get("_cid") or f"job-{timer.id}", job_id=timer.id,
                            job=timer.event, guild_id=payload.get("guild_id"),
                            channel_id=payload.get("channel_id"), user_id=payload.get("user_id"))
        try:
            if handler is None:
                raise LookupError(f"no handler registered for timer event {timer.event!r}")
            await handler(timer.payload, timer)
        except Drop as exc:
            await self._record_drop(timer, exc)
            self._observe(timer.event, "dropped", started)
        except Exception as exc:  # noqa: BLE001 - every failure is retried or recorded, never lost
            retried = await self._record_failure(timer, exc)
            self._observe(timer.event, "retry" if retried else "failed", started)
        else:
            async with self.db.begin() as conn:
                await repo.finish(conn, timer.id, worker=self.worker_id, now=self.clock.now())
            log.debug("timer %s (%s) fired", timer.id, timer.event)
            self._observe(timer.event, "done", started)
        finally:
            logctx.reset(token)  # the next occurrence of a cron job is not "caused" by this one
            cron_name = timer.payload.get("_cron") if isinstance(timer.payload, dict) else None
            if cron_name in self._cron:
                await self._schedule_next_cron(self._cron[cron_name], after=timer.due_at)

    async def _record_drop(self, timer: repo.Timer, exc: Drop) -> None:
        """The effect's target is gone: the job is done, and the audit log says what was dropped and why."""
        now = self.clock.now()
        guild_id = timer.payload.get("guild_id") if isinstance(timer.payload, dict) else None
        async with self.db.begin() as conn:
            await repo.finish(conn, timer.id, worker=self.worker_id, now=now)
            await audit.record(conn, now=now, action="job.dropped", guild_id=int(guild_id) if guild_id else None,
                               target_id=timer.id, details={"event": timer.event, "key": timer.dedupe_key or "",
                                                            "reason": str(exc)[:300]})
        log.info("timer %s (%s) dropped: %s", timer.id, timer.event, exc)

    async def _record_failure(self, timer: repo.Timer, exc: Exception) -> bool:
        error = f"{type(exc).__name__}: {exc}"
        now = self.clock.now()
        due = None if isinstance(exc, GiveUp) else claims.retry_at(
            now, timer.attempts, max_attempts=self.settings.max_attempts, base_seconds=self.settings.retry_base_seconds)
        retry = due is not None
        async with self.db.begin() as conn:
            if due is not None:
                await repo.retry_later(conn, timer.id, worker=self.worker_id, due_at=due, error=error)
                log.warning(
                    "timer %s (%s) failed on attempt %d/%d, retrying at %s: %s",
                    timer.id, timer.event, timer.attempts, self.settings.max_attempts, due.isoformat(), error,
                )
            else:
                await repo.fail(conn, timer.id, worker=self.worker_id, now=now, error=error)
                log.error("timer %s (%s) failed for good after %d attempts: %s",
                          timer.id, timer.event, timer.attempts, error)
        if due is not None:
            self._mirror(timer.id, due)
        return retry

    async def _schedule_next_cron(self, job: CronJob, *, after: datetime) -> None:
        trigger = self._triggers[job.name]
        nxt = trigger.get_next_fire_time(None, after.astimezone(self._tz) + timedelta(seconds=1))
        if nxt is None:
            return
        await self.schedule(
            job.event,
            {**job.payload, "_cron": job.name},
            at=nxt,
            dedupe_key=f"cron:{job.name}:{nxt.astimezone(ZoneInfo('UTC')).isoformat()}",
        )
