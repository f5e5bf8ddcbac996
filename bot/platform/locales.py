"""The locale of each member's last interaction, per server (``member_locales``): their DMs speak it.

Every interaction passes :meth:`MemberLocales.note` (a sync listener of the bot): a member whose locale did not
change since the last one costs a dict lookup; changes are buffered and written by one background
:meth:`MemberLocales.flush` in one transaction (a launch's burst of fifty new members is one write, not fifty
competing with the joins), and on shutdown. A DM's sender reads :meth:`MemberLocales.get` (cached) and falls back
to the server's language (:func:`bot.platform.i18n.dm_language`).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.db.upsert import upsert
from bot.platform.tables import member_locales

log = logging.getLogger(__name__)
MAX_CACHED = 100_000  # members whose locale is kept in memory; beyond that the cache starts again


async def read(conn: AsyncConnection, guild_id: int, user_id: int) -> str | None:
    t = member_locales.c
    row = (await conn.execute(select(t.locale).where(t.guild_id == guild_id, t.user_id == user_id))).first()
    return row[0] if row is not None else None


class MemberLocales:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._known: dict[tuple[int, int], str | None] = {}
        self._pending: dict[tuple[int, int], str] = {}
        self._flushing = False

    def note(self, guild_id: int, user_id: int, locale: str) -> bool:
        """An interaction's locale. True when a :meth:`flush` should be started (a change, none running)."""
        key = (guild_id, user_id)
        if self._known.get(key) == locale:
            return False
        if len(self._known) >= MAX_CACHED:
            self._known.clear()
        self._known[key] = locale
        self._pending[key] = locale[:16]
        return not self._flushing

    async def flush(self) -> None:
        """Write the buffered changes, one transaction per batch, until none is left."""
        if self._flushing:
            return
        self._flushing = True
        try:
            while self._pending:
                batch, self._pending = self._pending, {}
                now = self.clock.now()
                try:
                    async with self.db.begin() as conn:
                        for (guild_id, user_id), locale in batch.items():
                            await upsert(conn, member_locales, {"guild_id": guild_id, "user_id": user_id,
                                                                "locale": locale, "updated_at": now},
                                         keys=["guild_id", "user_id"], update=["locale", "updated_at"])
                except Exception:  # noqa: BLE001 - a language preference: the cache keeps it; the next change writes
                    log.warning("could not store %d member locale(s); DMs use the cached ones", len(batch),
                                exc_info=True)
                    return
        finally:
            self._flushing = False

    async def remember(self, guild_id: int, user_id: int, locale: str) -> None:
        """Note and write one member's locale now."""
        self.note(guild_id, user_id, locale)
        await self.flush()

    async def get(self, guild_id: int, user_id: int) -> str | None:
        key = (guild_id, user_id)
        if key in self._known:
            return self._known[key]
        async with self.db.connect() as conn:
            locale = await read(conn, guild_id, user_id)
        self._known[key] = locale
        return locale

    def forget(self, guild_id: int, user_id: int) -> None:
        """After an erasure (``/mydata forget``): the cached locale goes with the row."""
        self._known.pop((guild_id, user_id), None)
        self._pending.pop((guild_id, user_id), None)
