"""Repository for the contribution ledger (``contributions``) and its aggregates (``member_stats``).

The ledger is append-only: rows are never deleted. The only update is a probation release, which flips a
row's ``status`` from ``pending`` to ``counted``. A row is in ``member_stats`` exactly when it is counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import case, func, insert, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger.models import Contribution
from bot.ledger.tables import contribution_days, contributions, member_stats
from bot.platform.db.locks import lock_for_write  # noqa: F401 - re-exported for the ledger's own callers
from bot.platform.db.upsert import insert_for

ALL_KINDS = "*"
ALL_TIME = ""


def _row(row: Any) -> Contribution:
    return Contribution(**{name: getattr(row, name) for name in Contribution.__slots__})


# --------------------------------------------------------------------------- writes


async def add(conn: AsyncConnection, **values: Any) -> int | None:
    """Insert one ledger row; ``None`` when (guild, kind, source_key) already exists.

    A savepoint keeps the caller's transaction usable when a concurrent writer won the race.
    """
    stmt = insert(contributions).values(**values).returning(contributions.c.id)
    try:
        async with conn.begin_nested():
            return (await conn.execute(stmt)).scalar_one()
    except IntegrityError:
        existing = await by_source(conn, values["guild_id"], values["kind"], values["source_key"])
        if existing is None:
            raise
        return None


def week_key(when: datetime) -> str:
    """The ``member_stats.season`` key of the calendar week (ISO, Monday 00:00 UTC) that holds ``when``."""
    iso = when.astimezone(UTC).isocalendar()
    return f"W{iso.year}-{iso.week:02d}"


def month_key(when: datetime) -> str:
    """The ``member_stats.season`` key of the calendar month (UTC) that holds ``when``."""
    when = when.astimezone(UTC)
    return f"M{when.year}-{when.month:02d}"


def period_keys(when: datetime) -> tuple[str, str]:
    return week_key(when), month_key(when)


async def bump_stats(
    conn: AsyncConnection, *, guild_id: int, user_id: int, kind: str, season: str, points: int, count: int,
    at: datetime | None = None,
) -> None:
    """Add ``points``/``count`` to the member's per-kind and '*' rows: all time, the row's season (if any) and,
    given ``at`` (the row's ``created_at``), its calendar week and month. One multi-row upsert."""
    seasons = [ALL_TIME] + ([season] if season else []) + (list(period_keys(at)) if at is not None else [])
    rows = [{"guild_id": guild_id, "user_id": user_id, "kind": k, "season": s, "points": points, "count": count}
            for k in (kind, ALL_KINDS) for s in seasons]
    stmt = insert_for(conn, member_stats).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["guild_id", "user_id", "kind", "season"],
        set_={
            "points": member_stats.c.points + stmt.excluded.points,
            "count": member_stats.c.count + stmt.excluded.count,
        },
    )
    await conn.execute(stmt)


async def bump_day(conn: AsyncConnection, guild_id: int, created_at: datetime, kind: str, count: int) -> None:
    """Add ``count`` to ``contribution_days`` for the UTC day of ``created_at`` and ``kind`` (one upsert)."""
    stmt = insert_for(conn, contribution_days).values(
        guild_id=guild_id, day=created_at.astimezone(UTC).date().isoformat(), kind=kind, count=count)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=["guild_id", "day", "kind"], set_={"count": contribution_days.c.count + stmt.excluded.count}))


async def release_due(conn: AsyncConnection, ids: Sequence[int]) -> list[Contribution]:
    """Flip these pending rows to counted; returns the rows this call released (others got there first)."""
    if not ids:
        return []
    result = await conn.execute(
        update(contributions)
        .where(contributions.c.id.in_(list(ids)), contributions.c.status == "pending")
        .values(status="counted")
        .returning(*contributions.c)
    )
    return sorted((_row(r) for r in result), key=lambda c: c.id)


# --------------------------------------------------------------------------- reads


async def get(conn: AsyncConnection, guild_id: int, contribution_id: int) -> Contribution | None:
    row = (
        await conn.execute(
            select(contributions).where(contributions.c.guild_id == guild_id, contributions.c.id == contribution_id)
        )
    ).first()
    return _row(row) if row is not None else None


