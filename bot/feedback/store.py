"""Repository for feedback items, their votes, followers and co-reporters.

Writes take an ``AsyncConnection`` so the service can put a status change, its ledger credits, its domain
events and its notification timer in one transaction. ``vote_count`` is kept equal to the number of
counted rows in ``feedback_votes`` by the functions that add or move votes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback.jobs import OpenPostKey
from bot.feedback.tables import (
    feedback,
    feedback_coreporters,
    feedback_dms_closed,
    feedback_followers,
    feedback_screenshots,
    feedback_votes,
)
from bot.platform.db.upsert import insert_for, upsert
from bot.platform.tables import timers


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    id: int
    guild_id: int
    beta_id: int | None
    reporter_id: int
    type: str
    title: str
    details: str
    steps: str | None
    version: str | None
    status: str
    status_note: str | None
    duplicate_of: int | None
    forum_id: int | None
    thread_id: int | None
    status_message_id: int | None
    vote_count: int
    created_at: datetime
    updated_at: datetime
    first_staff_response_at: datetime | None
    review_channel_id: int | None
    review_message_id: int | None


def _row(row: Any) -> FeedbackRow:
    return FeedbackRow(**{name: getattr(row, name) for name in FeedbackRow.__slots__})


async def create(conn: AsyncConnection, **values: Any) -> int:
    result = await conn.execute(insert(feedback).values(**values).returning(feedback.c.id))
    return int(result.scalar_one())


async def get(conn: AsyncConnection, guild_id: int, item_id: int, *, for_update: bool = False) -> FeedbackRow | None:
    stmt = select(feedback).where(feedback.c.guild_id == guild_id, feedback.c.id == item_id)
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    return _row(row) if row is not None else None


async def by_thread(conn: AsyncConnection, thread_id: int) -> FeedbackRow | None:
    row = (await conn.execute(select(feedback).where(feedback.c.thread_id == thread_id))).first()
    return _row(row) if row is not None else None


async def recorded_threads(conn: AsyncConnection, thread_ids: list[int]) -> set[int]:
    """Which of these threads are feedback items already."""
    if not thread_ids:
        return set()
    rows = await conn.execute(select(feedback.c.thread_id).where(feedback.c.thread_id.in_(thread_ids)))
    return {int(r[0]) for r in rows}


async def update_item(conn: AsyncConnection, item_id: int, **values: Any) -> None:
    await conn.execute(update(feedback).where(feedback.c.id == item_id).values(**values))


async def delete_item(conn: AsyncConnection, item_id: int) -> None:
    await conn.execute(delete(feedback_screenshots).where(feedback_screenshots.c.feedback_id == item_id))
    await conn.execute(delete(feedback).where(feedback.c.id == item_id))


async def add_screenshots(conn: AsyncConnection, item_id: int, shots: Sequence[Any]) -> None:
    for n, shot in enumerate(shots):
        await conn.execute(insert(feedback_screenshots).values(
            feedback_id=item_id, position=n, url=shot.url, filename=shot.filename[:255],
            content_type=(shot.content_type or None) and shot.content_type[:100], size=int(shot.size or 0)))


async def screenshots(conn: AsyncConnection, item_id: int) -> list[Any]:
    return list((await conn.execute(select(feedback_screenshots).where(
        feedback_screenshots.c.feedback_id == item_id).order_by(feedback_screenshots.c.position))).all())


async def delete_screenshots(conn: AsyncConnection, item_id: int) -> None:
    await conn.execute(delete(feedback_screenshots).where(feedback_screenshots.c.feedback_id == item_id))


async def mark_staff_response(conn: AsyncConnection, item_id: int, at: datetime) -> bool:
    """Record the first staff response time; ``False`` when one was already recorded."""
    result = await conn.execute(
        update(feedback)
        .where(feedback.c.id == item_id, feedback.c.first_staff_response_at.is_(None))
        .values(first_staff_response_at=at)
    )
    return bool(result.rowcount)


async def reports_since(conn: AsyncConnection, guild_id: int, reporter_id: int, since: datetime) -> list[FeedbackRow]:
    """The member's reports created at or after ``since``, oldest first (drafts and held ones too)."""
    rows = await conn.execute(select(feedback).where(
        feedback.c.guild_id == guild_id, feedback.c.reporter_id == reporter_id, feedback.c.created_at >= since
    ).order_by(feedback.c.id))
    return [_row(r) for r in rows]


async def published_count(conn: AsyncConnection, guild_id: int, reporter_id: int) -> int:
    """How many of a member's reports went public (have a thread)."""
    stmt = select(func.count()).select_from(feedback).where(
        feedback.c.guild_id == guild_id, feedback.c.reporter_id == reporter_id, feedback.c.thread_id.is_not(None)
    )
    return int((await conn.execute(stmt)).scalar_one())


# --------------------------------------------------------------------------- votes and followers


