"""Activity counters: one ``executemany`` upsert per flush, for thousands of rows at a time.

The statement is SQLAlchemy's own (compiled once per dialect); the rows go to the driver as tuples. Passing
them as dictionaries through ``conn.execute`` costs about 10 µs a row of parameter processing on the event loop,
which at a few thousand rows a flush was the biggest cost of the whole hot path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.activity.tables import activity_counters
from bot.platform.db.upsert import insert_for

CountRow = tuple[int, int, int, date, int, int]  # guild, user, channel, day, messages, reactions
COLUMNS = ("guild_id", "user_id", "channel_id", "day", "messages", "reactions")

_compiled: dict[str, tuple[str, Any]] = {}


def _statement(conn: AsyncConnection) -> tuple[str, Any]:
    """(SQL with one placeholder per column in CountRow order, the dialect's converter for dates or None)."""
    dialect: Dialect = conn.dialect
    found = _compiled.get(dialect.name)
    if found is None:
        stmt = insert_for(conn, activity_counters)
        stmt = stmt.on_conflict_do_update(
            index_elements=["guild_id", "user_id", "channel_id", "day"],
            set_={"messages": activity_counters.c.messages + stmt.excluded.messages,
                  "reactions": activity_counters.c.reactions + stmt.excluded.reactions},
        )
        compiled = stmt.compile(dialect=dialect, column_keys=list(COLUMNS))
        if tuple(compiled.positiontup or ()) != COLUMNS:  # pragma: no cover - a dialect we do not support
            raise RuntimeError(f"unexpected placeholders for {dialect.name}: {compiled.positiontup}")
        found = _compiled[dialect.name] = (compiled.string,
                                           activity_counters.c.day.type._cached_bind_processor(dialect))
    return found


async def add_counts(conn: AsyncConnection, rows: Iterable[CountRow]) -> int:
    """Add ``rows`` to the counters: insert, or add to the existing row of that member, channel and day.
    Returns how many rows were written. ``rows`` may be a generator: the driver gets one list, built in one pass
    (on SQLite with each day already converted), so a flush of thousands of rows allocates each row once."""
    sql, day_bind = _statement(conn)
    if day_bind is not None:  # SQLite stores dates as text: convert each distinct day once, not per row
        days: dict[date, Any] = {}
        params = [(g, u, c, days.get(d) or days.setdefault(d, day_bind(d)), m, r) for g, u, c, d, m, r in rows]
    else:
        params = list(rows)
    if params:
        await conn.exec_driver_sql(sql, params)  # type: ignore[arg-type]
    return len(params)
