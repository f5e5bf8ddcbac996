"""SQL behind /stats and /export: aggregates computed in the database, rows handed to pure functions.

Time buckets are UTC days computed in SQL (``substr`` of the stored text on SQLite, ``to_char`` on
PostgreSQL), then widened to weeks or months in Python. Ladder stages are kept by the ledger
(:mod:`bot.ledger.stages_store`), so the ladder chart reads a handful of grouped rows however many members there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, case, exists, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.betas.tables import beta_participants, betas
from bot.contributions.tables import help_posts, solutions
from bot.feedback.tables import feedback, feedback_votes
from bot.ledger.policy import KINDS
from bot.ledger.tables import contribution_days, contributions, member_stats
from bot.platform.tables import members
from bot.rewards.tables import grants, perk_codes


def _day(conn: AsyncConnection, column: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column("'YYYY-MM-DD'"))
    return func.substr(column, 1, 10, type_=String)


async def first_entry(conn: AsyncConnection, guild_id: int) -> datetime | None:
    """The earliest ledger entry, feedback item, beta or help post of the guild (where "all time" starts).

    The ledger's earliest row is the least of one index seek per kind on (guild_id, kind, created_at)."""
    c = contributions.c
    stmts = [select(func.min(c.created_at)).where(c.guild_id == guild_id, c.kind == kind) for kind in KINDS]
    stmts += [
        select(func.min(feedback.c.created_at)).where(feedback.c.guild_id == guild_id),
        select(func.min(func.coalesce(betas.c.starts_at, betas.c.created_at))).where(betas.c.guild_id == guild_id),
        select(func.min(help_posts.c.created_at)).where(help_posts.c.guild_id == guild_id),
    ]
    found = []
    for stmt in stmts:
        value = (await conn.execute(stmt)).scalar_one_or_none()
        if value is not None:
            found.append(value)
    return min(found) if found else None


async def contributions_per_day(
    conn: AsyncConnection, guild_id: int, start: datetime, end: datetime, kinds: Sequence[str]
) -> list[tuple[date, str, int]]:
    """Credits per UTC day and kind in ``[start, end]``, leaving out reversals and reversed credits.

    The whole days inside the window come from ``contribution_days`` (kept by the ledger with each entry: one
    primary-key range, however many entries); only the partial first and last days are counted from the
    ledger rows (:func:`_per_day_from_ledger`), so the numbers are exactly the ledger's."""
    first_full = _midnight(start.astimezone(UTC).date())
    if first_full < start:
        first_full += timedelta(days=1)
    last_midnight = _midnight(end.astimezone(UTC).date())
    if first_full >= last_midnight:
        return await _per_day_from_ledger(conn, guild_id, start, end, kinds)
    out: list[tuple[date, str, int]] = []
    if start < first_full:
        out += await _per_day_from_ledger(conn, guild_id, start, first_full, kinds, end_exclusive=True)
    d = contribution_days.c
    rows = await conn.execute(
        select(d.day, d.kind, d.count).where(
            d.guild_id == guild_id, d.day >= first_full.date().isoformat(),
            d.day < last_midnight.date().isoformat(), d.kind.in_(list(kinds)), d.count != 0))
    out += [(date.fromisoformat(day), kind, int(n)) for day, kind, n in rows]
    out += await _per_day_from_ledger(conn, guild_id, last_midnight, end, kinds)
    return out


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def _per_day_from_ledger(
    conn: AsyncConnection, guild_id: int, start: datetime, end: datetime, kinds: Sequence[str], *,
    end_exclusive: bool = False,
) -> list[tuple[date, str, int]]:
    """:func:`contributions_per_day` counted from the ledger rows in ``[start, end]`` (``[start, end)`` with
    ``end_exclusive``): for a day or two at the edges of a window.

    Every row per kind and day comes from the covering index (guild_id, kind, created_at); then the (few)
    reversal rows and the credits they reverse are
    taken away, found through the partial index on ``reverses_id``."""
    c = contributions.c

    def before_end(column: Any) -> Any:
        return column < end if end_exclusive else column <= end

    day = _day(conn, c.created_at).label("day")
    counts: dict[tuple[str, str], int] = {}
    # One statement: ``kind IN (…)`` walks (guild_id, kind, created_at) once per kind (SQLite's IN loop), so
    # each kind's time range stays an index range.
    rows = await conn.execute(
        select(day, c.kind, func.count().label("n"))
        .where(c.guild_id == guild_id, c.kind.in_(list(kinds)), c.created_at >= start, before_end(c.created_at))
        .group_by("day", c.kind)
    )
    for d, kind, n in rows:
        counts[(d, kind)] = int(n)
    # ``guild_id + 0``: without statistics SQLite would walk the guild's whole index; the partial index on
    # ``reverses_id`` holds only the reversals.
    reversals = await conn.execute(
        select(day, c.kind, func.count().label("n"))
        .where(c.reverses_id.is_not(None), (c.guild_id + 0) == guild_id, c.created_at >= start,
               before_end(c.created_at))
        .group_by("day", c.kind)
    )
    for d, kind, n in reversals:
        counts[(d, kind)] = counts.get((d, kind), 0) - int(n)
    original, rev = contributions.alias("o"), contributions.alias("r")
    oday = _day(conn, original.c.created_at).label("day")
    reversed_ = await conn.execute(
        select(oday, original.c.kind, func.count().label("n"))
        .select_from(rev.join(original, original.c.id == rev.c.reverses_id))
        .where(rev.c.reverses_id.is_not(None), (rev.c.guild_id + 0) == guild_id, rev.c.created_at >= start,
               original.c.created_at >= start, before_end(original.c.created_at))
        .group_by("day", original.c.kind)
    )
    for d, kind, n in reversed_:
        counts[(d, kind)] = counts.get((d, kind), 0) - int(n)
    return [(date.fromisoformat(d), kind, n) for (d, kind), n in counts.items() if n]


