"""Repository for the audit log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, insert, or_, select, update
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


async def erase_member(conn: AsyncConnection, guild_id: int, user_id: int, pseudonym: int) -> int:
    """Erasure: the guild's entries keep what happened, with the member's id replaced by the pseudonym as actor,
    as target and inside ``details``. Returns how many entries changed."""
    a = audit_log.c
    rows = await conn.execute(
        select(a.id, a.actor_id, a.target_id, a.details)
        .where(a.guild_id == guild_id,
               or_(a.actor_id == user_id, a.target_id == user_id, cast(a.details, String).contains(str(user_id))))
    )
    changed = 0
    for row in rows.all():
        text = json.dumps(row.details)
        details = json.loads(text.replace(str(user_id), str(pseudonym))) if str(user_id) in text else row.details
        await conn.execute(
            update(audit_log).where(a.id == row.id).values(
                actor_id=pseudonym if row.actor_id == user_id else row.actor_id,
                target_id=pseudonym if row.target_id == user_id else row.target_id,
                details=details,
            )
        )
        changed += 1
    return changed
