"""SQL of the feedback's merge proposals (``feedback_merge_proposals``): bound parameters only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback.tables import feedback_merge_proposals

mp = feedback_merge_proposals.c


@dataclass(frozen=True, slots=True)
class Proposal:
    id: int
    guild_id: int
    item_id: int
    into_id: int
    proposer_id: int
    state: str  # open | merged | declined
    decided_by: int | None
    decided_at: datetime | None
    credited: bool
    card_channel_id: int | None
    card_message_id: int | None
    created_at: datetime


def _proposal(row: Any) -> Proposal:
    return Proposal(int(row.id), int(row.guild_id), int(row.item_id), int(row.into_id), int(row.proposer_id),
                    str(row.state), int(row.decided_by) if row.decided_by is not None else None, row.decided_at,
                    bool(row.credited), int(row.card_channel_id) if row.card_channel_id is not None else None,
                    int(row.card_message_id) if row.card_message_id is not None else None, row.created_at)


async def add(conn: AsyncConnection, **values: Any) -> int:
    result = await conn.execute(insert(feedback_merge_proposals).values(**values).returning(mp.id))
    return int(result.scalar_one())


async def get(conn: AsyncConnection, guild_id: int, proposal_id: int, *, for_update: bool = False) -> Proposal | None:
    query = select(feedback_merge_proposals).where(mp.id == proposal_id, mp.guild_id == guild_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).one_or_none()
    return _proposal(row) if row is not None else None


async def of_item(conn: AsyncConnection, item_id: int) -> list[Proposal]:
    rows = await conn.execute(select(feedback_merge_proposals).where(mp.item_id == item_id).order_by(mp.id))
    return [_proposal(r) for r in rows]


async def open_count(conn: AsyncConnection, guild_id: int, proposer_id: int) -> int:
    return int((await conn.execute(select(func.count()).select_from(feedback_merge_proposals).where(
        mp.guild_id == guild_id, mp.proposer_id == proposer_id, mp.state == "open"))).scalar_one())


async def credited_since(conn: AsyncConnection, guild_id: int, proposer_id: int, since: datetime) -> int:
    """Confirmed merges of the member credited since ``since`` (the daily cap counts these)."""
    return int((await conn.execute(select(func.count()).select_from(feedback_merge_proposals).where(
        mp.guild_id == guild_id, mp.proposer_id == proposer_id, mp.credited.is_(True),
        mp.decided_at >= since))).scalar_one())


async def update_proposal(conn: AsyncConnection, proposal_id: int, **values: Any) -> None:
    await conn.execute(update(feedback_merge_proposals).where(mp.id == proposal_id).values(**values))
