"""Repository for beta programs, their participants and the announcements that count against the budget.

Joining and leaving change capacity, so they run under :func:`lock_beta`: ``BEGIN IMMEDIATE`` on SQLite
(the database write lock, taken before the first read) and ``SELECT … FOR UPDATE`` of the beta's row on
PostgreSQL. Every count-then-write of a join happens under that lock, so a beta is never one member over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.announcements.tables import announcements
from bot.betas.tables import beta_participants, betas
from bot.feedback.tables import feedback


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


@dataclass(frozen=True, slots=True)
class AnnouncementRow:
    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    subject: str
    subject_id: int | None
    status: str
    scheduled_for: datetime
    posted_at: datetime | None
    created_by: int
    created_at: datetime
    thread_id: int | None
    title: str
    body: str
    image: bytes | None
    image_name: str | None
    ping_role_id: int | None
    replies: int | None


def _beta(row: Any) -> BetaRow:
    return BetaRow(**{name: getattr(row, name) for name in BetaRow.__slots__})


def _participant(row: Any) -> ParticipantRow:
    return ParticipantRow(**{name: getattr(row, name) for name in ParticipantRow.__slots__})


def _announcement(row: Any) -> AnnouncementRow:
    return AnnouncementRow(**{name: getattr(row, name) for name in AnnouncementRow.__slots__})


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


async def waitlist_position(conn: AsyncConnection, beta_id: int, seq: int) -> int:
    result = await conn.execute(select(func.count()).select_from(beta_participants).where(
        beta_participants.c.beta_id == beta_id, beta_participants.c.status == "waitlisted",
        beta_participants.c.seq <= seq))
    return int(result.scalar_one())


# --------------------------------------------------------------------------- feedback on a beta (read only)


async def feedback_breakdown(conn: AsyncConnection, beta_id: int) -> list[tuple[str, str, int]]:
    """(type, status, count) of the beta's feedback, most common first."""
    rows = await conn.execute(
        select(feedback.c.type, feedback.c.status, func.count()).where(feedback.c.beta_id == beta_id)
        .group_by(feedback.c.type, feedback.c.status).order_by(func.count().desc(), feedback.c.type)
    )
    return [(t, s, int(n)) for t, s, n in rows]


async def feedback_by_reporter(conn: AsyncConnection, beta_id: int) -> dict[int, int]:
    rows = await conn.execute(
        select(feedback.c.reporter_id, func.count()).where(
            feedback.c.beta_id == beta_id, feedback.c.status.not_in(["pending_review", "rejected"]))
        .group_by(feedback.c.reporter_id)
    )
    return {int(u): int(n) for u, n in rows}


# --------------------------------------------------------------------------- announcements (broadcast budget)


async def create_announcement(conn: AsyncConnection, **values: Any) -> int:
    result = await conn.execute(insert(announcements).values(**values).returning(announcements.c.id))
    return int(result.scalar_one())


async def announcement(conn: AsyncConnection, announcement_id: int) -> AnnouncementRow | None:
    row = (await conn.execute(select(announcements).where(announcements.c.id == announcement_id))).first()
    return _announcement(row) if row is not None else None


async def announcements_of(conn: AsyncConnection, guild_id: int, subject: str, subject_id: int
                           ) -> list[AnnouncementRow]:
    rows = await conn.execute(select(announcements).where(
        announcements.c.guild_id == guild_id, announcements.c.subject == subject,
        announcements.c.subject_id == subject_id).order_by(announcements.c.id))
    return [_announcement(r) for r in rows]


async def update_announcement(conn: AsyncConnection, announcement_id: int, **values: Any) -> None:
    await conn.execute(update(announcements).where(announcements.c.id == announcement_id).values(**values))


async def lock_channel_budget(conn: AsyncConnection, guild_id: int, channel_id: int) -> None:
    """Serialize budget checks of one channel (SQLite: the write lock; PostgreSQL: an advisory lock)."""
    if conn.dialect.name == "sqlite":
        raw = await conn.get_raw_connection()
        if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    await conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"kudos-budget:{channel_id}", 0))))


async def slots_used(conn: AsyncConnection, channel_id: int, start: datetime, end: datetime) -> int:
    """Announcements in the channel, posted or still scheduled, whose slot (``scheduled_for``) is in [start, end)."""
    result = await conn.execute(select(func.count()).select_from(announcements).where(
        announcements.c.channel_id == channel_id, announcements.c.status.in_(["scheduled", "posted"]),
        announcements.c.scheduled_for >= start, announcements.c.scheduled_for < end,
    ))
    return int(result.scalar_one())


async def recent_announcements(conn: AsyncConnection, guild_id: int, *, limit: int = 20) -> list[AnnouncementRow]:
    """Scheduled ``/announce`` posts first (soonest first), then the latest posted or cancelled ones."""
    cols = [c for c in announcements.c if c.name != "image"]
    base = select(*cols, literal(None).label("image")).where(announcements.c.guild_id == guild_id,
                                                             announcements.c.subject == "news")
    scheduled = await conn.execute(base.where(announcements.c.status == "scheduled")
                                   .order_by(announcements.c.scheduled_for).limit(limit))
    done = await conn.execute(base.where(announcements.c.status != "scheduled")
                              .order_by(announcements.c.id.desc()).limit(limit))
    return [_announcement(r) for r in [*scheduled, *done]][:limit]


@dataclass(frozen=True, slots=True)
class ShippedItem:
    id: int
    type: str
    title: str
    reporters: tuple[int, ...]  # the reporter, then reporters of duplicates merged into it


async def shipped_feedback(conn: AsyncConnection, beta_id: int) -> list[ShippedItem]:
    rows = list(await conn.execute(
        select(feedback.c.id, feedback.c.type, feedback.c.title, feedback.c.reporter_id)
        .where(feedback.c.beta_id == beta_id, feedback.c.status == "shipped").order_by(feedback.c.id)))
    if not rows:
        return []
    dupes: dict[int, list[int]] = {}
    for target, reporter in await conn.execute(
        select(feedback.c.duplicate_of, feedback.c.reporter_id)
        .where(feedback.c.duplicate_of.in_([r.id for r in rows]), feedback.c.status == "duplicate")
        .order_by(feedback.c.id)
    ):
        dupes.setdefault(int(target), []).append(int(reporter))
    out = []
    for r in rows:
        people = [int(r.reporter_id)] + [u for u in dupes.get(int(r.id), []) if u != int(r.reporter_id)]
        out.append(ShippedItem(int(r.id), r.type, r.title, tuple(dict.fromkeys(people))))
    return out
