"""Repository for the staff dashboard: used login nonces, sessions, and the read-only lists its pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.dashboard.tables import web_login_nonces, web_sessions
from bot.platform.db.upsert import insert_for
from bot.platform.tables import audit_log, members
from bot.rewards.store import Grant, _grant
from bot.rewards.tables import grants, perk_codes


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


async def failed_grants(conn: AsyncConnection, guild_id: int, *, limit: int = 50) -> list[Grant]:
    rows = await conn.execute(
        select(grants).where(grants.c.guild_id == guild_id, grants.c.status == "failed")
        .order_by(grants.c.id.desc()).limit(limit)
    )
    return [_grant(r) for r in rows]


async def grant_counts(conn: AsyncConnection, guild_id: int, since: datetime) -> dict[str, int]:
    """Grants created since ``since``, by status."""
    rows = await conn.execute(
        select(grants.c.status, func.count()).where(grants.c.guild_id == guild_id, grants.c.created_at >= since)
        .group_by(grants.c.status)
    )
    return {str(status): int(n) for status, n in rows}


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


async def pool_codes(conn: AsyncConnection, pool_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest codes of a pool, for the dashboard to show *masked* (the caller masks them)."""
    rows = await conn.execute(
        select(perk_codes.c.id, perk_codes.c.code, perk_codes.c.assigned_to, perk_codes.c.assigned_at,
               perk_codes.c.expires_at, perk_codes.c.voided_at)
        .where(perk_codes.c.pool_id == pool_id).order_by(perk_codes.c.id.desc()).limit(limit)
    )
    return [dict(r._mapping) for r in rows]