async def add_vote(conn: AsyncConnection, item_id: int, user_id: int, at: datetime) -> bool:
    """Add a vote; ``False`` if the member had already voted. Keeps ``vote_count`` in step."""
    stmt = insert_for(conn, feedback_votes).values(feedback_id=item_id, user_id=user_id, created_at=at)
    result = await conn.execute(stmt.on_conflict_do_nothing(index_elements=["feedback_id", "user_id"]))
    if not result.rowcount:
        return False
    await conn.execute(
        update(feedback).where(feedback.c.id == item_id).values(vote_count=feedback.c.vote_count + 1)
    )
    return True


async def voters(conn: AsyncConnection, item_id: int) -> list[int]:
    stmt = select(feedback_votes.c.user_id).where(feedback_votes.c.feedback_id == item_id).order_by(
        feedback_votes.c.created_at, feedback_votes.c.user_id)
    return [int(u) for u in (await conn.execute(stmt)).scalars()]


async def has_voted(conn: AsyncConnection, item_id: int, user_id: int) -> bool:
    stmt = select(func.count()).select_from(feedback_votes).where(
        feedback_votes.c.feedback_id == item_id, feedback_votes.c.user_id == user_id)
    return bool((await conn.execute(stmt)).scalar_one())


async def add_follower(conn: AsyncConnection, item_id: int, user_id: int, at: datetime) -> bool:
    stmt = insert_for(conn, feedback_followers).values(feedback_id=item_id, user_id=user_id, created_at=at)
    result = await conn.execute(stmt.on_conflict_do_nothing(index_elements=["feedback_id", "user_id"]))
    return bool(result.rowcount)


async def remove_follower(conn: AsyncConnection, item_id: int, user_id: int) -> bool:
    result = await conn.execute(delete(feedback_followers).where(
        feedback_followers.c.feedback_id == item_id, feedback_followers.c.user_id == user_id))
    return bool(result.rowcount)


async def followers(conn: AsyncConnection, item_id: int) -> list[int]:
    stmt = select(feedback_followers.c.user_id).where(feedback_followers.c.feedback_id == item_id).order_by(
        feedback_followers.c.created_at, feedback_followers.c.user_id)
    return [int(u) for u in (await conn.execute(stmt)).scalars()]


async def add_coreporter(conn: AsyncConnection, item_id: int, user_id: int, source_id: int | None,
                         at: datetime) -> bool:
    stmt = insert_for(conn, feedback_coreporters).values(
        feedback_id=item_id, user_id=user_id, source_feedback_id=source_id, created_at=at)
    result = await conn.execute(stmt.on_conflict_do_nothing(index_elements=["feedback_id", "user_id"]))
    return bool(result.rowcount)


async def coreporters(conn: AsyncConnection, item_id: int) -> list[int]:
    stmt = select(feedback_coreporters.c.user_id).where(feedback_coreporters.c.feedback_id == item_id).order_by(
        feedback_coreporters.c.created_at, feedback_coreporters.c.user_id)
    return [int(u) for u in (await conn.execute(stmt)).scalars()]


async def move_votes_and_followers(conn: AsyncConnection, source_id: int, target_id: int,
                                   skip_vote_users: Sequence[int], at: datetime) -> int:
    """Move every vote and follower of ``source_id`` onto ``target_id`` (members already there count once;
    votes by ``skip_vote_users`` are dropped). Recounts both items. Returns how many votes moved."""
    moved = 0
    for user_id in await voters(conn, source_id):
        if user_id not in skip_vote_users and await add_vote(conn, target_id, user_id, at):
            moved += 1
    for user_id in await followers(conn, source_id):
        await add_follower(conn, target_id, user_id, at)
    await conn.execute(delete(feedback_votes).where(feedback_votes.c.feedback_id == source_id))
    await conn.execute(delete(feedback_followers).where(feedback_followers.c.feedback_id == source_id))
    await conn.execute(update(feedback).where(feedback.c.id == source_id).values(vote_count=0))
    return moved


# --------------------------------------------------------------------------- queries


async def top(conn: AsyncConnection, guild_id: int, *, statuses: Sequence[str], beta_id: int | None = None,
              type_: str | None = None, limit: int = 10) -> list[FeedbackRow]:
    """The most-voted items in ``statuses``. One query per status, each walking the
    ``(guild_id, status, vote_count)`` index in vote order, then merged: a single ``status IN (…)`` query
    cannot read that index in order and sorts every open item instead."""
    rows: list[FeedbackRow] = []
    for status in dict.fromkeys(statuses):
        stmt = select(feedback).where(
            feedback.c.guild_id == guild_id, feedback.c.status == status, feedback.c.thread_id.is_not(None))
        if beta_id is not None:
            stmt = stmt.where(feedback.c.beta_id == beta_id)
        if type_ is not None:
            stmt = stmt.where(feedback.c.type == type_)
        stmt = stmt.order_by(feedback.c.vote_count.desc(), feedback.c.created_at, feedback.c.id).limit(limit)
        rows += [_row(r) for r in await conn.execute(stmt)]
    rows.sort(key=lambda r: (-r.vote_count, r.created_at, r.id))
    return rows[:limit]


