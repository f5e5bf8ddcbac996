"""Repository for the engagement-ladder stages (``member_stages``, ``stage_moves``, ``stage_ladders``).

Written by :mod:`bot.ledger.stages` in the ledger's transactions; read by /stats (a group by stage on
``ix_member_stages_guild_id_stage``, moves over a period as a range of ``ix_stage_moves_guild_id_at``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, delete, func, insert, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger.tables import contributions, member_stages, member_stats, stage_ladders, stage_moves
from bot.platform.db.upsert import insert_for, upsert
from bot.platform.tables import guilds

# --------------------------------------------------------------------------- ladder key


async def ladder_of(conn: AsyncConnection, guild_id: int, *, share: bool = False, update: bool = False) -> str | None:
    """The key of the ladder the guild's stages were computed with. ``share``/``update``: lock the row until the
    end of the transaction (PostgreSQL; SQLite writers are serialized anyway)."""
    stmt = select(stage_ladders.c.ladder).where(stage_ladders.c.guild_id == guild_id)
    if conn.dialect.name == "postgresql" and (share or update):
        stmt = stmt.with_for_update(read=share and not update)
    return (await conn.execute(stmt)).scalar_one_or_none()


async def start_ladder(conn: AsyncConnection, guild_id: int, key: str, at: datetime) -> None:
    """The guild's ladder row, unless it has one."""
    await upsert(conn, stage_ladders, {"guild_id": guild_id, "ladder": key, "built_at": at}, keys=["guild_id"],
                 update=[])


async def set_ladder(conn: AsyncConnection, guild_id: int, key: str, at: datetime) -> None:
    await upsert(conn, stage_ladders, {"guild_id": guild_id, "ladder": key, "built_at": at}, keys=["guild_id"],
                 update=["ladder", "built_at"])


async def ladder_guilds(conn: AsyncConnection) -> list[int]:
    """Guilds that have stages (or may need them): those with a ladder row, and those Kudos has joined."""
    rows = await conn.execute(select(stage_ladders.c.guild_id).union(select(guilds.c.id)))
    return sorted(int(g) for (g,) in rows)


async def has_totals(conn: AsyncConnection, guild_id: int) -> bool:
    """Whether any member of the guild has ledger totals (a counted row)."""
    return (await conn.execute(
        select(member_stats.c.user_id).where(member_stats.c.guild_id == guild_id).limit(1)
    )).first() is not None


# --------------------------------------------------------------------------- one member


async def stage_of(conn: AsyncConnection, guild_id: int, user_id: int) -> int | None:
    return (await conn.execute(
        select(member_stages.c.stage).where(member_stages.c.guild_id == guild_id, member_stages.c.user_id == user_id)
    )).scalar_one_or_none()


async def stage_since(conn: AsyncConnection, guild_id: int, user_id: int) -> tuple[int, datetime] | None:
    row = (await conn.execute(
        select(member_stages.c.stage, member_stages.c.since)
        .where(member_stages.c.guild_id == guild_id, member_stages.c.user_id == user_id)
    )).one_or_none()
    return (int(row[0]), row[1]) if row is not None else None


async def set_stage(conn: AsyncConnection, guild_id: int, user_id: int, stage: int, since: datetime, *,
                    new: bool) -> None:
    if new:
        await conn.execute(insert(member_stages).values(guild_id=guild_id, user_id=user_id, stage=stage, since=since))
    else:
        await conn.execute(update(member_stages)
                           .where(member_stages.c.guild_id == guild_id, member_stages.c.user_id == user_id)
                           .values(stage=stage, since=since))


async def add_move(conn: AsyncConnection, guild_id: int, user_id: int, before: int, after: int, at: datetime) -> None:
    await conn.execute(insert(stage_moves).values(guild_id=guild_id, user_id=user_id, from_stage=before,
                                                  to_stage=after, at=at))


async def moves_of(conn: AsyncConnection, guild_id: int, user_id: int) -> list[tuple[int, int, datetime]]:
    rows = await conn.execute(
        select(stage_moves.c.from_stage, stage_moves.c.to_stage, stage_moves.c.at)
        .where(stage_moves.c.guild_id == guild_id, stage_moves.c.user_id == user_id).order_by(stage_moves.c.id)
    )
    return [(int(a), int(b), at) for a, b, at in rows]


# --------------------------------------------------------------------------- rebuild


