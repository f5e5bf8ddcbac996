"""Repository for beta programs and their participants (the budget's announcements are
:mod:`bot.announcements.budget`, a beta's feedback :mod:`bot.feedback.queries`).

Joining and leaving change capacity, so they run under :func:`lock_beta`: ``BEGIN IMMEDIATE`` on SQLite
(the database write lock, taken before the first read) and ``SELECT … FOR UPDATE`` of the beta's row on
PostgreSQL. Every count-then-write of a join happens under that lock, so a beta is never one member over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.betas.tables import beta_participants, betas


@dataclass(frozen=True, slots=True)
class BetaRow:
    id: int
    guild_id: int
    name: str
    description: str
    incentive: str
    terms: str
    capacity: int | None
    waitlist: bool
    eligibility: dict[str, Any]
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    announcement_channel_id: int | None
    announcement_message_id: int | None
    feedback_forum_id: int | None
    cohort_role_id: int | None
    created_by: int
    created_at: datetime
    closed_at: datetime | None
    thread_id: int | None
    private_channel_id: int | None


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    beta_id: int
    user_id: int
    status: str
    terms_accepted_at: datetime | None
    joined_at: datetime
    left_at: datetime | None
    seq: int
    reminders: bool


def _beta(row: Any) -> BetaRow:
    return BetaRow(**{name: getattr(row, name) for name in BetaRow.__slots__})


def _participant(row: Any) -> ParticipantRow:
    return ParticipantRow(**{name: getattr(row, name) for name in ParticipantRow.__slots__})


# --------------------------------------------------------------------------- locking


async def lock_beta(conn: AsyncConnection, beta_id: int) -> None:
    """Serialize capacity changes of one beta until the end of the transaction."""
    if conn.dialect.name == "sqlite":
        raw = await conn.get_raw_connection()
        if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    await conn.execute(select(betas.c.id).where(betas.c.id == beta_id).with_for_update())


# --------------------------------------------------------------------------- betas


async def create(conn: AsyncConnection, **values: Any) -> int:
    return int((await conn.execute(insert(betas).values(**values).returning(betas.c.id))).scalar_one())


async def get(conn: AsyncConnection, guild_id: int, beta_id: int) -> BetaRow | None:
    row = (await conn.execute(select(betas).where(betas.c.guild_id == guild_id, betas.c.id == beta_id))).first()
    return _beta(row) if row is not None else None


async def by_id(conn: AsyncConnection, beta_id: int) -> BetaRow | None:
    row = (await conn.execute(select(betas).where(betas.c.id == beta_id))).first()
    return _beta(row) if row is not None else None


async def by_name(conn: AsyncConnection, guild_id: int, name: str) -> BetaRow | None:
    row = (await conn.execute(select(betas).where(betas.c.guild_id == guild_id,
                                                  func.lower(betas.c.name) == name.lower()))).first()
    return _beta(row) if row is not None else None


async def all_for(conn: AsyncConnection, guild_id: int) -> list[BetaRow]:
    rows = await conn.execute(select(betas).where(betas.c.guild_id == guild_id).order_by(betas.c.id))
    return [_beta(r) for r in rows]


async def names(conn: AsyncConnection, guild_id: int, prefix: str, *, limit: int = 25) -> list[str]:
    pattern = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await conn.execute(select(betas.c.name).where(
        betas.c.guild_id == guild_id, func.lower(betas.c.name).like(pattern, escape="\\"),
    ).order_by(betas.c.id.desc()).limit(limit))
    return [r[0] for r in rows]


async def id_named(conn: AsyncConnection, guild_id: int, name: str) -> int | None:
    """The beta called exactly ``name`` (case-sensitive; :func:`by_name` is not)."""
    row = (await conn.execute(select(betas.c.id).where(betas.c.guild_id == guild_id, betas.c.name == name))).first()
    return int(row.id) if row is not None else None


async def names_newest_first(conn: AsyncConnection, guild_id: int) -> list[str]:
    rows = await conn.execute(select(betas.c.name).where(betas.c.guild_id == guild_id).order_by(
        betas.c.created_at.desc(), betas.c.id.desc()))
    return [str(n) for n in rows.scalars()]


async def id_for_forum(conn: AsyncConnection, guild_id: int, forum_id: int) -> int | None:
    row = (await conn.execute(select(betas.c.id).where(betas.c.guild_id == guild_id,
                                                         betas.c.feedback_forum_id == forum_id))).first()
    return int(row.id) if row is not None else None


async def feedback_forums(conn: AsyncConnection, guild_id: int) -> set[int]:
    rows = await conn.execute(select(betas.c.feedback_forum_id).where(
        betas.c.guild_id == guild_id, betas.c.feedback_forum_id.is_not(None)))
    return {int(r) for r in rows.scalars()}


async def update_beta(conn: AsyncConnection, beta_id: int, **values: Any) -> None:
    await conn.execute(update(betas).where(betas.c.id == beta_id).values(**values))


async def delete_beta(conn: AsyncConnection, beta_id: int) -> None:
    await conn.execute(betas.delete().where(betas.c.id == beta_id))


# --------------------------------------------------------------------------- participants


async def participant(conn: AsyncConnection, beta_id: int, user_id: int) -> ParticipantRow | None:
    row = (await conn.execute(select(beta_participants).where(
        beta_participants.c.beta_id == beta_id, beta_participants.c.user_id == user_id))).first()
    return _participant(row) if row is not None else None


async def counts(conn: AsyncConnection, beta_id: int) -> dict[str, int]:
    rows = await conn.execute(
        select(beta_participants.c.status, func.count()).where(beta_participants.c.beta_id == beta_id)
        .group_by(beta_participants.c.status)
    )
    return {status: int(n) for status, n in rows}


async def next_seq(conn: AsyncConnection, beta_id: int) -> int:
    result = await conn.execute(select(func.coalesce(func.max(beta_participants.c.seq), 0))
                                .where(beta_participants.c.beta_id == beta_id))
    return int(result.scalar_one()) + 1


async def put_participant(conn: AsyncConnection, *, beta_id: int, user_id: int, exists: bool, **values: Any) -> None:
    if exists:
        await conn.execute(update(beta_participants).where(
            beta_participants.c.beta_id == beta_id, beta_participants.c.user_id == user_id).values(**values))
    else:
        await conn.execute(insert(beta_participants).values(beta_id=beta_id, user_id=user_id, **values))


async def set_participant(conn: AsyncConnection, beta_id: int, user_id: int, **values: Any) -> bool:
    result = await conn.execute(update(beta_participants).where(
        beta_participants.c.beta_id == beta_id, beta_participants.c.user_id == user_id).values(**values))
    return bool(result.rowcount)


async def by_status(conn: AsyncConnection, beta_id: int, statuses: Sequence[str], *,
                    limit: int | None = None) -> list[ParticipantRow]:
    stmt = (select(beta_participants)
            .where(beta_participants.c.beta_id == beta_id, beta_participants.c.status.in_(list(statuses)))
            .order_by(beta_participants.c.seq))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_participant(r) for r in await conn.execute(stmt)]


async def betas_joined(conn: AsyncConnection, guild_id: int, user_id: int) -> int:
    """How many of the guild's betas the member joined (still in, left after joining, or removed; not those
    only waitlisted)."""
    return int((await conn.execute(
        select(func.count()).select_from(beta_participants.join(betas, betas.c.id == beta_participants.c.beta_id))
        .where(betas.c.guild_id == guild_id, beta_participants.c.user_id == user_id,
               beta_participants.c.status.in_(("joined", "left", "removed")))
    )).scalar_one())


async def waitlist_position(conn: AsyncConnection, beta_id: int, seq: int) -> int:
    result = await conn.execute(select(func.count()).select_from(beta_participants).where(
        beta_participants.c.beta_id == beta_id, beta_participants.c.status == "waitlisted",
        beta_participants.c.seq <= seq))
    return int(result.scalar_one())