async def page(conn: AsyncConnection, guild_id: int, *, status: str | None = None, type_: str | None = None,
               beta_id: int | None = None, offset: int = 0, limit: int = 10) -> tuple[list[FeedbackRow], int]:
    where = [feedback.c.guild_id == guild_id]
    if status is not None:
        where.append(feedback.c.status == status)
    if type_ is not None:
        where.append(feedback.c.type == type_)
    if beta_id is not None:
        where.append(feedback.c.beta_id == beta_id)
    total = int((await conn.execute(select(func.count()).select_from(feedback).where(*where))).scalar_one())
    stmt = select(feedback).where(*where).order_by(feedback.c.id.desc()).offset(offset).limit(limit)
    return [_row(r) for r in await conn.execute(stmt)], total


async def all_items(conn: AsyncConnection, guild_id: int) -> list[FeedbackRow]:
    stmt = select(feedback).where(feedback.c.guild_id == guild_id).order_by(feedback.c.id)
    return [_row(r) for r in await conn.execute(stmt)]


async def created_since(conn: AsyncConnection, guild_id: int, since: datetime) -> list[FeedbackRow]:
    stmt = select(feedback).where(feedback.c.guild_id == guild_id, feedback.c.created_at >= since,
                                  feedback.c.thread_id.is_not(None)).order_by(feedback.c.id)
    return [_row(r) for r in await conn.execute(stmt)]


async def oldest_unanswered(conn: AsyncConnection, guild_id: int, limit: int = 5) -> list[FeedbackRow]:
    stmt = select(feedback).where(
        feedback.c.guild_id == guild_id, feedback.c.status == "new", feedback.c.thread_id.is_not(None),
        feedback.c.first_staff_response_at.is_(None),
    ).order_by(feedback.c.created_at, feedback.c.id).limit(limit)
    return [_row(r) for r in await conn.execute(stmt)]


async def stale_drafts(conn: AsyncConnection, before: datetime) -> list[FeedbackRow]:
    """Reports left without a post and without a live job to post them (``feedback.open_post`` pending or
    running: it posts them, or discards them and tells the reporter), never public."""
    stmt = select(feedback).where(feedback.c.status == "new", feedback.c.thread_id.is_(None),
                                  feedback.c.updated_at < before)
    rows = [_row(r) for r in await conn.execute(stmt)]
    if not rows:
        return rows
    keys = {OpenPostKey(r.id).dedupe(): r for r in rows}
    live = set((await conn.execute(select(timers.c.dedupe_key).where(
        timers.c.dedupe_key.in_(list(keys)), timers.c.status.in_(("pending", "running"))))).scalars())
    return [r for k, r in keys.items() if k not in live]


# --------------------------------------------------------------------------- feedback of a beta (for betas and announcements)


async def beta_breakdown(conn: AsyncConnection, beta_id: int) -> list[tuple[str, str, int]]:
    """(type, status, count) of the beta's feedback, most common first."""
    rows = await conn.execute(
        select(feedback.c.type, feedback.c.status, func.count()).where(feedback.c.beta_id == beta_id)
        .group_by(feedback.c.type, feedback.c.status).order_by(func.count().desc(), feedback.c.type)
    )
    return [(t, s, int(n)) for t, s, n in rows]


async def beta_reporters(conn: AsyncConnection, beta_id: int) -> dict[int, int]:
    """``{reporter: count}`` of the beta's feedback past review (neither pending nor rejected)."""
    rows = await conn.execute(
        select(feedback.c.reporter_id, func.count()).where(
            feedback.c.beta_id == beta_id, feedback.c.status.not_in(["pending_review", "rejected"]))
        .group_by(feedback.c.reporter_id)
    )
    return {int(u): int(n) for u, n in rows}


@dataclass(frozen=True, slots=True)
class ShippedItem:
    id: int
    type: str
    title: str
    reporters: tuple[int, ...]  # the reporter, then reporters of duplicates merged into it
    version: str | None = None  # the version it shipped in


async def beta_shipped(conn: AsyncConnection, beta_id: int) -> list[ShippedItem]:
    """The beta's shipped items (oldest first), each with its reporter and those of duplicates merged into it."""
    rows = list(await conn.execute(
        select(feedback.c.id, feedback.c.type, feedback.c.title, feedback.c.reporter_id, feedback.c.version)
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
        out.append(ShippedItem(int(r.id), r.type, r.title, tuple(dict.fromkeys(people)), r.version))
    return out


# --------------------------------------------------------------------------- members whose DMs are closed


async def dms_closed_until(conn: AsyncConnection, guild_id: int, user_id: int) -> datetime | None:
    t = feedback_dms_closed.c
    row = (await conn.execute(select(t.until).where(t.guild_id == guild_id, t.user_id == user_id))).first()
    return row[0] if row is not None else None


async def set_dms_closed(conn: AsyncConnection, guild_id: int, user_id: int, until: datetime) -> None:
    await upsert(conn, feedback_dms_closed, {"guild_id": guild_id, "user_id": user_id, "until": until},
                 keys=["guild_id", "user_id"], update=["until"])


async def clear_dms_closed(conn: AsyncConnection, guild_id: int, user_id: int) -> None:
    t = feedback_dms_closed.c
    await conn.execute(delete(feedback_dms_closed).where(t.guild_id == guild_id, t.user_id == user_id))
