"""The screenshots of a report's form (at most :data:`MAX_SCREENSHOTS` images, the form's File Upload).

Discord hands the bot the files as ephemeral attachments: a URL on its CDN, no bytes. The report keeps the
URLs (``feedback_screenshots``, written with the item), and when the report is published (its thread exists:
at once, after "Post mine anyway", or when staff approve it from the review queue) the same transaction
writes a durable job, :class:`ScreenshotsKey`, that downloads them and posts them in the thread
(:mod:`cogs.feedback.screenshots`). Once posted the URLs are deleted. A report waiting on "Is it one of
these?" carries them in ``feedback_drafts.screenshots`` (JSON).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback import store as repo
from bot.feedback.jobs import ScreenshotsKey
from bot.feedback.models import Screenshot

if TYPE_CHECKING:
    from bot.feedback.service import FeedbackService


def to_json(shots: tuple[Screenshot, ...]) -> str | None:
    if not shots:
        return None
    return json.dumps([{"url": s.url, "filename": s.filename, "content_type": s.content_type, "size": s.size}
                       for s in shots])


def from_json(text: str | None) -> tuple[Screenshot, ...]:
    if not text:
        return ()
    return tuple(Screenshot(str(d["url"]), str(d["filename"]), d.get("content_type"), int(d.get("size") or 0))
                 for d in json.loads(text))


class Screenshots:
    def __init__(self, service: FeedbackService) -> None:
        self.service = service

    async def schedule(self, conn: AsyncConnection, guild_id: int, item_id: int) -> None:
        """In the publishing transaction: the job that posts the item's screenshots, if it has any."""
        schedule = self.service._schedule_job
        if schedule is not None and await repo.screenshots(conn, item_id):
            await schedule(conn, ScreenshotsKey(item_id), {"guild_id": guild_id, "feedback_id": item_id})

    async def of(self, guild_id: int, item_id: int) -> list[Screenshot]:
        """The screenshots of an item still to be posted in its thread."""
        async with self.service.db.connect() as conn:
            await self.service._get(conn, guild_id, item_id)
            rows: list[Any] = await repo.screenshots(conn, item_id)
        return [Screenshot(r.url, r.filename, r.content_type, int(r.size)) for r in rows]

    async def posted(self, guild_id: int, item_id: int) -> None:
        """They are in the thread now (or can't be any more): Discord's links are not kept."""
        async with self.service._write(guild_id) as conn:
            await self.service._get(conn, guild_id, item_id)
            await repo.delete_screenshots(conn, item_id)
