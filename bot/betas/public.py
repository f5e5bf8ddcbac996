"""The betas the public pages show (``/p/<slug>/betas``): announced betas that are open or closed, with only
what their Discord announcement already told the server (name, description, incentive, dates, spots left, the
announcement's address) and how many took part. Never eligibility rules, roles, private channels, terms or
who joined.

Betas are few per server, so this one grouped query is also the cache's version of them: the public pages
compare its result with the cached one on every request (a join, a leave, an edit or a close shows at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.betas.tables import beta_participants, betas


@dataclass(frozen=True, slots=True)
class PublicBeta:
    id: int
    name: str
    description: str
    incentive: str
    status: str  # open, closed
    capacity: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    closed_at: datetime | None
    channel_id: int
    message_id: int
    joined: int  # in the beta now
    took_part: int  # ever joined (in now, or left)

    @property
    def spots_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.joined, 0)


async def public_betas(conn: AsyncConnection, guild_id: int) -> list[PublicBeta]:
    """Open betas (newest first), then closed ones (latest closed first); only announced ones."""
    p = beta_participants
    joined = func.coalesce(func.sum(case((p.c.status == "joined", 1), else_=0)), 0)
    took_part = func.coalesce(func.sum(case((p.c.status.in_(("joined", "left")), 1), else_=0)), 0)
    rows = await conn.execute(
        select(betas.c.id, betas.c.name, betas.c.description, betas.c.incentive, betas.c.status, betas.c.capacity,
               betas.c.starts_at, betas.c.ends_at, betas.c.closed_at, betas.c.announcement_channel_id,
               betas.c.announcement_message_id, joined, took_part)
        .select_from(betas.outerjoin(p, p.c.beta_id == betas.c.id))
        .where(and_(betas.c.guild_id == guild_id, betas.c.status.in_(("open", "closed")),
                    betas.c.announcement_channel_id.is_not(None), betas.c.announcement_message_id.is_not(None)))
        .group_by(betas.c.id)
        .order_by(betas.c.id.desc())
    )
    found = [PublicBeta(*row[:11], int(row[11]), int(row[12])) for row in rows]
    return [b for b in found if b.status == "open"] + sorted(
        (b for b in found if b.status == "closed"), key=lambda b: b.closed_at.timestamp() if b.closed_at else 0.0, reverse=True)
