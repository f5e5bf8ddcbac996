"""SQL of the settings (SQLAlchemy Core, bound parameters only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.db.upsert import insert_for
from bot.settings.tables import setting_overrides, setting_versions

o = setting_overrides.c


@dataclass(frozen=True, slots=True)
class OverrideRow:
    key: str
    value: str | None  # inline TOML; None once reset
    version: int
    updated_by: int | None
    updated_at: datetime


async def bump_version(conn: AsyncConnection, guild_id: int) -> int:
    """Raise the guild's settings version and return it. The row stays locked until the transaction ends, so
    two changes of one server are applied one after the other (and versions come out in commit order)."""
    stmt = insert_for(conn, setting_versions).values(guild_id=guild_id, version=1)
    stmt = stmt.on_conflict_do_update(index_elements=["guild_id"],
                                      set_={"version": setting_versions.c.version + 1})
    result = await conn.execute(stmt.returning(setting_versions.c.version))
    return int(result.scalar_one())


async def versions(conn: AsyncConnection) -> dict[int, int]:
    """Every server's settings version (the poll of other processes' changes)."""
    rows = await conn.execute(select(setting_versions.c.guild_id, setting_versions.c.version))
    return {int(r.guild_id): int(r.version) for r in rows}


async def overrides(conn: AsyncConnection, guild_id: int | None = None) -> dict[int, dict[str, OverrideRow]]:
    """The override rows (reset ones included), by guild and key."""
    stmt = select(o.guild_id, o.key, o.value, o.version, o.updated_by, o.updated_at)
    if guild_id is not None:
        stmt = stmt.where(o.guild_id == guild_id)
    found: dict[int, dict[str, OverrideRow]] = {}
    for r in await conn.execute(stmt):
        found.setdefault(int(r.guild_id), {})[r.key] = OverrideRow(r.key, r.value, int(r.version), r.updated_by,
                                                                   r.updated_at)
    return found


async def write(conn: AsyncConnection, guild_id: int, key: str, value: str | None, *, version: int,
                actor_id: int | None, now: datetime) -> None:
    values = {"guild_id": guild_id, "key": key, "value": value, "version": version, "updated_by": actor_id,
              "updated_at": now}
    stmt = insert_for(conn, setting_overrides).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["guild_id", "key"],
                                      set_={k: stmt.excluded[k] for k in ("value", "version", "updated_by",
                                                                           "updated_at")})
    await conn.execute(stmt)
