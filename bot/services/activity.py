"""Activity counters: messages and reactions per member, channel and UTC day, written behind the hot path.

Every message and reaction of a community goes through here, so recording one is a dictionary update and
nothing else: no ``await``, no database. A writer task flushes what accumulated in one transaction (one
``executemany`` upsert) at most once a second, sooner when ``max_pending`` events are waiting, and once more
on shutdown (the bot's flush hook). A crash therefore loses at most the last second of counts; contributions
and grants never go through here (they are written per action by the ledger).

Members who turned tracking off (``/mydata tracking off``) are dropped at flush time, so the hot path needs no
lookup. A failed flush keeps its counts and merges them into the next one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.db import Database
from bot.db.schema import activity_counters, privacy_optouts
from bot.db.upsert import insert_for

log = logging.getLogger(__name__)

Key = tuple[int, int, int, date]  # guild, user, channel, day


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
        self._counts: dict[Key, list[int]] = {}
        self._events = 0
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._stopping = False
        self.flushes = 0

    # ------------------------------------------------------------------ the hot path (no await)

    def message(self, guild_id: int, user_id: int, channel_id: int) -> None:
        self._add(guild_id, user_id, channel_id, 0)

    def reaction(self, guild_id: int, user_id: int, channel_id: int) -> None:
        self._add(guild_id, user_id, channel_id, 1)

    def _add(self, guild_id: int, user_id: int, channel_id: int, slot: int) -> None:
        key = (guild_id, user_id, channel_id, self.clock.now().astimezone(UTC).date())
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = [0, 0]
        counts[slot] += 1
        self._events += 1
        if self._events >= self.max_pending:
            self._wake.set()

    @property
    def pending_events(self) -> int:
        return self._events

    # ------------------------------------------------------------------ the writer

    async def run(self) -> None:
        """Flush every ``interval`` seconds, or as soon as ``max_pending`` events wait. Runs until cancelled."""
        loop = asyncio.get_running_loop()
        self._stopping = False
        while not self._stopping:
            last = loop.time()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            except TimeoutError:
                pass
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - counts stay buffered and go with the next flush
                log.exception("activity flush failed; %d event(s) kept for the next attempt", self._events)
            # at most one flush a second, whatever the rate: a burst only makes the batch bigger
            spare = self.interval - (loop.time() - last)
            if spare > 0 and self._events >= self.max_pending:
                await asyncio.sleep(spare)

    async def flush(self) -> FlushStats:
        """Write what accumulated (one transaction); returns what was written."""
        async with self._lock:
            self._wake.clear()
            if not self._counts:
                return FlushStats(0, 0)
            batch, events = self._counts, self._events
            self._counts, self._events = {}, 0
            try:
                async with self.db.begin() as conn:
                    dropped = await _write(conn, batch)
            except BaseException:
                self._merge_back(batch, events)
                raise
            self.flushes += 1
            return FlushStats(len(batch) - dropped, events, dropped)

    async def close(self) -> None:
        """Stop the writer loop and write what is left (the bot's flush hook)."""
        self._stopping = True
        self._wake.set()
        await self.flush()

    def _merge_back(self, batch: dict[Key, list[int]], events: int) -> None:
        for key, (m, r) in batch.items():
            counts = self._counts.setdefault(key, [0, 0])
            counts[0] += m
            counts[1] += r
        self._events += events


async def _opted_out(conn: AsyncConnection, guild_ids: Iterable[int]) -> set[tuple[int, int]]:
    result = await conn.execute(
        select(privacy_optouts.c.guild_id, privacy_optouts.c.user_id)
        .where(privacy_optouts.c.guild_id.in_(sorted(set(guild_ids))))
    )
    return {(r.guild_id, r.user_id) for r in result}


async def _write(conn: AsyncConnection, batch: dict[Key, list[int]]) -> int:
    skip = await _opted_out(conn, {k[0] for k in batch})
    rows = [
        {"guild_id": g, "user_id": u, "channel_id": c, "day": d, "messages": m, "reactions": r}
        for (g, u, c, d), (m, r) in batch.items() if (g, u) not in skip
    ]
    if rows:
        stmt = insert_for(conn, activity_counters)
        stmt = stmt.on_conflict_do_update(
            index_elements=["guild_id", "user_id", "channel_id", "day"],
            set_={"messages": activity_counters.c.messages + stmt.excluded.messages,
                  "reactions": activity_counters.c.reactions + stmt.excluded.reactions},
        )
        await conn.execute(stmt, rows)  # executemany
    return len(batch) - len(rows)


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
