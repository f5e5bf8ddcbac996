"""Activity counters: messages and reactions per member, channel and UTC day, written behind the hot path.

Every message and reaction of a community goes through here, so recording one is a dictionary update and
nothing else: no ``await``, no database. A writer task flushes what accumulated in one transaction (one
``executemany`` upsert) at most once a second, sooner when ``max_pending`` events are waiting, and once more
on shutdown (the bot's flush hook). A crash therefore loses at most the last second of counts; contributions
and grants never go through here (they are written per action by the ledger).

Members who turned tracking off (``/mydata tracking off``) are dropped at flush time, so the hot path needs no
lookup. A failed flush keeps its counts and merges them into the next one. Erasure and the opt-out run inside
:meth:`ActivityCounters.member_settled`, so counts buffered before them never reach the table afterwards
under the member's id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.activity import store as activity_repo
from bot.activity.tables import activity_counters
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.privacy.service import opted_out

log = logging.getLogger(__name__)

# {day: {guild: ({user << 64 | channel: messages}, {user << 64 | channel: reactions})}}. Snowflakes fit in 63
# bits, so the pair packs into one int: recording an event allocates no tuple or list for the garbage collector
# to track (a tuple per event, and one that survives per member and channel, made the collector's full passes
# over a big bot's heap come more often).
Counts = dict[date, dict[int, tuple[dict[int, int], dict[int, int]]]]
LOW = (1 << 64) - 1
MESSAGES, REACTIONS = 0, 1


@dataclass(frozen=True, slots=True)
class FlushStats:
    rows: int
    events: int
    dropped: int = 0


class ActivityCounters:
    def __init__(self, db: Database, clock: Clock, *, interval: float = 1.0, max_pending: int = 1000) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self.max_pending = max_pending
        self._counts: Counts = {}
        self._today: dict[int, tuple[dict[int, int], dict[int, int]]] = {}  # self._counts[the current day]
        self._events = 0
        self._day_start = self._day_end = float("-inf")  # _today is the UTC day [_day_start, _day_end)
        self._timestamp = clock.timestamp  # bound once: called for every message and reaction
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._writer_done: asyncio.Event | None = None  # set when run() has returned
        self._lock = asyncio.Lock()
        self.flush_observers: list[Callable[[FlushStats, float], None]] = []  # (what, seconds): the metrics
        self.flushes = 0

    # ------------------------------------------------------------------ the hot path (no await)

    def message(self, guild_id: int, user_id: int, channel_id: int) -> None:
        self.count(guild_id, user_id, channel_id, MESSAGES)

    def reaction(self, guild_id: int, user_id: int, channel_id: int) -> None:
        self.count(guild_id, user_id, channel_id, REACTIONS)

    def count(self, guild_id: int, user_id: int, channel_id: int, kind: int) -> None:
        """One message (``kind`` MESSAGES) or reaction (REACTIONS) of a member in a channel, now."""
        now = self._timestamp()
        if not self._day_start <= now < self._day_end:
            self._new_day(now)
        per_guild = self._today.get(guild_id)
        if per_guild is None:
            per_guild = self._today[guild_id] = ({}, {})
        counts = per_guild[kind]
        key = user_id << 64 | channel_id
        counts[key] = counts.get(key, 0) + 1
        self._events += 1
        if self._events >= self.max_pending:
            self._wake.set()

    def _new_day(self, now: float) -> None:
        """Point ``_today`` at the UTC day of ``now`` (POSIX seconds); each event then compares two floats."""
        day = datetime.fromtimestamp(now, UTC).date()
        self._today = self._counts.setdefault(day, {})
        self._day_start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        self._day_end = self._day_start + 86400

    @property
    def pending_events(self) -> int:
        return self._events

    # ------------------------------------------------------------------ the writer

    async def run(self) -> None:
        """Flush every ``interval`` seconds, or as soon as ``max_pending`` events wait. Runs until cancelled or
        :meth:`close`."""
        loop = asyncio.get_running_loop()
        self._stop.clear()
        done = self._writer_done = asyncio.Event()
        try:
            while not self._stop.is_set():
                last = loop.time()
                await _wait(self._wake, self.interval)
                try:
                    await self.flush()
                except Exception:  # noqa: BLE001 - counts stay buffered and go with the next flush
                    log.exception("activity flush failed; %d event(s) kept for the next attempt", self._events)
                # at most one flush a second, whatever the rate: a burst only makes the batch bigger
                spare = self.interval - (loop.time() - last)
                if spare > 0 and self._events >= self.max_pending:
                    await _wait(self._stop, spare)
        finally:
            done.set()

    async def flush(self) -> FlushStats:
        """Write what accumulated (one transaction); returns what was written."""
        async with self._lock:
            return await self._flush_locked()

    async def _flush_locked(self) -> FlushStats:
        self._wake.clear()
        if not self._events:
            return FlushStats(0, 0)
        batch, events = self._swap({}, 0)
        started = asyncio.get_running_loop().time()
        try:
            async with self.db.begin() as conn:
                rows, dropped = await _write(conn, batch)
        except BaseException:
            self._merge_back(batch, events)
            raise
        self.flushes += 1
        stats = FlushStats(rows, events, dropped)
        elapsed = asyncio.get_running_loop().time() - started
        for observer in self.flush_observers:
            try:
                observer(stats, elapsed)
            except Exception:  # noqa: BLE001 - an observer must never fail the flush
                log.exception("flush observer %r failed", observer)
        return stats

    @contextlib.asynccontextmanager
    async def member_settled(self, guild_id: int, user_id: int) -> AsyncIterator[None]:
        """Around an erasure or an opt-out of one member: their counts so far are written first (erasure then
        anonymises them, with the rest of their rows), no flush runs meanwhile, and what of theirs was counted
        meanwhile is dropped: nothing buffered comes back under their id a second later."""
        async with self._lock:
            await self._flush_locked()
            try:
                yield
            finally:
                self._drop(guild_id, user_id)

    def _drop(self, guild_id: int, user_id: int) -> None:
        dropped = 0
        for guilds in self._counts.values():
            slots = guilds.get(guild_id)
            for counts in slots or ():
                for key in [k for k in counts if k >> 64 == user_id]:
                    dropped += counts.pop(key)
        self._events = max(self._events - dropped, 0)

    async def close(self) -> None:
        """Stop the writer loop, wait until it has returned, and write what is left (the bot's flush hook).
        Counting goes on; :meth:`flush` then writes on demand."""
        self._stop.set()
        self._wake.set()
        if self._writer_done is not None:
            await self._writer_done.wait()
        await self.flush()

    def _swap(self, counts: Counts, events: int) -> tuple[Counts, int]:
        old = self._counts, self._events
        self._counts, self._events = counts, events
        self._today, self._day_start, self._day_end = {}, float("-inf"), float("-inf")  # the next event finds its day in the new dict
        return old

    def _merge_back(self, batch: Counts, events: int) -> None:
        for day, guilds in batch.items():
            mine = self._counts.setdefault(day, {})
            for guild_id, slots in guilds.items():
                into = mine.setdefault(guild_id, ({}, {}))
                for counts, target in zip(slots, into, strict=True):
                    for key, n in counts.items():
                        target[key] = target.get(key, 0) + n
        self._events += events
        self._today, self._day_start, self._day_end = {}, float("-inf"), float("-inf")


async def _wait(event: asyncio.Event, timeout: float) -> None:
    """Until ``event`` is set or ``timeout`` seconds have passed."""
    try:
        await asyncio.wait_for(event.wait(), timeout=timeout)
    except TimeoutError:
        pass


def _rows(batch: Counts, skip: set[tuple[int, int]]) -> Iterator[activity_repo.CountRow]:
    for day, guilds in batch.items():
        for guild_id, (messages, reactions) in guilds.items():
            for key in messages.keys() | reactions.keys():
                user_id = key >> 64
                if skip and (guild_id, user_id) in skip:
                    continue
                yield guild_id, user_id, key & LOW, day, messages.get(key, 0), reactions.get(key, 0)


async def _write(conn: AsyncConnection, batch: Counts) -> tuple[int, int]:
    """(rows written, rows dropped because the member turned tracking off)."""
    skip = await opted_out(conn, {g for guilds in batch.values() for g in guilds})
    written = await activity_repo.add_counts(conn, _rows(batch, skip))  # one executemany
    total = sum(len(m.keys() | r.keys()) for guilds in batch.values() for m, r in guilds.values())
    return written, total - written


async def totals(db: Database, guild_id: int, user_id: int) -> tuple[int, int]:
    """(messages, reactions) of a member, all channels and days, as written so far."""
    from sqlalchemy import func

    c = activity_counters.c
    async with db.connect() as conn:
        row = (await conn.execute(
            select(func.coalesce(func.sum(c.messages), 0), func.coalesce(func.sum(c.reactions), 0))
            .where(c.guild_id == guild_id, c.user_id == user_id)
        )).one()
    return int(row[0]), int(row[1])
