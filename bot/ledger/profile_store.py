"""``/profile`` in one statement: a member's aggregates, held points, stored stage and latest receipts.

``/profile`` is the hottest read members make, and on SQLite every statement is a trip to aiosqlite's thread
(on PostgreSQL a round trip to the server). It used to be five to six statements (``stats_for``,
``pending_points``, ``stage_since``, ``history``, ``reversals_of`` and, for a reversal whose original is off the
page, ``get``). Here they are one ``UNION ALL`` of two branches with the same columns:

- the *head* row(s): ``(SELECT 1)`` left-joined to the member's ``member_stats`` rows of the wanted seasons (so
  there is one row even for a member with none), each carrying the held points and the stored stage as scalar
  subqueries (computed once: they do not depend on the row);
- the *receipt* rows: the member's newest ``limit`` entries (newest first, straight from the member index),
  each with whether it was reversed (an ``EXISTS`` on the partial unique index of ``reverses_id``) and, for a
  reversal, its original's kind and reason (the title a reversal keeps), left-joined by primary key.

- with ``windows`` (the rolling windows of the guild's reward rules, :mod:`bot.rewards.progress`), one *window*
  row per window: the member's net counted points since ``now - days`` (what ``counted_points_since`` sums),
  in the ``s_points`` column, with the days in ``s_count``.

Columns a branch does not have are typed NULLs, so both backends hand back the same Python values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    exists,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger.models import Contribution
from bot.ledger.tables import contributions, member_stages, member_stats
from bot.platform.db.types import Snowflake, UTCDateTime

_HEAD, _RECEIPT, _WINDOW = 0, 1, 2


@dataclass(frozen=True, slots=True)
class ProfileRow:
    """A receipt row: the entry, whether a later row reversed it, and for a reversal its original's (kind,
    reason) (None when the original is missing)."""

    entry: Contribution
    reversed: bool
    original: tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class ProfileData:
    stats: dict[tuple[str, str], tuple[int, int]]  # {(kind, season): (points, count)}, as ``stats_for``
    pending: int  # held points, net of held reversals, as ``pending_points``
    stage: tuple[int, datetime] | None  # as ``stages_store.stage_since``
    receipts: list[ProfileRow]
    windows: dict[int, int]  # {days: net counted points since now - days}, for the windows asked


_CONTRIBUTION_COLUMNS = Contribution.__slots__


def _typed_null(column: Any) -> Any:
    return type_coerce(null(), column.type)


def _profile_sql(windows: int) -> Any:
    """The statement, built once with bound parameters: building it (two aliases and a subquery of the
    17-column table, about 60 labelled columns) cost some 35 ms per call on the shared machine, ten times the
    query."""
    guild_id, user_id = bindparam("guild_id", type_=Snowflake), bindparam("user_id", type_=Snowflake)
    seasons = bindparam("seasons", expanding=True, type_=String)
    receipts = bindparam("receipts", type_=Integer)
    pending = select(func.coalesce(func.sum(contributions.c.points), 0)).where(
        # Held rows are few: walk ix_contributions_status_held_until (see store.pending_points).
        contributions.c.status == "pending",
        (contributions.c.guild_id + 0) == guild_id,
        (contributions.c.user_id + 0) == user_id,
    ).scalar_subquery()
    stage_of = (member_stages.c.guild_id == guild_id, member_stages.c.user_id == user_id)
    stage = select(member_stages.c.stage).where(*stage_of).scalar_subquery()
    since = select(member_stages.c.since).where(*stage_of).scalar_subquery()
    one = select(literal(1).label("one")).subquery("one")
    head = select(
        literal(_HEAD, Integer).label("part"),
        member_stats.c.kind.label("s_kind"), member_stats.c.season.label("s_season"),
        member_stats.c.points.label("s_points"), member_stats.c.count.label("s_count"),
        type_coerce(pending, Integer).label("pending"), type_coerce(stage, Integer).label("stage"),
        type_coerce(since, UTCDateTime).label("since"),
        *(_typed_null(contributions.c[name]).label(name) for name in _CONTRIBUTION_COLUMNS),
        type_coerce(null(), Boolean).label("is_reversed"),
        type_coerce(null(), String).label("o_kind"), type_coerce(null(), String).label("o_reason"),
    ).select_from(one.outerjoin(member_stats, and_(
        member_stats.c.guild_id == guild_id, member_stats.c.user_id == user_id,
        member_stats.c.season.in_(seasons))))
    # Newest first straight from ix_contributions_guild_id_user_id_created_at; a subquery, since a branch of
    # a compound select cannot carry its own ORDER BY / LIMIT on SQLite.
    latest = (select(contributions).where(contributions.c.guild_id == guild_id, contributions.c.user_id == user_id)
              .order_by(contributions.c.created_at.desc(), contributions.c.id.desc()).limit(receipts)
              .subquery("latest"))
    later = contributions.alias("later")
    original = contributions.alias("original")
    receipt = select(
        literal(_RECEIPT, Integer).label("part"),
        *(_typed_null(c).label(n) for c, n in ((member_stats.c.kind, "s_kind"), (member_stats.c.season, "s_season"),
                                                (member_stats.c.points, "s_points"),
                                                (member_stats.c.count, "s_count"))),
        type_coerce(null(), Integer).label("pending"), type_coerce(null(), Integer).label("stage"),
        type_coerce(null(), UTCDateTime).label("since"),
        *(latest.c[name].label(name) for name in _CONTRIBUTION_COLUMNS),
        exists(select(literal(1)).where(later.c.reverses_id.is_not(None),  # the partial unique index
                                        later.c.reverses_id == latest.c.id)).label("is_reversed"),
        original.c.kind.label("o_kind"), original.c.reason.label("o_reason"),
    ).select_from(latest.outerjoin(original, original.c.id == latest.c.reverses_id))
    branches = [head, receipt]
    for i in range(windows):
        points = select(func.coalesce(func.sum(contributions.c.points), 0)).where(
            contributions.c.guild_id == guild_id, contributions.c.user_id == user_id,
            contributions.c.status == "counted",
            contributions.c.created_at >= bindparam(f"since_{i}", type_=UTCDateTime)).scalar_subquery()
        branches.append(select(
            literal(_WINDOW, Integer).label("part"),
            type_coerce(null(), String).label("s_kind"), type_coerce(null(), String).label("s_season"),
            type_coerce(points, Integer).label("s_points"), bindparam(f"days_{i}", type_=Integer).label("s_count"),
            type_coerce(null(), Integer).label("pending"), type_coerce(null(), Integer).label("stage"),
            type_coerce(null(), UTCDateTime).label("since"),
            *(_typed_null(contributions.c[name]).label(name) for name in _CONTRIBUTION_COLUMNS),
            type_coerce(null(), Boolean).label("is_reversed"),
            type_coerce(null(), String).label("o_kind"), type_coerce(null(), String).label("o_reason"),
        ))
    return union_all(*branches)


_STATEMENTS: dict[int, Any] = {}


def profile_sql(windows: int = 0) -> Any:
    """The statement with ``windows`` window rows (built once per count: guilds use none, one or two)."""
    if windows not in _STATEMENTS:
        _STATEMENTS[windows] = _profile_sql(windows)
    return _STATEMENTS[windows]


async def profile_data(conn: AsyncConnection, guild_id: int, user_id: int, seasons: Iterable[str], *,
                       receipts: int, windows: Iterable[tuple[int, datetime]] = ()) -> ProfileData:
    """Everything ``/profile`` reads from the ledger, in one statement (receipts newest first); ``windows``:
    (days, since) of the rolling windows to sum."""
    wanted = sorted(set(windows))
    params: dict[str, Any] = {"guild_id": guild_id, "user_id": user_id, "seasons": sorted(set(seasons)),
                              "receipts": receipts}
    for i, (days, since) in enumerate(wanted):
        params[f"days_{i}"], params[f"since_{i}"] = days, since
    rows = (await conn.execute(profile_sql(len(wanted)), params)).all()
    sums: dict[int, int] = {}
    stats: dict[tuple[str, str], tuple[int, int]] = {}
    pending, stage = 0, None
    latest: list[ProfileRow] = []
    for r in rows:
        if r.part == _WINDOW:
            sums[int(r.s_count)] = int(r.s_points or 0)
        elif r.part == _HEAD:
            pending = int(r.pending or 0)
            if r.stage is not None:
                stage = (int(r.stage), r.since)
            if r.s_kind is not None:
                stats[(r.s_kind, r.s_season)] = (r.s_points, r.s_count)
        else:
            entry = Contribution(**{name: getattr(r, name) for name in _CONTRIBUTION_COLUMNS})
            original = (r.o_kind, r.o_reason) if entry.reverses_id is not None and r.o_kind is not None else None
            latest.append(ProfileRow(entry, bool(r.is_reversed), original))
    latest.sort(key=lambda p: (p.entry.created_at, p.entry.id), reverse=True)  # a UNION keeps no order
    return ProfileData(stats, pending, stage, latest, sums)
