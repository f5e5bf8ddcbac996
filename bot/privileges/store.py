"""SQL of the privileges feature (``member_privileges``, ``privilege_moves``): bound parameters only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.privileges.tables import member_privileges, privilege_moves

mp = member_privileges.c


@dataclass(frozen=True, slots=True)
class Held:
    privilege: str
    held: bool
    pin: str
    pin_reason: str
    pinned_by: int | None
    since: datetime


# Built once (/profile reads it on every call): building a statement costs more than running it here.
_OF_MEMBER = (select(mp.privilege, mp.held, mp.pin, mp.pin_reason, mp.pinned_by, mp.since)
              .where(mp.guild_id == bindparam("guild_id"), mp.user_id == bindparam("user_id")))


async def of_member(conn: AsyncConnection, guild_id: int, user_id: int) -> dict[str, Held]:
    rows = await conn.execute(_OF_MEMBER, {"guild_id": guild_id, "user_id": user_id})
    return {r[0]: Held(r[0], bool(r[1]), r[2], r[3], int(r[4]) if r[4] is not None else None, r[5]) for r in rows}


async def holds(conn: AsyncConnection, guild_id: int, user_id: int, privilege: str) -> bool:
    held = (await conn.execute(select(mp.held).where(
        mp.guild_id == guild_id, mp.user_id == user_id, mp.privilege == privilege))).scalar_one_or_none()
    return bool(held)


async def put(conn: AsyncConnection, guild_id: int, user_id: int, privilege: str, *, held: bool, at: datetime,
              exists: bool, pin: str | None = None, pin_reason: str = "", pinned_by: int | None = None) -> None:
    values: dict[str, object] = {"held": held, "since": at}
    if pin is not None:
        values.update(pin=pin, pin_reason=pin_reason, pinned_by=pinned_by)
    if exists:
        await conn.execute(update(member_privileges).where(
            mp.guild_id == guild_id, mp.user_id == user_id, mp.privilege == privilege).values(**values))
    else:
        values.setdefault("pin", "")
        await conn.execute(insert(member_privileges).values(guild_id=guild_id, user_id=user_id,
                                                            privilege=privilege, **values))


async def add_move(conn: AsyncConnection, guild_id: int, user_id: int, privilege: str, *, gained: bool,
                   cause: str, at: datetime) -> int:
    result = await conn.execute(insert(privilege_moves).values(
        guild_id=guild_id, user_id=user_id, privilege=privilege, gained=gained, cause=cause, at=at)
        .returning(privilege_moves.c.id))
    return int(result.scalar_one())


async def members_with_rows(conn: AsyncConnection, guild_id: int) -> list[int]:
    rows = await conn.execute(select(mp.user_id).where(mp.guild_id == guild_id).distinct())
    return sorted(int(u) for (u,) in rows)


async def holders(conn: AsyncConnection, guild_id: int) -> dict[str, int]:
    """Members holding each privilege now."""
    rows = await conn.execute(select(mp.privilege, func.count()).where(mp.guild_id == guild_id, mp.held.is_(True))
                              .group_by(mp.privilege))
    return {str(p): int(n) for p, n in rows}


async def moves_between(conn: AsyncConnection, guild_id: int, start: datetime, end: datetime
                        ) -> list[tuple[int, str, bool, str, datetime]]:
    m = privilege_moves.c
    rows = await conn.execute(select(m.user_id, m.privilege, m.gained, m.cause, m.at)
                              .where(m.guild_id == guild_id, m.at >= start, m.at < end).order_by(m.id))
    return [(int(u), str(p), bool(g), str(c), at) for u, p, g, c, at in rows]
