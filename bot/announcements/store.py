"""Repository for announcements: the rows of the broadcast budget (beta announcements, ``/announce`` posts,
"what we changed" posts) and the lock that serializes a channel's budget checks.

Other features reach these through :mod:`bot.announcements.budget` (inside their own transaction), never
through this module or ``bot.announcements.tables``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.announcements.tables import announcements


@dataclass(frozen=True, slots=True)
class AnnouncementRow:
    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    subject: str
    subject_id: int | None
    status: str
    scheduled_for: datetime
    posted_at: datetime | None
    created_by: int
    created_at: datetime
    thread_id: int | None
    title: str
    body: str
    image: bytes | None
    image_name: str | None
    ping_role_id: int | None
    replies: int | None


def _announcement(row: Any) -> AnnouncementRow:
    return AnnouncementRow(**{name: getattr(row, name) for name in AnnouncementRow.__slots__})


async def create_announcement(conn: AsyncConnection, **values: Any) -> int:
    result = await conn.execute(insert(announcements).values(**values).returning(announcements.c.id))
    return int(result.scalar_one())


async def announcement(conn: AsyncConnection, announcement_id: int) -> AnnouncementRow | None:
    row = (await conn.execute(select(announcements).where(announcements.c.id == announcement_id))).first()
    return _announcement(row) if row is not None else None


async def announcements_of(conn: AsyncConnection, guild_id: int, subject: str, subject_id: int
                           ) -> list[AnnouncementRow]:
    rows = await conn.execute(select(announcements).where(
        announcements.c.guild_id == guild_id, announcements.c.subject == subject,
        announcements.c.subject_id == subject_id).order_by(announcements.c.id))
    return [_announcement(r) for r in rows]


async def update_announcement(conn: AsyncConnection, announcement_id: int, **values: Any) -> None:
    await conn.execute(update(announcements).where(announcements.c.id == announcement_id).values(**values))


async def lock_channel_budget(conn: AsyncConnection, guild_id: int, channel_id: int) -> None:
    """Serialize budget checks of one channel (SQLite: the write lock; PostgreSQL: an advisory lock)."""
    if conn.dialect.name == "sqlite":
        raw = await conn.get_raw_connection()
        if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    await conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"kudos-budget:{channel_id}", 0))))


async def slots_used(conn: AsyncConnection, channel_id: int, start: datetime, end: datetime) -> int:
    """Announcements in the channel, posted or still scheduled, whose slot (``scheduled_for``) is in [start, end)."""
    result = await conn.execute(select(func.count()).select_from(announcements).where(
        announcements.c.channel_id == channel_id, announcements.c.status.in_(["scheduled", "posted"]),
        announcements.c.scheduled_for >= start, announcements.c.scheduled_for < end,
    ))
    return int(result.scalar_one())


async def recent_announcements(conn: AsyncConnection, guild_id: int, *, limit: int = 20) -> list[AnnouncementRow]:
    """Scheduled ``/announce`` posts first (soonest first), then the latest posted or cancelled ones."""
    cols = [c for c in announcements.c if c.name != "image"]
    base = select(*cols, literal(None).label("image")).where(announcements.c.guild_id == guild_id,
                                                             announcements.c.subject == "news")
    scheduled = await conn.execute(base.where(announcements.c.status == "scheduled")
                                   .order_by(announcements.c.scheduled_for).limit(limit))
    done = await conn.execute(base.where(announcements.c.status != "scheduled")
                              .order_by(announcements.c.id.desc()).limit(limit))
    return [_announcement(r) for r in [*scheduled, *done]][:limit]