async def by_source(conn: AsyncConnection, guild_id: int, kind: str, source_key: str) -> Contribution | None:
    row = (
        await conn.execute(
            select(contributions).where(
                contributions.c.guild_id == guild_id,
                contributions.c.kind == kind,
                contributions.c.source_key == source_key,
            )
        )
    ).first()
    return _row(row) if row is not None else None


async def source_generations(conn: AsyncConnection, guild_id: int, kind: str, source_key: str) -> list[Contribution]:
    """The rows for ``source_key`` and its re-credits ``source_key#2``, ``#3`` …, oldest first.

    Exact lookups on the unique index (a prefix ``LIKE`` could not use it on either backend).
    """
    found: list[Contribution] = []
    key = source_key
    while (row := await by_source(conn, guild_id, kind, key)) is not None:
        found.append(row)
        key = f"{source_key}#{len(found) + 1}"
    return found


async def reversal_of(conn: AsyncConnection, guild_id: int, contribution_id: int) -> Contribution | None:
    row = (
        await conn.execute(
            select(contributions).where(
                contributions.c.reverses_id == contribution_id, contributions.c.guild_id == guild_id
            )
        )
    ).first()
    return _row(row) if row is not None else None


async def reversals_of(conn: AsyncConnection, guild_id: int, ids: Sequence[int]) -> dict[int, Contribution]:
    if not ids:
        return {}
    result = await conn.execute(reversals_of_sql(guild_id, ids))
    return {row.reverses_id: _row(row) for row in result}


async def points_since(
    conn: AsyncConnection, guild_id: int, user_id: int, kind: str, since: datetime
) -> int:
    """Points credited (not capped, reversals ignored) to a member for ``kind`` since ``since``."""
    result = await conn.execute(
        select(func.coalesce(func.sum(contributions.c.points), 0)).where(
            contributions.c.guild_id == guild_id,
            contributions.c.user_id == user_id,
            contributions.c.created_at >= since,
            contributions.c.kind == kind,
            contributions.c.reverses_id.is_(None),
            contributions.c.status != "capped",
        )
    )
    return int(result.scalar_one())


async def counted_points_since(conn: AsyncConnection, guild_id: int, user_id: int, since: datetime) -> int:
    """Net points counted for a member since ``since``, every kind, reversals included (rolling windows)."""
    result = await conn.execute(
        select(func.coalesce(func.sum(contributions.c.points), 0)).where(
            contributions.c.guild_id == guild_id,
            contributions.c.user_id == user_id,
            contributions.c.status == "counted",
            contributions.c.created_at >= since,
        )
    )
    return int(result.scalar_one())


async def given_since(
    conn: AsyncConnection, guild_id: int, actor_id: int, kind: str, since: datetime, *,
    to_user: int | None = None, exclusive: bool = False,
) -> list[Contribution]:
    """Credits of ``kind`` given by ``actor_id`` since ``since`` (optionally to one member), newest first.

    ``exclusive``: strictly after ``since`` (a cooldown that started exactly ``window`` ago has ended).
    """
    stmt = select(contributions).where(
        contributions.c.guild_id == guild_id,
        contributions.c.actor_id == actor_id,
        contributions.c.created_at > since if exclusive else contributions.c.created_at >= since,
        contributions.c.kind == kind,
        contributions.c.reverses_id.is_(None),
    )
    if to_user is not None:
        stmt = stmt.where(contributions.c.user_id == to_user)
    result = await conn.execute(stmt.order_by(contributions.c.created_at.desc(), contributions.c.id.desc()))
    return [_row(r) for r in result]


async def pending_due(conn: AsyncConnection, guild_id: int, now: datetime, limit: int = 500) -> list[tuple[int, int]]:
    """(id, user_id) of pending rows whose hold has ended."""
    result = await conn.execute(
        select(contributions.c.id, contributions.c.user_id)
        .where(
            contributions.c.status == "pending",
            contributions.c.held_until <= now,
            contributions.c.guild_id == guild_id,
        )
        .order_by(contributions.c.held_until, contributions.c.id)
        .limit(limit)
    )
    return [(r.id, r.user_id) for r in result]


