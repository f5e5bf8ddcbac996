"""The broadcast budget's reads and writes for other features, inside the caller's transaction.

Betas take, move, cancel and settle announcement slots *in the transaction that decides* (a beta's status and
its timers change with the slot, under the channel's budget lock), so these take the caller's ``conn``
instead of opening a connection. Each one is one statement of :mod:`bot.announcements.store`, nothing added.

Other features import these (and :class:`AnnouncementRow`), never ``bot.announcements.store`` or
``bot.announcements.tables``; announcements may change their SQL behind them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.announcements import store as repo
from bot.announcements.store import AnnouncementRow

__all__ = ["AnnouncementRow", "cancel", "create", "get", "lock_channel", "mark_failed", "mark_posted", "of_subject",
           "reschedule", "set_thread", "slots_used"]


async def lock_channel(conn: AsyncConnection, guild_id: int, channel_id: int) -> None:
    """Serialize budget checks of one channel until the end of the transaction."""
    await repo.lock_channel_budget(conn, guild_id, channel_id)


async def slots_used(conn: AsyncConnection, channel_id: int, start: datetime, end: datetime) -> int:
    """Announcements in the channel, posted or still scheduled, whose slot is in [start, end)."""
    return await repo.slots_used(conn, channel_id, start, end)


async def get(conn: AsyncConnection, announcement_id: int) -> AnnouncementRow | None:
    return await repo.announcement(conn, announcement_id)


async def of_subject(conn: AsyncConnection, guild_id: int, subject: str, subject_id: int) -> list[AnnouncementRow]:
    """Every announcement of a subject (``"beta"``, ``"changes"``) and its id, oldest first."""
    return await repo.announcements_of(conn, guild_id, subject, subject_id)


async def create(conn: AsyncConnection, *, guild_id: int, channel_id: int, subject: str, subject_id: int | None,
                 scheduled_for: datetime, created_by: int, created_at: datetime,
                 content: Mapping[str, Any] | None = None) -> int:
    """A scheduled announcement holding the slot ``scheduled_for``; ``content``: an ``/announce`` post's columns."""
    return await repo.create_announcement(
        conn, guild_id=guild_id, channel_id=channel_id, subject=subject, subject_id=subject_id, status="scheduled",
        scheduled_for=scheduled_for, created_by=created_by, created_at=created_at, **(content or {}),
    )


async def cancel(conn: AsyncConnection, announcement_id: int) -> None:
    """Free the announcement's slot (its timer is the caller's to cancel)."""
    await repo.update_announcement(conn, announcement_id, status="cancelled")


async def reschedule(conn: AsyncConnection, announcement_id: int, at: datetime) -> None:
    """Scheduled again, for the slot ``at``."""
    await repo.update_announcement(conn, announcement_id, status="scheduled", scheduled_for=at)


async def mark_posted(conn: AsyncConnection, announcement_id: int, *, posted_at: datetime, message_id: int,
                      thread_id: int | None) -> None:
    """The announcement is out (the image bytes are dropped: Discord has the file now)."""
    await repo.update_announcement(conn, announcement_id, status="posted", posted_at=posted_at,
                                   message_id=message_id, thread_id=thread_id, image=None)


async def set_thread(conn: AsyncConnection, announcement_id: int, thread_id: int) -> None:
    """The discussion thread of a posted announcement, opened after the post (its own job)."""
    await repo.update_announcement(conn, announcement_id, thread_id=thread_id)


async def mark_failed(conn: AsyncConnection, announcement_id: int) -> None:
    await repo.update_announcement(conn, announcement_id, status="failed")
