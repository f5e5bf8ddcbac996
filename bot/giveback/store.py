"""SQL of the give-back ledger: bound parameters only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.giveback.tables import giveback
from bot.platform.db.upsert import upsert

g = giveback.c


@dataclass(frozen=True, slots=True)
class Given:
    kind: str
    detail: str
    actor_id: int | None
    at: datetime


async def add(conn: AsyncConnection, **values: object) -> None:
    await upsert(conn, giveback, dict(values), keys=["guild_id", "kind", "source_key"], update=[])


# /profile's two reads, built once: building a statement costs more than running it here.
_MEMBER = (g.guild_id == bindparam("guild_id"), g.user_id == bindparam("user_id"))
_OF_MEMBER = (select(g.kind, g.detail, g.actor_id, g.at).where(*_MEMBER)
              .order_by(g.at.desc(), g.id.desc()).limit(bindparam("limit", type_=Integer)))
_COUNTS_OF_MEMBER = select(g.kind, func.count()).where(*_MEMBER).group_by(g.kind)


async def of_member(conn: AsyncConnection, guild_id: int, user_id: int, limit: int) -> list[Given]:
    rows = await conn.execute(_OF_MEMBER, {"guild_id": guild_id, "user_id": user_id, "limit": limit})
    return [Given(str(k), str(d), int(a) if a is not None else None, at) for k, d, a, at in rows]


async def counts_of_member(conn: AsyncConnection, guild_id: int, user_id: int) -> dict[str, int]:
    rows = await conn.execute(_COUNTS_OF_MEMBER, {"guild_id": guild_id, "user_id": user_id})
    return {str(k): int(n) for k, n in rows}


async def since(conn: AsyncConnection, guild_id: int, start: datetime) -> list[datetime]:
    """When each entry since ``start`` was given (for the monthly balance)."""
    rows = await conn.execute(select(g.at).where(g.guild_id == guild_id, g.at >= start))
    return [at for (at,) in rows]


async def members_given(conn: AsyncConnection, guild_id: int, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` were ever given something."""
    out: set[int] = set()
    for start in range(0, len(user_ids), 500):
        rows = await conn.execute(select(g.user_id).where(g.guild_id == guild_id,
                                                          g.user_id.in_(user_ids[start:start + 500])).distinct())
        out |= {int(u) for (u,) in rows}
    return out
