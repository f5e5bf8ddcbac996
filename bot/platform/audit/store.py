"""Repository for the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.tables import audit_log


async def add(conn: AsyncConnection, **values: Any) -> int:
    result = await conn.execute(insert(audit_log).values(**values).returning(audit_log.c.id))
    return result.scalar_one()


async def recent(
    conn: AsyncConnection, guild_id: int, *, limit: int = 50, action: str | None = None,
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    stmt = select(audit_log).where(audit_log.c.guild_id == guild_id)
    if action is not None:
        stmt = stmt.where(audit_log.c.action == action)
    if since is not None:
        stmt = stmt.where(audit_log.c.created_at >= since)
    stmt = stmt.order_by(audit_log.c.created_at.desc(), audit_log.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in await conn.execute(stmt)]