async def clear(conn: AsyncConnection, guild_id: int) -> None:
    await conn.execute(delete(stage_moves).where(stage_moves.c.guild_id == guild_id))
    await conn.execute(delete(member_stages).where(member_stages.c.guild_id == guild_id))


async def counted_rows(conn: AsyncConnection, guild_id: int) -> Any:
    """(user_id, id, kind, points, reverses_id, created_at, held_until) of the guild's counted ledger rows, by
    member (``ix_contributions_guild_id_user_id_created_at``). On SQLite the times come back as the stored text
    (parsing a million datetimes would dominate a rebuild); :func:`as_time` turns one into a datetime."""
    c = contributions.c
    created, held = c.created_at, c.held_until
    if conn.dialect.name == "sqlite":
        created, held = type_coerce(created, String), type_coerce(held, String)
    return await conn.stream(
        select(c.user_id, c.id, c.kind, c.points, c.reverses_id, created, held)
        .where(c.guild_id == guild_id, c.status == "counted")
        .order_by(c.user_id, c.created_at, c.id)
        .execution_options(yield_per=10_000)
    )


def as_time(value: datetime | str) -> datetime:
    """A time from :func:`counted_rows`: aware UTC."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


async def insert_many(conn: AsyncConnection, stage_rows: Sequence[dict[str, Any]],
                      move_rows: Sequence[dict[str, Any]]) -> None:
    if stage_rows:
        await conn.execute(insert_for(conn, member_stages), list(stage_rows))
    if move_rows:
        await conn.execute(insert(stage_moves), list(move_rows))


async def all_stages(conn: AsyncConnection, guild_id: int) -> dict[int, tuple[int, datetime]]:
    rows = await conn.execute(select(member_stages.c.user_id, member_stages.c.stage, member_stages.c.since)
                              .where(member_stages.c.guild_id == guild_id))
    return {int(u): (int(s), since) for u, s, since in rows}


async def all_moves(conn: AsyncConnection, guild_id: int) -> dict[int, list[tuple[int, int, datetime]]]:
    rows = await conn.execute(
        select(stage_moves.c.user_id, stage_moves.c.from_stage, stage_moves.c.to_stage, stage_moves.c.at)
        .where(stage_moves.c.guild_id == guild_id).order_by(stage_moves.c.id))
    out: dict[int, list[tuple[int, int, datetime]]] = {}
    for u, a, b, at in rows:
        out.setdefault(int(u), []).append((int(a), int(b), at))
    return out


# --------------------------------------------------------------------------- /stats


async def members_per_stage(conn: AsyncConnection, guild_id: int) -> dict[int, int]:
    """Members with ledger totals per stage (a covering scan of ``ix_member_stages_guild_id_stage``)."""
    rows = await conn.execute(
        select(member_stages.c.stage, func.count()).where(member_stages.c.guild_id == guild_id)
        .group_by(member_stages.c.stage)
    )
    return {int(s): int(n) for s, n in rows}


async def moves_since(conn: AsyncConnection, guild_id: int, start: datetime) -> list[tuple[int, int, int]]:
    """(stage at ``start``, stage now, members) over members whose stage changed since ``start``: the stage at
    ``start`` is where their first move since then left from."""
    m = stage_moves.c
    first = (
        select(m.user_id, func.min(m.id).label("first"))
        .where(m.guild_id == guild_id, m.at >= start).group_by(m.user_id).subquery()
    )
    moved = stage_moves.alias("moved")
    rows = await conn.execute(
        select(moved.c.from_stage, member_stages.c.stage, func.count())
        .select_from(
            first.join(moved, moved.c.id == first.c.first)
            .join(member_stages, (member_stages.c.guild_id == guild_id) & (member_stages.c.user_id == first.c.user_id))
        )
        .group_by(moved.c.from_stage, member_stages.c.stage)
    )
    return [(int(a), int(b), int(n)) for a, b, n in rows]


async def moves_between(conn: AsyncConnection, guild_id: int, start: datetime) -> list[tuple[int, int, int, datetime]]:
    """(user_id, from_stage, to_stage, at) of every move since ``start``, in order (a range of ``ix_stage_moves_guild_id_at``)."""
    m = stage_moves.c
    rows = await conn.execute(select(m.user_id, m.from_stage, m.to_stage, m.at)
                              .where(m.guild_id == guild_id, m.at >= start).order_by(m.id))
    return [(int(u), int(a), int(b), at) for u, a, b, at in rows]