async def members_without_ledger(conn: AsyncConnection, guild_id: int) -> int:
    """Members Kudos knows (present, not erased) who have no ledger totals: consumers."""
    ms = member_stats.c
    return int((await conn.execute(
        select(func.count()).select_from(members)
        .where(members.c.guild_id == guild_id, members.c.left_at.is_(None), members.c.erased_at.is_(None),
               ~exists().where(ms.guild_id == guild_id, ms.user_id == members.c.user_id))
    )).scalar_one())


async def betas_announced(conn: AsyncConnection, guild_id: int, start: datetime, end: datetime) -> list[tuple[int, str]]:
    when = func.coalesce(betas.c.starts_at, betas.c.created_at)
    rows = await conn.execute(
        select(betas.c.id, betas.c.name)
        .where(betas.c.guild_id == guild_id, when >= start, when <= end,
               or_(betas.c.status.in_(("open", "closed")), betas.c.announcement_message_id.is_not(None)))
        .order_by(betas.c.id)
    )
    return [(int(i), str(n)) for i, n in rows]


async def beta_participants_of(conn: AsyncConnection, beta_ids: Sequence[int]) -> list[tuple[int, int]]:
    if not beta_ids:
        return []
    rows = await conn.execute(
        select(beta_participants.c.beta_id, beta_participants.c.user_id)
        .where(beta_participants.c.beta_id.in_(beta_ids), beta_participants.c.status != "waitlisted")
    )
    return [(int(b), int(u)) for b, u in rows]


async def beta_feedback_of(conn: AsyncConnection, beta_ids: Sequence[int]) -> list[tuple[int, int, str]]:
    if not beta_ids:
        return []
    rows = await conn.execute(
        select(feedback.c.beta_id, feedback.c.reporter_id, feedback.c.status).where(feedback.c.beta_id.in_(beta_ids))
    )
    return [(int(b), int(r), str(s)) for b, r, s in rows]