async def pending_points(conn: AsyncConnection, guild_id: int, user_id: int) -> int:
    """Points held for a member (probation), net of held reversals."""
    result = await conn.execute(
        select(func.coalesce(func.sum(contributions.c.points), 0)).where(
            # Held rows are few: walk ix_contributions_status_held_until, not all of a busy member's rows
            # ("+ 0" stops SQLite, which has no statistics, from preferring the member index).
            contributions.c.status == "pending",
            (contributions.c.guild_id + 0) == guild_id,
            (contributions.c.user_id + 0) == user_id,
        )
    )
    return int(result.scalar_one())


async def stats_for(conn: AsyncConnection, guild_id: int, user_id: int, seasons: Iterable[str] | None = None
                    ) -> dict[tuple[str, str], tuple[int, int]]:
    """{(kind, season): (points, count)} for one member; only these ``seasons`` ('' = all time) when given.

    Pass ``seasons`` on hot paths: a long-active member has a row per kind for every calendar week and month."""
    stmt = select(member_stats.c.kind, member_stats.c.season, member_stats.c.points, member_stats.c.count).where(
        member_stats.c.guild_id == guild_id, member_stats.c.user_id == user_id
    )
    if seasons is not None:
        stmt = stmt.where(member_stats.c.season.in_(sorted(set(seasons))))
    result = await conn.execute(stmt)
    return {(r.kind, r.season): (r.points, r.count) for r in result}


async def members_with_stats(conn: AsyncConnection, guild_id: int) -> list[int]:
    """Every member with an aggregate row (anything ever counted), by id."""
    rows = await conn.execute(
        select(member_stats.c.user_id).where(member_stats.c.guild_id == guild_id).distinct()
        .order_by(member_stats.c.user_id)
    )
    return [int(r[0]) for r in rows]


async def first_counted_at(conn: AsyncConnection, guild_id: int, user_id: int) -> datetime | None:
    """When the member's first counted credit (not a reversal) was recorded, or None."""
    return (await conn.execute(
        select(func.min(contributions.c.created_at)).where(
            contributions.c.guild_id == guild_id, contributions.c.user_id == user_id,
            contributions.c.status == "counted", contributions.c.reverses_id.is_(None))
    )).scalar_one_or_none()
