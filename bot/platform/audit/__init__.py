"""The audit log: who did what, for staff and for members' data requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.audit import store as repo


async def record(
    conn: AsyncConnection,
    *,
    now: datetime,
    action: str,
    guild_id: int | None = None,
    actor_id: int | None = None,
    target_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    if not action:
        raise ValueError("an audit entry needs an action")
    return await repo.add(
        conn, guild_id=guild_id, actor_id=actor_id, action=action, target_id=target_id,
        details=details or {}, created_at=now,
    )