def _seconds(conn: AsyncConnection, start: Any, end: Any) -> Any:
    """``end - start`` in seconds, computed by the database (no datetime parsed in Python per row)."""
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _wait(seconds: Any) -> timedelta | None:
    return None if seconds is None else max(timedelta(seconds=round(float(seconds), 3)), timedelta(0))


async def _median(conn: AsyncConnection, values: Any, n: int) -> timedelta | None:
    """The median of the ``n`` non-null values of the subquery column ``values``, sorted by the database (at
    most two rows leave it: the middle ones ``statistics.median`` would pick)."""
    if n <= 0:
        return None
    rows = (await conn.execute(
        select(values).where(values.is_not(None)).order_by(values).limit(2 - n % 2).offset((n - 1) // 2)
    )).scalars().all()
    middle = [max(float(v), 0.0) for v in rows]
    return _wait(sum(middle) / len(middle))


async def feedback_summary(
    conn: AsyncConnection, guild_id: int, start: datetime, end: datetime
) -> tuple[dict[str, int], int, timedelta | None]:
    """Feedback created in the window: (items per status, items answered by staff, median time to the first staff
    answer). Counted and sorted in SQL: a few rows reach the event loop however many items there are."""
    f = feedback.c
    window = (f.guild_id == guild_id, f.created_at >= start, f.created_at <= end)
    by_status = {str(status): int(n) for status, n in await conn.execute(
        select(f.status, func.count()).where(*window).group_by(f.status))}
    waits = select(_seconds(conn, f.created_at, f.first_staff_response_at).label("wait")).where(*window).subquery()
    answered = int((await conn.execute(
        select(func.count()).select_from(waits).where(waits.c.wait.is_not(None)))).scalar_one())
    return by_status, answered, await _median(conn, waits.c.wait, answered)


async def help_summary(
    conn: AsyncConnection, guild_id: int, start: datetime, end: datetime
) -> tuple[int, int, timedelta | None]:
    """Help posts opened in the window: (posts, solved now, median time from opening to the first accepted
    solution of the solved ones). A range of ``ix_help_posts_guild_id_created_at``, each post's solutions found
    through (guild_id, thread_id, active); counted and sorted in SQL (handing tens of thousands of rows to Python
    held the event loop for 100+ ms, bench/insights.py)."""
    s, h = solutions.c, help_posts.c
    per_post = (
        select(h.created_at.label("opened"), func.min(s.created_at).label("first"),
               func.max(case((s.active, 1), else_=0)).label("solved"))
        .select_from(help_posts.outerjoin(solutions, and_(s.guild_id == guild_id, s.thread_id == h.thread_id)))
        .where(h.guild_id == guild_id, h.created_at >= start, h.created_at <= end)
        .group_by(h.thread_id, h.created_at)
        .subquery()
    )
    solved_now = per_post.c.solved == 1
    posts, solved, timed = (await conn.execute(
        select(func.count(), func.coalesce(func.sum(per_post.c.solved), 0),
               func.count(case((solved_now, per_post.c.first))))
    )).one()
    waits = (select(_seconds(conn, per_post.c.opened, per_post.c.first).label("wait"))
             .where(solved_now, per_post.c.first.is_not(None)).subquery())
    return int(posts), int(solved), await _median(conn, waits.c.wait, int(timed))


async def recorded_help_posts(conn: AsyncConnection, thread_ids: list[int]) -> set[int]:
    if not thread_ids:
        return set()
    rows = await conn.execute(select(help_posts.c.thread_id).where(help_posts.c.thread_id.in_(thread_ids)))
    return {int(r[0]) for r in rows}


async def record_help_post(conn: AsyncConnection, guild_id: int, thread_id: int, forum_id: int,
                           created_at: datetime) -> None:
    from bot.platform.db.upsert import upsert

    await upsert(conn, help_posts, {"guild_id": guild_id, "thread_id": thread_id, "forum_id": forum_id,
                                    "created_at": created_at}, keys=["thread_id"], update=[])


# --------------------------------------------------------------------------- one member


async def member_entries(conn: AsyncConnection, guild_id: int, user_id: int) -> list[tuple[datetime, str, int, bool]]:
    c = contributions.c
    rows = await conn.execute(
        select(c.created_at, c.kind, c.points, c.reverses_id.is_not(None))
        .where(c.guild_id == guild_id, c.user_id == user_id, c.status == "counted").order_by(c.id)
    )
    return [(at, kind, int(p), bool(rev)) for at, kind, p, rev in rows]


async def member_counts(conn: AsyncConnection, guild_id: int, user_id: int) -> tuple[int, int, int]:
    """(feedback reported, betas joined, rewards delivered)."""
    fb = (await conn.execute(select(func.count()).select_from(feedback).where(
        feedback.c.guild_id == guild_id, feedback.c.reporter_id == user_id))).scalar_one()
    bt = (await conn.execute(select(func.count()).select_from(beta_participants).where(
        beta_participants.c.beta_id.in_(select(betas.c.id).where(betas.c.guild_id == guild_id)),
        beta_participants.c.user_id == user_id, beta_participants.c.status != "waitlisted"))).scalar_one()
    rw = (await conn.execute(select(func.count()).select_from(grants).where(
        grants.c.guild_id == guild_id, grants.c.user_id == user_id, grants.c.status == "delivered"))).scalar_one()
    return int(fb), int(bt), int(rw)


# --------------------------------------------------------------------------- exports


async def export_contributions(conn: AsyncConnection, guild_id: int, start: datetime, end: datetime) -> Any:
    c = contributions.c
    return await conn.stream(
        select(c.id, c.created_at, c.user_id, c.kind, c.points, c.status, c.actor_id, c.reverses_id, c.season,
               c.channel_id, c.thread_id, c.message_id, c.reason, c.note)
        .where(c.guild_id == guild_id, c.created_at >= start, c.created_at <= end).order_by(c.id)
        .execution_options(yield_per=5000)
    )


async def export_feedback(conn: AsyncConnection, guild_id: int, start: datetime, end: datetime) -> Any:
    f = feedback.c
    votes = (select(func.count()).where(feedback_votes.c.feedback_id == f.id).scalar_subquery())
    return await conn.stream(
        select(f.id, f.created_at, f.type, f.status, f.title, f.reporter_id, f.beta_id, f.vote_count,
               votes.label("votes"), f.first_staff_response_at, f.duplicate_of, f.thread_id, f.updated_at)
        .where(f.guild_id == guild_id, f.created_at >= start, f.created_at <= end).order_by(f.id)
    )


async def export_betas(conn: AsyncConnection, guild_id: int, start: datetime, end: datetime) -> list[Any]:
    """One row per participation (a beta without participants: one row with empty member columns)."""
    b, p = betas.c, beta_participants.c
    when = func.coalesce(b.starts_at, b.created_at)
    rows = await conn.execute(
        select(b.id, b.name, b.status, b.starts_at, b.ends_at, b.capacity, p.user_id,
               p.status.label("participation"), p.joined_at, p.left_at)
        .select_from(betas.outerjoin(beta_participants, p.beta_id == b.id))
        .where(b.guild_id == guild_id, when >= start, when <= end).order_by(b.id, p.joined_at)
    )
    return list(rows)


async def beta_codes(conn: AsyncConnection, guild_id: int, names: Sequence[str]) -> dict[tuple[str, int], list[str]]:
    """Perk codes handed out by each beta's own grants (rule ``beta:<name>``): (beta name, member) → codes."""
    if not names:
        return {}
    rows = await conn.execute(
        select(grants.c.rule_name, perk_codes.c.assigned_to, perk_codes.c.code)
        .select_from(perk_codes.join(grants, grants.c.id == perk_codes.c.grant_id))
        .where(grants.c.guild_id == guild_id, grants.c.rule_name.in_([f"beta:{n}" for n in names]))
        .order_by(perk_codes.c.id)
    )
    out: dict[tuple[str, int], list[str]] = {}
    for rule, member, code in rows:
        out.setdefault((rule.removeprefix("beta:"), int(member)), []).append(code)
    return out
