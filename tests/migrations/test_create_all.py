"""A fresh database is created from the metadata and stamped at the head (``migrate.upgrade(db,
metadata=...)``, what the bot and ``kudos migrate`` do); it must be exactly the database that replaying every
revision gives: the same tables, columns in the same order with the same types, nullability and server
defaults, keys, indexes, unique and check constraints (and sequences on PostgreSQL), on SQLite and PostgreSQL.
A database that already has a revision is still migrated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, Index, Integer, MetaData, Table, inspect, text

from bot.platform.db import Database, DatabaseError, migrate
from bot.schema import metadata
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database
from tests.migrations.schema_snapshot import schema_of


@asynccontextmanager
async def _another_database(db: Database, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database on the same backend as ``db``."""
    if db.is_sqlite:
        other = Database(f"sqlite+aiosqlite:///{tmp_path / 'replayed.db'}")
        try:
            yield other
        finally:
            await other.close()
        return
    assert POSTGRES_URL
    url, name = await create_postgres_database(POSTGRES_URL)
    other = Database(url)
    try:
        yield other
    finally:
        await other.close()
        await drop_postgres_database(POSTGRES_URL, name)


async def test_created_schema_equals_the_migrated_one(db_url: str, tmp_path: Path) -> None:
    created = Database(db_url)
    try:
        await migrate.upgrade(created, metadata=metadata)
        assert await migrate.current_revisions(created) == migrate.head_revisions()
        async with _another_database(created, tmp_path) as replayed:
            await migrate.upgrade(replayed)
            want, got = await schema_of(replayed), await schema_of(created)
        assert sorted(got) == sorted(want)
        for table in want:
            assert got[table] == want[table], table
        assert set(metadata.tables) <= set(got)
    finally:
        await created.close()


async def test_created_database_goes_down_and_up_like_a_migrated_one(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate.upgrade(db, metadata=metadata)
        await migrate.downgrade(db, "base")
        assert await migrate.current_revision(db) is None
        await migrate.upgrade(db, metadata=metadata)  # only alembic_version is left: migrated, not created
        assert await migrate.current_revisions(db) == migrate.head_revisions()
    finally:
        await db.close()


async def test_an_existing_database_is_migrated_not_created(db_url: str) -> None:
    """A database at an older revision keeps its rows: the metadata path replays the missing revisions."""
    db = Database(db_url)
    try:
        await migrate.upgrade(db, "0011")
        async with db.begin() as conn:
            await conn.execute(text("INSERT INTO guilds (id, name, joined_at) VALUES (5, 'Old', :at)"),
                               {"at": "2026-01-01 00:00:00" if db.is_sqlite else datetime(2026, 1, 1, tzinfo=UTC)})
        await migrate.upgrade(db, metadata=metadata)
        assert await migrate.current_revisions(db) == migrate.head_revisions()
        async with db.connect() as conn:
            assert (await conn.execute(text("SELECT name FROM guilds WHERE id = 5"))).scalar() == "Old"
    finally:
        await db.close()


async def test_a_creation_that_fails_keeps_nothing(db_url: str) -> None:
    """The fresh database is created in one transaction: when one statement fails (here the last table's index
    repeats a name), no table and no stamp is left behind, so the next start creates it again from nothing
    (on SQLite too, where the driver opens no transaction for DDL by itself)."""
    broken = MetaData()
    Table("first", broken, Column("id", Integer, primary_key=True), Column("n", Integer), Index("ix_same", "n"))
    Table("second", broken, Column("id", Integer, primary_key=True), Column("n", Integer), Index("ix_same", "n"))
    db = Database(db_url)
    try:
        with pytest.raises(DatabaseError, match="upgrading the database schema failed"):
            await migrate.upgrade(db, metadata=broken)
        async with db.connect() as conn:
            assert await conn.run_sync(lambda sync: inspect(sync).get_table_names()) == []
        assert await migrate.current_revisions(db) == ()
        await migrate.upgrade(db, metadata=metadata)
        assert await migrate.current_revisions(db) == migrate.head_revisions()
    finally:
        await db.close()
