"""The feedback items the public pages show (``[guilds.<id>.public]``), and who supported them.

An item is public when staff marked it so (``feedback.public``), or, unmarked, when its type is one of the
server's ``public_types``. Items waiting for review, rejected, merged as duplicates or erased never appear.
Only what the pages show is read: no staff notes, no steps, no review-queue fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback.models import STATUSES
from bot.feedback.personal import ERASED_TITLE
from bot.feedback.tables import feedback, feedback_coreporters, feedback_votes

SHOWN_STATUSES = ("new", "acknowledged", "planned", "in_progress", "shipped", "declined")


@dataclass(frozen=True, slots=True)
class PublicItem:
    id: int
    type: str
    title: str
    details: str
    status: str
    version: str | None
    vote_count: int
    thread_id: int | None
    beta_id: int | None
    created_at: datetime
    updated_at: datetime


def _public(guild_id: int, public_types: Sequence[str]):  # type: ignore[no-untyped-def]
    return and_(
        feedback.c.guild_id == guild_id,
        feedback.c.status.in_(SHOWN_STATUSES),
        feedback.c.title != ERASED_TITLE,
        or_(feedback.c.public.is_(True),
            and_(feedback.c.public.is_(None), feedback.c.type.in_(list(public_types)))),
    )


async def public_items(conn: AsyncConnection, guild_id: int, public_types: Sequence[str]) -> list[PublicItem]:
    rows = await conn.execute(
        select(feedback.c.id, feedback.c.type, feedback.c.title, feedback.c.details, feedback.c.status,
               feedback.c.version, feedback.c.vote_count, feedback.c.thread_id, feedback.c.beta_id,
               feedback.c.created_at, feedback.c.updated_at)
        .where(_public(guild_id, public_types))
        .order_by(feedback.c.vote_count.desc(), feedback.c.id)
    )
    return [PublicItem(*row) for row in rows]


async def public_item(conn: AsyncConnection, guild_id: int, item_id: int,
                      public_types: Sequence[str]) -> PublicItem | None:
    row = (await conn.execute(
        select(feedback.c.id, feedback.c.type, feedback.c.title, feedback.c.details, feedback.c.status,
               feedback.c.version, feedback.c.vote_count, feedback.c.thread_id, feedback.c.beta_id,
               feedback.c.created_at, feedback.c.updated_at)
        .where(_public(guild_id, public_types), feedback.c.id == item_id)
    )).first()
    return PublicItem(*row) if row is not None else None


async def supporters(conn: AsyncConnection, item_ids: Iterable[int]) -> dict[int, set[int]]:
    """Per item: the reporter, co-reporters and voters (member ids; pseudonyms of erased members are < 0)."""
    ids = sorted(set(item_ids))
    found: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return found
    query = union(
        select(feedback.c.id, feedback.c.reporter_id).where(feedback.c.id.in_(ids)),
        select(feedback_votes.c.feedback_id, feedback_votes.c.user_id).where(feedback_votes.c.feedback_id.in_(ids)),
        select(feedback_coreporters.c.feedback_id, feedback_coreporters.c.user_id)
        .where(feedback_coreporters.c.feedback_id.in_(ids)),
    )
    for item_id, user_id in await conn.execute(query):
        found[int(item_id)].add(int(user_id))
    return found


async def version(conn: AsyncConnection, guild_id: int) -> tuple[object, ...]:
    """Changes whenever anything the pages show changes: a new item, a status, a vote, a staff mark, an
    erasure (one aggregate over the guild's items, served by its index)."""
    marks = case((feedback.c.public.is_(True), feedback.c.id * 2), (feedback.c.public.is_(False), feedback.c.id),
                 else_=0)
    # The statuses, weighted by item: a status change moves it even within one clock tick.
    ranks = case(*((feedback.c.status == status, rank) for rank, status in enumerate(STATUSES, start=1)), else_=0)
    row = (await conn.execute(
        select(func.count(), func.max(feedback.c.updated_at), func.coalesce(func.sum(feedback.c.vote_count), 0),
               func.coalesce(func.sum(marks), 0), func.coalesce(func.sum(ranks * (feedback.c.id % 1000 + 1)), 0),
               func.coalesce(func.sum(case((feedback.c.title == ERASED_TITLE, 1), else_=0)), 0))
        .where(feedback.c.guild_id == guild_id)
    )).one()
    return tuple(row)


async def set_public(conn: AsyncConnection, guild_id: int, item_id: int, public: bool | None) -> bool:
    result = await conn.execute(update(feedback).where(feedback.c.guild_id == guild_id, feedback.c.id == item_id)
                                .values(public=public))
    return result.rowcount == 1


async def beta_counts(conn: AsyncConnection, guild_id: int) -> dict[int, tuple[int, int]]:
    """Per beta: (items past review, of which shipped), erased ones left out. Counts only: which of them are
    public decides whether a page lists them."""
    shipped = func.coalesce(func.sum(case((feedback.c.status == "shipped", 1), else_=0)), 0)
    rows = await conn.execute(
        select(feedback.c.beta_id, func.count(), shipped)
        .where(feedback.c.guild_id == guild_id, feedback.c.beta_id.is_not(None),
               feedback.c.status.in_(SHOWN_STATUSES), feedback.c.title != ERASED_TITLE)
        .group_by(feedback.c.beta_id)
    )
    return {int(b): (int(n), int(s)) for b, n, s in rows}
