"""The locale of each member's last interaction, per server (``member_locales``): their DMs speak it.

Every interaction passes :meth:`MemberLocales.seen` (a sync listener of the bot): a member whose locale did not
change since the last one costs a dict lookup; a change is written in the background (one upsert). A DM's
sender reads :meth:`MemberLocales.get` (cached) and falls back to the server's language
(:func:`bot.platform.i18n.dm_language`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.db.upsert import upsert
from bot.platform.tables import member_locales

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

    def changed(self, guild_id: int, user_id: int, locale: str) -> bool:
        """Whether ``locale`` differs from what is known of the member (then :meth:`remember` it)."""
        return self._known.get((guild_id, user_id)) != locale

    async def remember(self, guild_id: int, user_id: int, locale: str) -> None:
        if len(self._known) >= MAX_CACHED:
            self._known.clear()
        self._known[(guild_id, user_id)] = locale
        async with self.db.begin() as conn:
            await upsert(conn, member_locales, {"guild_id": guild_id, "user_id": user_id, "locale": locale[:16],
                                                "updated_at": self.clock.now()},
                         keys=["guild_id", "user_id"], update=["locale", "updated_at"])

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
