"""Engagement-ladder stages kept with the ledger: each member's stage, and every move between stages.

The stage is a function of the member's all-time totals (the highest stage whose rules hold, as ``/profile``
shows it). ``track`` runs in the transaction that changes the totals (``LedgerService._count``), right after
``member_stats``: it writes the member's stage and, when it changed, a move. A move happens at the time the
row entered the totals: its ``created_at``, or the end of its probation hold for a released row
(:func:`counted_at`), so :func:`replay` — the from-scratch recomputation — finds the same moves.

The guild's ladder comes from its config. ``stage_ladders`` remembers which ladder (:func:`ladder_key`) the
stored stages were computed with; while it differs from the configured one, ``track`` leaves the stages
alone and :func:`ensure_current` rebuilds them from the ledger before anyone reads them.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger import stages_store as repo
from bot.ledger.policy import KINDS, Requirement, Stage
from bot.platform.db import Database, locks

ALL = "*"


def ladder_key(ladder: Sequence[Stage]) -> str:
    """A short key of the ladder's rules (names, requirements): equal ladders give equal keys."""
    return hashlib.sha256(repr(tuple(ladder)).encode()).hexdigest()[:32]


def stage_of(ladder: Sequence[Stage], all_time: Mapping[str, tuple[int, int]]) -> int:
    """The index of the highest stage whose rules hold for ``{kind or '*': (points, count)}`` (0 if none)."""
    reached = [i for i, stage in enumerate(ladder) if stage.reached(all_time)]
    return reached[-1] if reached else 0


