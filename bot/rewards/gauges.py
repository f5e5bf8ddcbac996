"""Counts the operations listener reads at scrape time (``/metrics``, see docs/operations.md): grants by action
and status, and each perk pool's codes still available. Plain reads of rewards' own tables; no member ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.rewards.store import _usable
from bot.rewards.tables import grants, perk_codes, perk_pools


async def grant_counts(conn: AsyncConnection) -> dict[tuple[str, str], int]:
    """How many grants there are per ``(action, status)``."""
    rows = await conn.execute(select(grants.c.action, grants.c.status, func.count())
                              .group_by(grants.c.action, grants.c.status))
    return {(action, status): int(n) for action, status, n in rows}


async def pool_stock(conn: AsyncConnection, *, now: datetime) -> dict[tuple[int, str], int]:
    """Codes still available per ``(guild_id, pool name)`` (0 for a pool that ran out)."""
    usable = (select(perk_codes.c.pool_id, func.count().label("n")).where(_usable(now))
              .group_by(perk_codes.c.pool_id).subquery())
    rows = await conn.execute(select(perk_pools.c.guild_id, perk_pools.c.name, func.coalesce(usable.c.n, 0))
                              .select_from(perk_pools.outerjoin(usable, usable.c.pool_id == perk_pools.c.id)))
    return {(int(guild_id), name): int(n) for guild_id, name, n in rows}
