"""Repository for the staff dashboard: used login nonces, sessions, and the read-only lists its pages show
(the rewards page's grants and codes come from :class:`bot.rewards.RewardsService`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.dashboard.tables import web_login_nonces, web_sessions
from bot.platform.db.upsert import insert_for
from bot.platform.tables import audit_log, members


@dataclass(frozen=True, slots=True)
class SessionRow:
    id_hash: str
    guild_id: int
    user_id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


# --------------------------------------------------------------------------- login nonces and sessions


async def use_nonce(conn: AsyncConnection, nonce: str, *, guild_id: int, user_id: int, now: datetime,
                    expires_at: datetime) -> bool:
    """Record a login nonce as used; ``False`` when it was used before (the primary key decides, atomically)."""
    stmt = insert_for(conn, web_login_nonces).values(nonce=nonce, guild_id=guild_id, user_id=user_id, used_at=now,
                                                     expires_at=expires_at)
    result = await conn.execute(stmt.on_conflict_do_nothing(index_elements=["nonce"]))
    return bool(result.rowcount)


async def create_session(conn: AsyncConnection, *, id_hash: str, guild_id: int, user_id: int, now: datetime,
                         expires_at: datetime) -> None:
    await conn.execute(web_sessions.insert().values(id_hash=id_hash, guild_id=guild_id, user_id=user_id,
                                                    created_at=now, expires_at=expires_at))


async def session(conn: AsyncConnection, id_hash: str) -> SessionRow | None:
    row = (await conn.execute(select(web_sessions).where(web_sessions.c.id_hash == id_hash))).first()
    return SessionRow(**row._mapping) if row is not None else None


async def revoke_session(conn: AsyncConnection, id_hash: str, now: datetime) -> None:
    await conn.execute(update(web_sessions).where(web_sessions.c.id_hash == id_hash,
                                                  web_sessions.c.revoked_at.is_(None)).values(revoked_at=now))


async def revoke_member_sessions(conn: AsyncConnection, guild_id: int, user_id: int, now: datetime) -> int:
    result = await conn.execute(update(web_sessions).where(
        web_sessions.c.guild_id == guild_id, web_sessions.c.user_id == user_id,
        web_sessions.c.revoked_at.is_(None)).values(revoked_at=now))
    return result.rowcount or 0


async def purge(conn: AsyncConnection, now: datetime) -> int:
    """Forget expired nonces (an expired link is refused by its signature anyway) and ended sessions."""
    a = await conn.execute(delete(web_login_nonces).where(web_login_nonces.c.expires_at < now))
    b = await conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
    return int(a.rowcount or 0) + int(b.rowcount or 0)


# --------------------------------------------------------------------------- page data


async def member_names(conn: AsyncConnection, guild_id: int, query: str, *, limit: int = 25) -> list[tuple[int, str]]:
    """Members recorded in the database whose display name contains ``query`` (case-insensitive)."""
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await conn.execute(
        select(members.c.user_id, members.c.display_name)
        .where(members.c.guild_id == guild_id, members.c.erased_at.is_(None),
               func.lower(members.c.display_name).like(pattern.lower(), escape="\\"))
        .order_by(members.c.display_name).limit(limit)
    )
    return [(int(u), str(n)) for u, n in rows]


async def audit(
    conn: AsyncConnection, guild_id: int, *, member_id: int | None = None, action: str | None = None,
    since: datetime | None = None, until: datetime | None = None, limit: int = 100,
) -> list[dict[str, Any]]:
    """Audit entries of a guild, newest first; ``member_id`` matches the actor or the target, ``action`` an
    exact action or a prefix ending in '.' (``reward.``)."""
    stmt = select(audit_log).where(audit_log.c.guild_id == guild_id)
    if member_id is not None:
        stmt = stmt.where(or_(audit_log.c.actor_id == member_id, audit_log.c.target_id == member_id))
    if action:
        if action.endswith("."):
            stmt = stmt.where(audit_log.c.action.like(action.replace("%", "").replace("_", "\\_") + "%", escape="\\"))
        else:
            stmt = stmt.where(audit_log.c.action == action)
    if since is not None:
        stmt = stmt.where(audit_log.c.created_at >= since)
    if until is not None:
        stmt = stmt.where(audit_log.c.created_at < until)
    stmt = stmt.order_by(audit_log.c.created_at.desc(), audit_log.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in await conn.execute(stmt)]


async def audit_actions(conn: AsyncConnection, guild_id: int) -> list[str]:
    rows = await conn.execute(select(audit_log.c.action).where(audit_log.c.guild_id == guild_id).distinct())
    return sorted(str(r[0]) for r in rows)

