"""Activity counters: one ``executemany`` upsert per flush, for thousands of rows at a time.

The statement is SQLAlchemy's own (compiled once per dialect); the rows go to the driver as tuples. Passing
them as dictionaries through ``conn.execute`` costs about 10 µs a row of parameter processing on the event loop,
which at a few thousand rows a flush was the biggest cost of the whole hot path.
"""

from __future__ import annotations

from collections.abc import Sequence
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


async def add_counts(conn: AsyncConnection, rows: Sequence[CountRow]) -> None:
    """Add ``rows`` to the counters: insert, or add to the existing row of that member, channel and day."""
    if not rows:
        return
    sql, day_bind = _statement(conn)
    if day_bind is not None:  # SQLite stores dates as text: convert each distinct day once, not per row
        days = {day: day_bind(day) for day in {row[3] for row in rows}}
        rows = [(g, u, c, days[d], m, r) for g, u, c, d, m, r in rows]  # type: ignore[misc]
    await conn.exec_driver_sql(sql, rows)  # type: ignore[arg-type]