def all_time_of(stats: Mapping[tuple[str, str], tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """``{kind: (points, count)}`` all time, from ``stats_for``'s ``{(kind, season): (points, count)}``."""
    return {kind: stats.get((kind, ""), (0, 0)) for kind in (*KINDS, ALL)}


def counted_at(created_at: datetime, held_until: datetime | None) -> datetime:
    """When a counted row entered the totals: at creation, or when its probation hold ended."""
    return max(created_at, held_until) if held_until is not None else created_at


@dataclass(frozen=True, slots=True)
class Replayed:
    stage: int
    since: datetime
    moves: list[tuple[int, int, datetime]]  # (from, to, at), oldest first


class CompiledLadder:
    """The ladder as index lists, for replaying many rows: each row updates the running totals of only the
    requirements its kind feeds, and the stage is re-evaluated only when one of them flips."""

    def __init__(self, ladder: Sequence[Stage]) -> None:
        reqs: list[Requirement] = []
        for stage in ladder:
            for req in (*stage.all_of, *stage.any_of):
                if req not in reqs:
                    reqs.append(req)
        self.reqs = reqs
        self.every = tuple(i for i, r in enumerate(reqs) if r.kinds == (ALL,))
        self.by_kind = {kind: tuple(i for i, r in enumerate(reqs) if r.kinds == (ALL,) or kind in r.kinds)
                        for kind in {k for r in reqs for k in r.kinds} | set(KINDS)}
        self.stages = [(tuple(reqs.index(r) for r in s.all_of), tuple(reqs.index(r) for r in s.any_of))
                       for s in ladder]

    def stage(self, met: Sequence[bool]) -> int:
        best = 0
        for i, (all_of, any_of) in enumerate(self.stages):
            if all(met[j] for j in all_of) and (not any_of or any(met[j] for j in any_of)):
                best = i
        return best


def replay(ladder: Sequence[Stage] | CompiledLadder, rows: Iterable[tuple[str, int, bool, Any]]) -> Replayed | None:
    """One member's stage history from their counted rows ``(kind, points, is_reversal, counted_at)`` in the
    order they were counted; ``None`` without rows. (Times are passed through as given.)"""
    lad = ladder if isinstance(ladder, CompiledLadder) else CompiledLadder(ladder)
    n = len(lad.reqs)
    points, counts = [0] * n, [0] * n
    met = [r.count <= 0 and r.points <= 0 for r in lad.reqs]
    stage = 0  # as ``track``: a member's first counted row moves them from the lowest stage
    since, moves, seen = None, [], False
    for kind, pts, is_reversal, at in rows:
        step = -1 if is_reversal else 1
        flipped = False
        for j in lad.by_kind.get(kind, lad.every):
            points[j] += pts
            counts[j] += step
            req = lad.reqs[j]
            now_met = counts[j] >= req.count and points[j] >= req.points
            if now_met != met[j]:
                met[j] = now_met
                flipped = True
        if not seen:
            seen, since, flipped = True, at, True
        if flipped:
            now = lad.stage(met)
            if now != stage:
                moves.append((stage, now, at))
                stage, since = now, at
    if not seen:
        return None
    return Replayed(stage, since, moves)


async def track(
    conn: AsyncConnection, ladder: Sequence[Stage], guild_id: int, user_id: int,
    stats: Mapping[tuple[str, str], tuple[int, int]], at: datetime,
) -> tuple[int, int] | None:
    """Bring the member's stored stage up to date after their totals changed (inside the writer's transaction,
    under the ledger's write lock for the member). Returns the move ``(from, to)`` when the stage changed."""
    key = ladder_key(ladder)
    stored = await repo.ladder_of(conn, guild_id, share=True)
    if stored is None:
        # No stages for this guild yet (migrations backfill every guild with counted rows): start them now.
        await repo.start_ladder(conn, guild_id, key, at)
        stored = await repo.ladder_of(conn, guild_id, share=True)
    if stored != key:
        return None  # computed with another ladder: rebuilt by ensure_current before anyone reads them
    now = stage_of(ladder, all_time_of(stats))
    current = await repo.stage_of(conn, guild_id, user_id)
    if current is None:
        await repo.set_stage(conn, guild_id, user_id, now, at, new=True)
        if now != 0:
            await repo.add_move(conn, guild_id, user_id, 0, now, at)
            return 0, now
    elif current != now:
        await repo.set_stage(conn, guild_id, user_id, now, at, new=False)
        await repo.add_move(conn, guild_id, user_id, current, now, at)
        return current, now
    return None


async def rebuild(conn: AsyncConnection, guild_id: int, ladder: Sequence[Stage], now: datetime) -> int:
    """Recompute the guild's stages and moves from its counted ledger rows; returns the members stored.
    The caller holds the ledger's write lock for the guild (``lock_for_write``)."""
    await repo.clear(conn, guild_id)
    members = 0
    batch_stages: list[dict[str, object]] = []
    batch_moves: list[dict[str, object]] = []

    async def flush() -> None:
        await repo.insert_many(conn, batch_stages, batch_moves)
        batch_stages.clear()
        batch_moves.clear()

    compiled = CompiledLadder(ladder)
    as_time = repo.as_time
    async for user_id, rows in _counted_by_member(conn, guild_id):
        done = replay(compiled, rows)
        if done is None:
            continue
        members += 1
        batch_stages.append({"guild_id": guild_id, "user_id": user_id, "stage": done.stage,
                             "since": as_time(done.since)})
        batch_moves.extend({"guild_id": guild_id, "user_id": user_id, "from_stage": a, "to_stage": b,
                            "at": as_time(at)} for a, b, at in done.moves)
        if len(batch_stages) >= 5000:
            await flush()
    await flush()
    await repo.set_ladder(conn, guild_id, ladder_key(ladder), now)
    return members


async def _counted_by_member(conn: AsyncConnection, guild_id: int) -> AsyncIterator[tuple[int, list[Any]]]:
    """(user_id, rows in counting order) per member, from one streamed scan of the guild's counted rows. Times
    stay as the database returns them (text on SQLite, in the stored format, which sorts as the times do)."""
    user: int | None = None
    rows: list[tuple[str, int, bool, Any, int]] = []
    async for r in await repo.counted_rows(conn, guild_id):
        user_id, row_id, kind, points, reverses_id, created_at, held_until = r
        if user_id != user:
            if user is not None:
                yield user, _ordered(rows)
            user, rows = user_id, []
        at = created_at if held_until is None or held_until < created_at else held_until
        rows.append((kind, points, reverses_id is not None, at, row_id))
    if user is not None:
        yield user, _ordered(rows)


def _ordered(rows: list[tuple[str, int, bool, Any, int]]) -> list[tuple[str, int, bool, Any]]:
    rows.sort(key=lambda r: (r[3], r[4]))
    return [r[:4] for r in rows]


async def ensure_current(db: Database, guild_id: int, ladder: Sequence[Stage], now: datetime) -> bool:
    """Rebuild the guild's stages when they were computed with another ladder (or never); True if rebuilt."""
    key = ladder_key(ladder)
    async with db.connect() as conn:
        stored = await repo.ladder_of(conn, guild_id)
        if stored == key or (stored is None and not await repo.has_totals(conn, guild_id)):
            return False  # up to date, or nothing counted yet (the first counted row starts the stages)
    async with db.begin() as conn:
        await locks.lock_for_write(conn, guild_id, ())
        # A placeholder row to lock: writers wait on it (``track`` reads it FOR SHARE) until the rebuild commits.
        await repo.start_ladder(conn, guild_id, "", now)
        if await repo.ladder_of(conn, guild_id, update=True) == key:
            return False  # another process rebuilt them meanwhile
        await rebuild(conn, guild_id, ladder, now)
    return True


async def ensure_all_current(db: Database, ladder_for: Callable[[int], Sequence[Stage]], now: datetime) -> list[int]:
    """At start (before any writer runs): rebuild the stages of every guild whose configured ladder changed since
    they were computed (a rebuild holds the ledger's write lock: about 10-30 s per million rows). Returns the
    guilds rebuilt."""
    async with db.connect() as conn:
        guild_ids = await repo.ladder_guilds(conn)
    rebuilt = []
    for guild_id in guild_ids:
        if await ensure_current(db, guild_id, ladder_for(guild_id), now):
            rebuilt.append(guild_id)
    return rebuilt
