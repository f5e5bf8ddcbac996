"""SQL of the linked-roles table (SQLAlchemy Core, bound parameters only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.linkedroles.tables import linked_role_links as links
from bot.platform.db.upsert import insert_for


@dataclass(frozen=True, slots=True)
class Link:
    user_id: int
    guild_id: int
    access_enc: str
    refresh_enc: str
    expires_at: datetime
    scope: str
    linked_at: datetime
    state: str
    dirty_since: datetime | None
    published: dict[str, str] | None
    published_at: datetime | None


def _link(row: Any) -> Link:
    m = row._mapping
    return Link(int(m["user_id"]), int(m["guild_id"]), m["access_enc"], m["refresh_enc"], m["expires_at"],
                m["scope"], m["linked_at"], m["state"], m["dirty_since"], m["published"], m["published_at"])


async def get(conn: AsyncConnection, user_id: int) -> Link | None:
    row = (await conn.execute(select(links).where(links.c.user_id == user_id))).one_or_none()
    return _link(row) if row is not None else None


async def put_link(conn: AsyncConnection, *, user_id: int, guild_id: int, access_enc: str, refresh_enc: str,
                   expires_at: datetime, scope: str, now: datetime) -> None:
    """Link (or link again: new tokens, numbers to publish)."""
    values = {"guild_id": guild_id, "access_enc": access_enc, "refresh_enc": refresh_enc, "expires_at": expires_at,
              "scope": scope, "linked_at": now, "state": "linked", "dirty_since": now}
    stmt = insert_for(conn, links).values(user_id=user_id, **values)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=values))


async def set_tokens(conn: AsyncConnection, user_id: int, *, access_enc: str, refresh_enc: str,
                     expires_at: datetime) -> None:
    await conn.execute(update(links).where(links.c.user_id == user_id).values(
        access_enc=access_enc, refresh_enc=refresh_enc, expires_at=expires_at))


async def mark_dirty(conn: AsyncConnection, guild_id: int, user_id: int, now: datetime) -> bool:
    """The member's numbers changed: queue them for the next batch. False when the member has not linked."""
    result = await conn.execute(
        update(links).where(links.c.user_id == user_id, links.c.guild_id == guild_id, links.c.state == "linked",
                            links.c.dirty_since.is_(None)).values(dirty_since=now))
    if result.rowcount:
        return True
    found = await conn.execute(select(links.c.user_id).where(
        links.c.user_id == user_id, links.c.guild_id == guild_id, links.c.state == "linked"))
    return found.first() is not None  # already queued


async def dirty(conn: AsyncConnection, *, limit: int) -> list[Link]:
    rows = await conn.execute(select(links).where(links.c.state == "linked", links.c.dirty_since.is_not(None))
                              .order_by(links.c.dirty_since, links.c.user_id).limit(limit))
    return [_link(r) for r in rows]


async def published(conn: AsyncConnection, user_id: int, *, values: dict[str, str], now: datetime,
                    dirty_since: datetime) -> None:
    """Record what Discord now shows; the member stays queued if their numbers changed again meanwhile."""
    await conn.execute(update(links).where(links.c.user_id == user_id).values(published=values, published_at=now))
    await conn.execute(update(links).where(links.c.user_id == user_id, links.c.dirty_since <= dirty_since)
                       .values(dirty_since=None))


async def set_clearing(conn: AsyncConnection, user_id: int) -> bool:
    result = await conn.execute(update(links).where(links.c.user_id == user_id)
                                .values(state="clearing", dirty_since=None))
    return bool(result.rowcount)


async def remove(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(delete(links).where(links.c.user_id == user_id))


async def pseudonymise(conn: AsyncConnection, guild_id: int, user_id: int, pseudonym: int) -> int:
    """Erasure: the row moves to the pseudonym and is being cleared (its role connection, then the row)."""
    result = await conn.execute(update(links).where(links.c.user_id == user_id, links.c.guild_id == guild_id).values(
        user_id=pseudonym, state="clearing", dirty_since=None, published=None, published_at=None))
    return int(result.rowcount or 0)

