"""Repository for the Discord side of contributions: accepted solutions and featured posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.contributions.tables import featured_posts, solutions

# --------------------------------------------------------------------------- solutions


async def solution(conn: AsyncConnection, thread_id: int, message_id: int) -> Any | None:
    return (await conn.execute(select(solutions).where(
        solutions.c.thread_id == thread_id, solutions.c.message_id == message_id))).first()


async def active_solutions(conn: AsyncConnection, guild_id: int, thread_id: int) -> list[Any]:
    return list(await conn.execute(select(solutions).where(
        solutions.c.guild_id == guild_id, solutions.c.thread_id == thread_id, solutions.c.active.is_(True),
    ).order_by(solutions.c.id)))


async def add_solution(conn: AsyncConnection, **values: Any) -> int:
    return (await conn.execute(insert(solutions).values(**values).returning(solutions.c.id))).scalar_one()


async def reactivate_solution(conn: AsyncConnection, solution_id: int, *, accepted_by: int,
                              contribution_id: int | None, now: datetime) -> None:
    await conn.execute(update(solutions).where(solutions.c.id == solution_id).values(
        active=True, accepted_by=accepted_by, contribution_id=contribution_id, created_at=now, ended_at=None))


async def end_solutions(conn: AsyncConnection, ids: Sequence[int], now: datetime) -> None:
    if ids:
        await conn.execute(update(solutions).where(solutions.c.id.in_(list(ids))).values(active=False, ended_at=now))


# --------------------------------------------------------------------------- featured posts


async def featured(conn: AsyncConnection, guild_id: int, message_id: int) -> Any | None:
    return (await conn.execute(select(featured_posts).where(
        featured_posts.c.guild_id == guild_id, featured_posts.c.message_id == message_id))).first()


async def add_featured(conn: AsyncConnection, **values: Any) -> int | None:
    """Insert; ``None`` when the message was already featured (a savepoint keeps ``conn`` usable)."""
    try:
        async with conn.begin_nested():
            stmt = insert(featured_posts).values(**values).returning(featured_posts.c.id)
            return (await conn.execute(stmt)).scalar_one()
    except IntegrityError:
        return None


async def set_showcase_message(conn: AsyncConnection, featured_id: int, message_id: int) -> None:
    await conn.execute(update(featured_posts).where(featured_posts.c.id == featured_id)
                       .values(showcase_message_id=message_id))