async def totals_by_season(conn: AsyncConnection, guild_id: int, seasons: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Every member's points and net count per ``season`` key (calendar months ``M2026-11`` too), every kind."""
    ms = member_stats.c
    rows = await conn.execute(
        select(ms.season, func.coalesce(func.sum(ms.points), 0), func.coalesce(func.sum(ms.count), 0))
        .where(ms.guild_id == guild_id, ms.kind == ALL_KINDS, ms.season.in_(list(seasons))).group_by(ms.season))
    return {str(s): (int(p), int(n)) for s, p, n in rows}


async def members_by_count(conn: AsyncConnection, guild_id: int, min_count: int, limit: int
                           ) -> list[tuple[int, int, int]]:
    """(user_id, net count, points) all time of members with at least ``min_count`` counted contributions, most
    first."""
    ms = member_stats.c
    rows = await conn.execute(
        select(ms.user_id, ms.count, ms.points)
        .where(ms.guild_id == guild_id, ms.kind == ALL_KINDS, ms.season == ALL_TIME, ms.count >= min_count)
        .order_by(ms.count.desc(), ms.user_id).limit(limit))
    return [(int(u), int(n), int(p)) for u, n, p in rows]


async def history(
    conn: AsyncConnection, guild_id: int, user_id: int, *, limit: int, before_id: int | None = None
) -> list[Contribution]:
    stmt = select(contributions).where(contributions.c.guild_id == guild_id, contributions.c.user_id == user_id)
    if before_id is not None:
        stmt = stmt.where(contributions.c.id < before_id)
    # Newest first straight from ix_contributions_guild_id_user_id_created_at (ids grow with time; the id
    # breaks ties), so a member with thousands of entries costs no sort.
    result = await conn.execute(
        stmt.order_by(contributions.c.created_at.desc(), contributions.c.id.desc()).limit(limit))
    return [_row(r) for r in result]


async def find_for_member(
    conn: AsyncConnection,
    guild_id: int,
    user_id: int,
    *,
    source_key: str | None = None,
    message_id: int | None = None,
) -> list[Contribution]:
    """A member's rows matching a source key (or its re-credits) or a message id, with their reversals."""
    conds = []
    if source_key is not None:
        conds.append(contributions.c.source_key == source_key)
        conds.append(contributions.c.source_key.startswith(source_key + "#", autoescape=True))
    if message_id is not None:
        conds.append(contributions.c.message_id == message_id)
    if not conds:
        return []
    result = await conn.execute(
        select(contributions)
        .where(contributions.c.guild_id == guild_id, contributions.c.user_id == user_id, or_(*conds))
        .order_by(contributions.c.id)
    )
    rows = [_row(r) for r in result]
    reversals = await reversals_of(conn, guild_id, [r.id for r in rows if not r.is_reversal])
    known = {r.id for r in rows}
    rows.extend(r for r in reversals.values() if r.id not in known)
    return sorted(rows, key=lambda c: c.id)


# --------------------------------------------------------------------------- leaderboards


async def board_from_stats(
    conn: AsyncConnection, guild_id: int, kind: str, season: str, *, limit: int, offset: int
) -> list[tuple[int, int]]:
    """(user_id, points) from ``member_stats``: walks ``ix_member_stats_guild_id_kind_season_points``."""
    result = await conn.execute(board_from_stats_sql(guild_id, kind, season, limit=limit, offset=offset))
    return [(r.user_id, r.points) for r in result]


def board_from_stats_sql(guild_id: int, kind: str, season: str, *, limit: int, offset: int) -> Any:
    """The statement behind :func:`board_from_stats` (for EXPLAIN in tests)."""
    return (
        select(member_stats.c.user_id, member_stats.c.points)
        .where(
            member_stats.c.guild_id == guild_id,
            member_stats.c.kind == kind,
            member_stats.c.season == season,
            member_stats.c.points > 0,
        )
        .order_by(member_stats.c.points.desc(), member_stats.c.user_id)
        .limit(limit)
        .offset(offset)
    )


async def stats_rank_of(conn: AsyncConnection, guild_id: int, kind: str, season: str, points: int) -> int:
    """Competition rank of a score: 1 + the number of members with more points."""
    result = await conn.execute(
        select(func.count()).where(
            member_stats.c.guild_id == guild_id,
            member_stats.c.kind == kind,
            member_stats.c.season == season,
            member_stats.c.points > points,
        )
    )
    return int(result.scalar_one()) + 1


async def board_from_ledger(
    conn: AsyncConnection, guild_id: int, kinds: Sequence[str], since: datetime, until: datetime
) -> list[tuple[int, int]]:
    """(user_id, net points) over a time range, every member with a positive sum, best first."""
    result = await conn.execute(board_from_ledger_sql(guild_id, kinds, since, until))
    return [(r.user_id, int(r.total)) for r in result]


def board_from_ledger_sql(guild_id: int, kinds: Sequence[str], since: datetime, until: datetime) -> Any:
    """One ``kind = ?`` branch per kind, summed outside: each branch walks
    ``ix_contributions_guild_id_kind_created_at`` on both backends, with or without planner statistics
    (with ``kind IN (…)`` an un-analyzed SQLite prefers the user index and reads the whole guild)."""
    branches = [
        select(contributions.c.user_id, contributions.c.points).where(
            contributions.c.guild_id == guild_id,
            contributions.c.kind == kind,
            contributions.c.created_at >= since,
            contributions.c.created_at <= until,
            contributions.c.status == "counted",
        )
        for kind in kinds
    ]
    rows = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("rows")
    total = func.sum(rows.c.points).label("total")
    return (
        select(rows.c.user_id, total)
        .group_by(rows.c.user_id)
        .having(func.sum(rows.c.points) > 0)
        .order_by(total.desc(), rows.c.user_id)
    )


def reversals_of_sql(guild_id: int, ids: Sequence[int]) -> Any:
    return select(contributions).where(
        contributions.c.reverses_id.is_not(None),  # lets SQLite use the partial unique index
        contributions.c.reverses_id.in_(list(ids)),
        # "+ 0" keeps this a filter, not an index choice: without statistics SQLite otherwise prefers a
        # guild_id index as soon as the IN list has 4+ ids, and reads the whole guild (seconds at 1M rows).
        (contributions.c.guild_id + 0) == guild_id,
    )


# --------------------------------------------------------------------------- analysis


async def peer_exchanges(
    conn: AsyncConnection, guild_id: int, kinds: Sequence[str], since: datetime
) -> dict[tuple[int, int], int]:
    """{(giver, receiver): number of credits} for peer-given kinds since ``since`` (reversed ones excluded)."""
    rev = contributions.alias("rev")
    reversed_ids = select(rev.c.reverses_id).where(rev.c.guild_id == guild_id, rev.c.reverses_id.is_not(None))
    result = await conn.execute(
        select(contributions.c.actor_id, contributions.c.user_id, func.count().label("n"))
        .where(
            contributions.c.guild_id == guild_id,
            contributions.c.kind.in_(list(kinds)),
            contributions.c.created_at >= since,
            contributions.c.reverses_id.is_(None),
            contributions.c.actor_id.is_not(None),
            contributions.c.actor_id != contributions.c.user_id,
            contributions.c.id.not_in(reversed_ids),
        )
        .group_by(contributions.c.actor_id, contributions.c.user_id)
    )
    return {(r.actor_id, r.user_id): int(r.n) for r in result}


async def ledger_sums(conn: AsyncConnection, guild_id: int) -> dict[tuple[int, str, str], tuple[int, int]]:
    """{(user, kind, season): (points, count)} recomputed from counted ledger rows (season '' = all time, kind '*',
    ``W…``/``M…`` = the calendar week/month of ``created_at``)."""
    count_delta = case((contributions.c.reverses_id.is_(None), 1), else_=-1)
    created = contributions.c.created_at
    day = func.date(func.timezone("UTC", created) if conn.dialect.name == "postgresql" else created)
    result = await conn.execute(
        select(
            contributions.c.user_id,
            contributions.c.kind,
            contributions.c.season,
            day.label("day"),
            func.sum(contributions.c.points).label("points"),
            func.sum(count_delta).label("n"),
        )
        .where(contributions.c.guild_id == guild_id, contributions.c.status == "counted")
        .group_by(contributions.c.user_id, contributions.c.kind, contributions.c.season, day)
    )
    sums: dict[tuple[int, str, str], tuple[int, int]] = {}

    def add(key: tuple[int, str, str], points: int, n: int) -> None:
        p0, n0 = sums.get(key, (0, 0))
        sums[key] = (p0 + points, n0 + n)

    for r in result:
        points, n = int(r.points), int(r.n)
        d = r.day if isinstance(r.day, date) else date.fromisoformat(str(r.day)[:10])
        noon = datetime(d.year, d.month, d.day, 12, tzinfo=UTC)
        for kind in (r.kind, ALL_KINDS):
            add((r.user_id, kind, ALL_TIME), points, n)
            if r.season:
                add((r.user_id, kind, r.season), points, n)
            for key in period_keys(noon):
                add((r.user_id, kind, key), points, n)
    return sums


async def stats_sums(conn: AsyncConnection, guild_id: int) -> dict[tuple[int, str, str], tuple[int, int]]:
    result = await conn.execute(
        select(member_stats.c.user_id, member_stats.c.kind, member_stats.c.season, member_stats.c.points,
               member_stats.c.count).where(member_stats.c.guild_id == guild_id)
    )
    return {(r.user_id, r.kind, r.season): (r.points, r.count) for r in result}


__all__ = [
    "ALL_KINDS",
    "ALL_TIME",
    "Contribution",
    "add",
    "board_from_ledger",
    "board_from_stats",
    "board_from_ledger_sql",
    "board_from_stats_sql",
    "bump_stats",
    "month_key",
    "period_keys",
    "week_key",
    "by_source",
    "find_for_member",
    "get",
    "given_since",
    "history",
    "ledger_sums",
    "lock_for_write",
    "members_with_stats",
    "peer_exchanges",
    "pending_points",
    "pending_due",
    "points_since",
    "release_due",
    "reversal_of",
    "reversals_of",
    "reversals_of_sql",
    "source_generations",
    "stats_for",
    "stats_rank_of",
    "stats_sums",
]
