"""The catch-up mark: the newest message id the bot saw live in a guild (see ``catchup_marks``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catchup.tables import catchup_marks
from bot.platform.db.upsert import insert_for


async def mark(conn: AsyncConnection, guild_id: int) -> int | None:
    row = await conn.execute(select(catchup_marks.c.last_message_id).where(catchup_marks.c.guild_id == guild_id))
    return row.scalar_one_or_none()


async def raise_mark(conn: AsyncConnection, guild_id: int, message_id: int, *, now: datetime) -> None:
    """Move the mark forward to ``message_id`` (never back: another process may have seen newer messages)."""
    stmt = insert_for(conn, catchup_marks).values(guild_id=guild_id, last_message_id=message_id, updated_at=now)
    newer = stmt.excluded.last_message_id > catchup_marks.c.last_message_id
    stmt = stmt.on_conflict_do_update(index_elements=["guild_id"], set_={
        "last_message_id": case((newer, stmt.excluded.last_message_id), else_=catchup_marks.c.last_message_id),
        "updated_at": stmt.excluded.updated_at,
    })
    await conn.execute(stmt)
