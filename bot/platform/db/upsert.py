"""Portable ``INSERT … ON CONFLICT`` for SQLite and PostgreSQL (both speak the same clause)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_for(conn: AsyncConnection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        # Imported here: a bot on SQLite never loads the PostgreSQL dialect (docs/scaling.md, "Memory").
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    return sqlite.insert(table)


async def upsert(
    conn: AsyncConnection, table: Table, values: dict[str, Any], *, keys: list[str], update: list[str]
) -> None:
    stmt = insert_for(conn, table).values(**values)
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={k: stmt.excluded[k] for k in update})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    await conn.execute(stmt)
