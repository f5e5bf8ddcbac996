"""The "what we changed because of you" posts the public changelog shows: posted ones only, with where they
are in Discord (for the jump link) and when they went out. Their text is not read: it mentions members, and
the public page lists the beta's public shipped items itself (names only of members who opted in).

Posts are few per server, so this query's result is also the cache's version of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.announcements.tables import announcements


@dataclass(frozen=True, slots=True)
class ChangesPost:
    id: int
    beta_id: int
    channel_id: int
    message_id: int | None
    posted_at: datetime


async def changes_posts(conn: AsyncConnection, guild_id: int) -> list[ChangesPost]:
    """The guild's posted "what we changed" posts, newest first."""
    a = announcements
    rows = await conn.execute(
        select(a.c.id, a.c.subject_id, a.c.channel_id, a.c.message_id, a.c.posted_at)
        .where(a.c.guild_id == guild_id, a.c.subject == "changes", a.c.status == "posted",
               a.c.subject_id.is_not(None), a.c.posted_at.is_not(None))
        .order_by(a.c.posted_at.desc(), a.c.id.desc())
    )
    return [ChangesPost(*row) for row in rows]
