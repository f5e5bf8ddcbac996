"""The one claim and back-off code path of every durable queue: timers (``bot.platform.jobs.store``) and
reward grants (``bot.rewards.store``) both claim through :func:`claim`, and decide whether and when a failed try
runs again through :func:`retry_at` (with :func:`backoff` between tries).

A claim is one statement: ``UPDATE … WHERE id IN (SELECT … [FOR UPDATE SKIP LOCKED]) AND <still due>
RETURNING``. PostgreSQL: rows another process is claiming right now are skipped, not waited for, and the
re-checked condition keeps a row claimed at most once. SQLite: the statement runs under the database's single
write lock, so the conditional UPDATE alone is the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

MAX_BACKOFF_SECONDS = 86400


async def claim(conn: AsyncConnection, table: Table, *, due: ColumnElement[bool], order_by: Sequence[Any],
                limit: int, values: dict[str, Any], where: Sequence[ColumnElement[bool]] = ()) -> list[Row[Any]]:
    """Take up to ``limit`` rows of ``table`` that are ``due`` (and match ``where``), in ``order_by`` order,
    setting ``values`` on them (the claimed state: status, claim time, one more attempt). Returns the rows as
    they are after the claim, unordered."""
    pick = select(table.c.id).where(due, *where).order_by(*order_by).limit(limit)
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = update(table).where(table.c.id.in_(pick.scalar_subquery()), due).values(**values).returning(*table.c)
    return list(await conn.execute(stmt))


def backoff(base_seconds: float, attempts: int) -> timedelta:
    """Exponential back-off after the ``attempts``-th try: base, 2×base, 4×base … capped at one day."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def retry_at(now: datetime, attempts: int, *, max_attempts: int, base_seconds: float,
             delay: float | None = None) -> datetime | None:
    """When a job that failed on its ``attempts``-th try runs again: after :func:`backoff` (or ``delay``
    seconds, when the failure says how long to wait), or ``None`` once ``max_attempts`` are used (it fails for
    good). Timers and reward grants both decide a retry here."""
    if attempts >= max_attempts:
        return None
    return now + (timedelta(seconds=delay) if delay is not None else backoff(base_seconds, attempts))
