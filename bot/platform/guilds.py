"""Repository for guilds and members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.db.upsert import upsert
from bot.platform.tables import guilds, members


async def seen_guild(conn: AsyncConnection, guild_id: int, name: str, *, now: datetime) -> None:
    await upsert(
        conn, guilds, {"id": guild_id, "name": name, "joined_at": now, "left_at": None},
        keys=["id"], update=["name", "left_at"],
    )


async def left_guild(conn: AsyncConnection, guild_id: int, *, now: datetime) -> None:
    await conn.execute(update(guilds).where(guilds.c.id == guild_id).values(left_at=now))


async def seen_member(
    conn: AsyncConnection, guild_id: int, user_id: int, *, display_name: str | None, joined_at: datetime | None,
    now: datetime,
) -> None:
    await upsert(
        conn, members,
        {"guild_id": guild_id, "user_id": user_id, "display_name": display_name, "first_seen_at": now,
         "joined_at": joined_at, "left_at": None},
        keys=["guild_id", "user_id"], update=["display_name", "joined_at", "left_at"],
    )


async def left_member(conn: AsyncConnection, guild_id: int, user_id: int, *, now: datetime) -> None:
    """Record the departure (creating the row for members Kudos never saw join)."""
    await upsert(
        conn, members, {"guild_id": guild_id, "user_id": user_id, "first_seen_at": now, "left_at": now},
        keys=["guild_id", "user_id"], update=["left_at"],
    )


async def member_joined_at(conn: AsyncConnection, guild_id: int, user_id: int) -> datetime | None:
    """When the member joined the server, as last recorded (``None``: unknown)."""
    result = await conn.execute(
        select(members.c.joined_at).where(members.c.guild_id == guild_id, members.c.user_id == user_id)
    )
    return result.scalar_one_or_none()


async def known_guild_ids(conn: AsyncConnection) -> list[int]:
    return list((await conn.execute(select(guilds.c.id).where(guilds.c.left_at.is_(None)))).scalars())


async def member_rows(conn: AsyncConnection, guild_id: int, user_ids: list[int]) -> dict[int, tuple[Any, Any]]:
    """``{user_id: (joined_at, left_at)}`` as last recorded, for those of ``user_ids`` with a row."""
    if not user_ids:
        return {}
    rows = await conn.execute(select(members.c.user_id, members.c.joined_at, members.c.left_at).where(
        members.c.guild_id == guild_id, members.c.user_id.in_(user_ids)))
    return {int(r.user_id): (r.joined_at, r.left_at) for r in rows}

