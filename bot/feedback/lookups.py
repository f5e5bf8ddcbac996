"""Two mixins of :class:`bot.feedback.service.FeedbackService` (which provides ``db`` and ``clock``): the
feedback's reads of the betas (through :mod:`bot.betas.queries`: a beta's forum, names, ids), and the memory of
members whose DMs are closed (``feedback_dms_closed``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.betas import queries as beta_queries
from bot.feedback import store as repo
from bot.platform.errors import NotFound
from bot.platform.i18n import N_

# How long a member's closed DMs (50007) are remembered: their notices go to the thread fallback meanwhile.
DMS_CLOSED_FOR = timedelta(days=7)


class BetaLookups:
    db: Any

    async def beta_forum(self, guild_id: int, beta_id: int) -> int | None:
        """The beta's own feedback forum id, or ``None`` (use the default forum)."""
        async with self.db.connect() as conn:
            row = await beta_queries.get(conn, guild_id, beta_id)
        if row is None:
            raise NotFound(N_("There is no beta #{beta_id} in this server."), beta_id=beta_id)
        return int(row.feedback_forum_id) if row.feedback_forum_id else None

    async def beta_by_name(self, guild_id: int, name: str) -> int:
        async with self.db.connect() as conn:
            beta_id = await beta_queries.id_named(conn, guild_id, name.strip())
        if beta_id is None:
            raise NotFound(N_("There is no beta named {value} in this server."), value=repr(name.strip()))
        return beta_id

    async def beta_names(self, guild_id: int, prefix: str = "", limit: int = 25) -> list[str]:
        """Beta names starting with ``prefix`` (case-insensitive), for autocomplete."""
        async with self.db.connect() as conn:
            names = await beta_queries.names_newest_first(conn, guild_id)
        wanted = prefix.strip().casefold()
        return [n for n in names if n.casefold().startswith(wanted)][:limit]

    async def beta_for_forum(self, guild_id: int, forum_id: int) -> int | None:
        async with self.db.connect() as conn:
            return await beta_queries.id_for_forum(conn, guild_id, forum_id)

    async def beta_forums(self, guild_id: int) -> set[int]:
        async with self.db.connect() as conn:
            return await beta_queries.feedback_forums(conn, guild_id)


class DmsMemory:
    db: Any
    clock: Any

    async def dms_closed(self, guild_id: int, user_id: int) -> bool:
        """Whether the member's DMs were found closed less than :data:`DMS_CLOSED_FOR` ago."""
        async with self.db.connect() as conn:
            until = await repo.dms_closed_until(conn, guild_id, user_id)
        return until is not None and until > self.clock.now()

    async def remember_dms_closed(self, guild_id: int, user_id: int) -> None:
        async with self.db.begin() as conn:
            await repo.set_dms_closed(conn, guild_id, user_id, self.clock.now() + DMS_CLOSED_FOR)

    async def forget_dms_closed(self, guild_id: int, user_id: int) -> None:
        async with self.db.begin() as conn:
            await repo.clear_dms_closed(conn, guild_id, user_id)
