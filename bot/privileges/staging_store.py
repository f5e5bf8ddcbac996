"""SQL of the staging ground (``staging_posts``, ``staging_reviews``): bound parameters only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.db.upsert import upsert
from bot.privileges.tables import staging_posts, staging_reviews

sp, sr = staging_posts.c, staging_reviews.c


@dataclass(frozen=True, slots=True)
class Staged:
    thread_id: int
    guild_id: int
    author_id: int
    state: str
    release_at: datetime


async def get(conn: AsyncConnection, thread_id: int) -> Staged | None:
    row = (await conn.execute(select(sp.thread_id, sp.guild_id, sp.author_id, sp.state, sp.release_at)
                              .where(sp.thread_id == thread_id))).one_or_none()
    return Staged(int(row[0]), int(row[1]), int(row[2]), str(row[3]), row[4]) if row is not None else None


async def has_post(conn: AsyncConnection, guild_id: int, author_id: int) -> bool:
    return (await conn.execute(select(sp.thread_id).where(sp.guild_id == guild_id, sp.author_id == author_id)
                               .limit(1))).first() is not None


async def add(conn: AsyncConnection, **values: object) -> None:
    await conn.execute(insert(staging_posts).values(**values))


async def set_state(conn: AsyncConnection, thread_id: int, state: str, *, only_from: str) -> bool:
    result = await conn.execute(update(staging_posts).where(sp.thread_id == thread_id, sp.state == only_from)
                                .values(state=state))
    return bool(result.rowcount)


async def review(conn: AsyncConnection, **values: object) -> None:
    """A reviewer's pass or suggestion (their latest replaces the earlier one)."""
    await upsert(conn, staging_reviews, dict(values), keys=["thread_id", "reviewer_id"],
                 update=["action", "title", "note", "accepted", "created_at"])


async def suggestion(conn: AsyncConnection, thread_id: int, reviewer_id: int) -> tuple[str, str] | None:
    row = (await conn.execute(select(sr.title, sr.note).where(
        sr.thread_id == thread_id, sr.reviewer_id == reviewer_id, sr.action == "suggest"))).one_or_none()
    return (str(row[0]), str(row[1])) if row is not None else None


async def accept(conn: AsyncConnection, thread_id: int, reviewer_id: int) -> None:
    await conn.execute(update(staging_reviews).where(sr.thread_id == thread_id, sr.reviewer_id == reviewer_id)
                       .values(accepted=True))


async def reviewers(conn: AsyncConnection, thread_id: int) -> list[int]:
    rows = await conn.execute(select(sr.reviewer_id).where(sr.thread_id == thread_id).order_by(sr.id))
    return [int(r) for (r,) in rows]
