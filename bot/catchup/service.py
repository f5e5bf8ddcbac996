"""The catch-up mark of each guild: the newest message id the bot saw live there (``catchup_marks``).

The Catch-up cog keeps the newest id in memory on the hot path and saves it now and then through here; after a
full reconnect or a restart it reads the mark back to bound what it catches up on (``cogs/catchup.py``)."""

from __future__ import annotations

from bot.catchup import store as repo
from bot.platform.clock import Clock
from bot.platform.db import Database


class CatchupMarks:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def mark(self, guild_id: int) -> int | None:
        """The saved mark, or None when Kudos never watched this guild."""
        async with self.db.connect() as conn:
            return await repo.mark(conn, guild_id)

    async def raise_mark(self, guild_id: int, message_id: int) -> None:
        """Move the mark forward to ``message_id``; never back (another process may have seen newer messages)."""
        async with self.db.begin() as conn:
            await repo.raise_mark(conn, guild_id, message_id, now=self.clock.now())
