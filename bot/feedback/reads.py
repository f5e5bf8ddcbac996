"""The feedback service's reads, a mixin of :class:`bot.feedback.service.FeedbackService` (which provides ``db``,
``_get`` and ``recipients``): an item by number or thread, co-reporters, the demand board, staff pages, the export
and the weekly digest. They run on their own connection, outside any write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.feedback import store as repo
from bot.feedback.models import OPEN_STATUSES, FeedbackItem, Page


class Reads:
    db: Any
    _get: Any
    recipients: Any

    async def get(self, guild_id: int, item_id: int) -> FeedbackItem:
        async with self.db.connect() as conn:
            return await self._get(conn, guild_id, item_id)

    async def by_thread(self, thread_id: int) -> FeedbackItem | None:
        async with self.db.connect() as conn:
            return await repo.by_thread(conn, thread_id)

    async def recorded_threads(self, thread_ids: list[int]) -> set[int]:
        """The threads among ``thread_ids`` that are recorded feedback items (one query per 500)."""
        found: set[int] = set()
        async with self.db.connect() as conn:
            for start in range(0, len(thread_ids), 500):
                found |= await repo.recorded_threads(conn, thread_ids[start:start + 500])
        return found

    async def coreporters_of(self, guild_id: int, item_id: int) -> list[int]:
        """The members credited as co-reporters of the item (reporters of duplicates merged into it)."""
        async with self.db.connect() as conn:
            return await repo.coreporters(conn, (await self._get(conn, guild_id, item_id)).id)

    async def recipients_of(self, guild_id: int, item_id: int, *, exclude: Sequence[int] = ()) -> list[int]:
        async with self.db.connect() as conn:
            return await self.recipients(conn, await self._get(conn, guild_id, item_id), exclude=exclude)

    async def top(self, guild_id: int, *, beta_id: int | None = None, type_: str | None = None,
                  limit: int = 10) -> list[FeedbackItem]:
        """The most-wanted open reports, most votes first (oldest first among equals)."""
        async with self.db.connect() as conn:
            return await repo.top(conn, guild_id, statuses=OPEN_STATUSES, beta_id=beta_id, type_=type_, limit=limit)

    async def page(self, guild_id: int, *, status: str | None = None, type_: str | None = None,
                   beta_id: int | None = None, offset: int = 0, limit: int = 10) -> Page:
        async with self.db.connect() as conn:
            items, total = await repo.page(conn, guild_id, status=status, type_=type_, beta_id=beta_id,
                                           offset=max(offset, 0), limit=limit)
        return Page(items, total, max(offset, 0), limit)

    async def export(self, guild_id: int) -> list[FeedbackItem]:
        async with self.db.connect() as conn:
            return await repo.all_items(conn, guild_id)

    async def digest(self, guild_id: int, *, since: datetime) -> dict[str, list[FeedbackItem]]:
        """The weekly digest's sections: new reports, the oldest unanswered, the top votes."""
        async with self.db.connect() as conn:
            return {
                "new": await repo.created_since(conn, guild_id, since),
                "unanswered": await repo.oldest_unanswered(conn, guild_id),
                "top": await repo.top(conn, guild_id, statuses=OPEN_STATUSES, limit=5),
            }


__all__ = ["Reads"]
