"""Migrations create exactly the schema in bot/db/schema.py, and go down and up cleanly, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.db import Database, metadata, migrate


async def _tables(db: Database) -> set[str]:
    async with db.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert await migrate.current_revision(db) is None
        await migrate.upgrade(db)
        assert await migrate.current_revisions(db) == migrate.head_revisions()
        assert set(metadata.tables) <= await _tables(db)

        await migrate.downgrade(db, "base")
        assert await migrate.current_revision(db) is None
        assert await _tables(db) <= {"alembic_version"}

        await migrate.upgrade(db)
        assert set(metadata.tables) <= await _tables(db)
    finally:
        await db.close()


async def test_migrations_match_schema(db: Database) -> None:
    def _diff(sync_conn: Any) -> list[Any]:
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": False})
        return compare_metadata(ctx, metadata)

    async with db.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []


async def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with db.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
    finally:
        await db.close()
