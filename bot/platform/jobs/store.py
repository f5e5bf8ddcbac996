"""Repository for durable timers. Claims are atomic so two processes never fire one timer twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform import logctx
from bot.platform.db.upsert import insert_for
from bot.platform.jobs import claims
from bot.platform.jobs.keys import SeriesKey
from bot.platform.tables import timers


@dataclass(frozen=True, slots=True)
class Timer:
    id: int
    event: str
    payload: dict[str, Any]
    due_at: datetime
    status: str
    attempts: int
    claimed_by: str | None
    dedupe_key: str | None = None


def _row(row: Any) -> Timer:
    return Timer(
        id=row.id,
        event=row.event,
        payload=row.payload or {},
        due_at=row.due_at,
        status=row.status,
        attempts=row.attempts,
        claimed_by=row.claimed_by,
        dedupe_key=row.dedupe_key,
    )


async def create(
    conn: AsyncConnection,
    *,
    event: str,
    payload: dict[str, Any],
    due_at: datetime,
    now: datetime,
    dedupe_key: str | None = None,
) -> int | None:
    """Insert a timer; with a ``dedupe_key`` already present, return ``None`` and change nothing.

    Queued while an interaction or a job is handled, the timer keeps that correlation id (``_cid``)."""
    cid = logctx.correlation_id()
    if cid is not None and "_cid" not in payload:
        payload = {**payload, "_cid": cid}
    values = {"event": event, "payload": payload, "due_at": due_at, "status": "pending",
              "dedupe_key": dedupe_key, "created_at": now}
    if dedupe_key is None:
        result = await conn.execute(insert(timers).values(**values).returning(timers.c.id))
        return result.scalar_one()
    # ON CONFLICT DO NOTHING, not a savepoint: on SQLite a savepoint opened as the first statement of a
    # transaction commits on release, which would escape the caller's rollback.
    stmt = insert_for(conn, timers).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return (await conn.execute(stmt.returning(timers.c.id))).scalar_one_or_none()


async def cancel(conn: AsyncConnection, timer_id: int, *, now: datetime) -> bool:
    result = await conn.execute(
        update(timers)
        .where(timers.c.id == timer_id, timers.c.status == "pending")
        .values(status="cancelled", finished_at=now)
    )
    return result.rowcount == 1


async def cancel_by_key(conn: AsyncConnection, dedupe_key: str, *, now: datetime) -> bool:
    result = await conn.execute(
        update(timers)
        .where(timers.c.dedupe_key == dedupe_key, timers.c.status == "pending")
        .values(status="cancelled", finished_at=now)
    )
    return result.rowcount == 1


async def pending(conn: AsyncConnection) -> list[Timer]:
    result = await conn.execute(
        select(timers).where(timers.c.status == "pending").order_by(timers.c.due_at, timers.c.id)
    )
    return [_row(r) for r in result]


async def due_ids(conn: AsyncConnection, *, now: datetime, stale_before: datetime, limit: int = 100) -> list[int]:
    """Ids of timers that are due, or claimed so long ago that their worker must have died."""
    result = await conn.execute(
        select(timers.c.id)
        .where(
            or_(
                and_(timers.c.status == "pending", timers.c.due_at <= now),
                and_(timers.c.status == "running", timers.c.claimed_at < stale_before),
            )
        )
        .order_by(timers.c.due_at, timers.c.id)
        .limit(limit)
    )
    return list(result.scalars())


async def claim(
    conn: AsyncConnection, timer_id: int, *, worker: str, now: datetime, stale_before: datetime
) -> Timer | None:
    """Atomically take one due timer: ``UPDATE … WHERE status = 'pending' … RETURNING``.

    Returns ``None`` when another worker got it first.
    """
    result = await conn.execute(
        update(timers)
        .where(
            timers.c.id == timer_id,
            or_(
                and_(timers.c.status == "pending", timers.c.due_at <= now),
                and_(timers.c.status == "running", timers.c.claimed_at < stale_before),
            ),
        )
        .values(status="running", claimed_by=worker, claimed_at=now, attempts=timers.c.attempts + 1)
        .returning(*timers.c)
    )
    row = result.first()
    return _row(row) if row is not None else None


async def claim_due(
    conn: AsyncConnection, *, worker: str, now: datetime, stale_before: datetime, limit: int = 100
) -> list[Timer]:
    """Take up to ``limit`` due timers (pending and due, or running with a stale claim) through the one claim
    path (:func:`bot.platform.jobs.claims.claim`)."""
    due = or_(
        and_(timers.c.status == "pending", timers.c.due_at <= now),
        and_(timers.c.status == "running", timers.c.claimed_at < stale_before),
    )
    rows = await claims.claim(conn, timers, due=due, order_by=(timers.c.due_at, timers.c.id), limit=limit,
                              values={"status": "running", "claimed_by": worker, "claimed_at": now,
                                      "attempts": timers.c.attempts + 1})
    return sorted((_row(r) for r in rows), key=lambda t: (t.due_at, t.id))


async def finish(conn: AsyncConnection, timer_id: int, *, worker: str, now: datetime) -> None:
    await conn.execute(
        update(timers)
        .where(timers.c.id == timer_id, timers.c.claimed_by == worker, timers.c.status == "running")
        .values(status="done", finished_at=now, last_error=None)
    )


async def retry_later(
    conn: AsyncConnection, timer_id: int, *, worker: str, due_at: datetime, error: str
) -> None:
    await conn.execute(
        update(timers)
        .where(timers.c.id == timer_id, timers.c.claimed_by == worker, timers.c.status == "running")
        .values(status="pending", due_at=due_at, claimed_by=None, claimed_at=None, last_error=error[:500])
    )


async def fail(conn: AsyncConnection, timer_id: int, *, worker: str, now: datetime, error: str) -> None:
    await conn.execute(
        update(timers)
        .where(timers.c.id == timer_id, timers.c.claimed_by == worker, timers.c.status == "running")
        .values(status="failed", finished_at=now, last_error=error[:500])
    )


async def next_due(conn: AsyncConnection) -> datetime | None:
    result = await conn.execute(select(func.min(timers.c.due_at)).where(timers.c.status == "pending"))
    return result.scalar_one_or_none()


async def get(conn: AsyncConnection, timer_id: int) -> Timer | None:
    row = (await conn.execute(select(timers).where(timers.c.id == timer_id))).first()
    return _row(row) if row is not None else None


backoff = claims.backoff  # the one back-off of every queue


def _in_series(key: SeriesKey) -> Any:
    pattern = key.prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(timers.c.dedupe_key == key.dedupe(), timers.c.dedupe_key.like(pattern, escape="\\"))


async def cancel_series(conn: AsyncConnection, key: SeriesKey, *, now: datetime) -> int:
    """Cancel every pending timer of the series ``key`` (see :mod:`bot.platform.jobs.keys`)."""
    result = await conn.execute(
        update(timers).where(timers.c.status == "pending", _in_series(key)).values(status="cancelled", finished_at=now)
    )
    return result.rowcount


async def series_size(conn: AsyncConnection, key: SeriesKey) -> int:
    """How many timers the series ``key`` has had, whatever their status (a fresh occurrence number)."""
    return int((await conn.execute(select(func.count()).select_from(timers).where(_in_series(key)))).scalar_one())


async def pending_in_series(conn: AsyncConnection, key: SeriesKey) -> bool:
    row = (await conn.execute(
        select(timers.c.id).where(timers.c.status == "pending", _in_series(key)).limit(1)
    )).first()
    return row is not None


async def expedite_series(conn: AsyncConnection, key: SeriesKey, *, now: datetime) -> int:
    """Make the pending timers of the series ``key`` due now (a debounce that ended early). Only ones not tried
    yet: a timer waiting out its back-off after a failure keeps its time."""
    result = await conn.execute(
        update(timers)
        .where(timers.c.status == "pending", timers.c.attempts == 0, timers.c.due_at > now, _in_series(key))
        .values(due_at=now)
    )
    return result.rowcount
