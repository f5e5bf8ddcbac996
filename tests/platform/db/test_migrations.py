"""Migrations create exactly the schema in bot/db/schema.py, and go down and up cleanly, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.platform.db import Database, migrate
from bot.schema import metadata


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


# SQLite's FTS5 index of bot/search (migration 0016_similar): a virtual table and its shadow tables, which
# SQLAlchemy cannot declare; tests/search/test_index.py checks it follows search_docs instead. The GIN index
# on search_docs.tsv is PostgreSQL's (``ddl_if``), which autogenerate does not read: on SQLite it is absent.
FTS_TABLES = {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize", "search_fts_config",
              "search_fts_content", "search_vocab"}


def _skip_fts(dialect: str) -> Any:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and name in FTS_TABLES:
            return False
        return not (type_ == "index" and name == "ix_search_docs_tsv" and dialect != "postgresql")

    return include


async def test_migrations_match_schema(db: Database) -> None:
    def _diff(sync_conn: Any) -> list[Any]:
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": False, "include_object": _skip_fts(sync_conn.dialect.name)})
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


async def test_ladder_stages_backfill_replays_the_ledger(db_url: str) -> None:
    """Migration 0011 fills member_stages and stage_moves from the counted rows already in the ledger (default
    ladder): reversals move members down, pending rows don't count, a released row counts from the end of its
    hold; every guild gets its ladder key."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from bot.ledger import default_ladder
    from bot.ledger import stages_store as repo
    from bot.ledger.stages import ladder_key

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    g, a, b, c = 7, 330000000000000001, 330000000000000002, 330000000000000003
    rows = [  # (id, guild, user, kind, points, reverses, days after t0, status, held until day)
        (1, g, a, "curation", 3, None, 0, "counted", None),
        (2, g, a, "creation", 8, None, 1, "counted", None),
        (3, g, a, "creation", -8, 2, 2, "counted", None),
        (4, g, b, "thanks", 2, None, 1, "counted", None),
        (5, g, b, "curation", 3, None, 1, "pending", 9),
        (6, g, c, "curation", 3, None, 3, "counted", 5),
        (7, g + 1, c, "creation", 8, None, 4, "counted", None),
    ]
    db = Database(db_url)
    try:
        await migrate.upgrade(db, "0002")
        table = sa.table("contributions", *(sa.column(n) for n in (
            "id", "guild_id", "user_id", "kind", "points", "source_key", "reverses_id", "created_at", "status",
            "held_until")))
        async with db.begin() as conn:
            for rid, guild, user, kind, points, rev, day, status, held in rows:
                await conn.execute(table.insert().values(
                    id=rid, guild_id=guild, user_id=user, kind=kind, points=points, source_key=f"k{rid}",
                    reverses_id=rev, created_at=_stored(db, t0 + timedelta(days=day)), status=status,
                    held_until=None if held is None else _stored(db, t0 + timedelta(days=held))))
        await migrate.upgrade(db)
        day = timedelta(days=1)
        async with db.connect() as conn:
            assert await repo.all_stages(conn, g) == {a: (1, t0 + 2 * day), b: (0, t0 + day), c: (1, t0 + 5 * day)}
            assert await repo.all_moves(conn, g) == {a: [(0, 1, t0), (1, 2, t0 + day), (2, 1, t0 + 2 * day)],
                                                     c: [(0, 1, t0 + 5 * day)]}
            assert await repo.all_stages(conn, g + 1) == {c: (2, t0 + 4 * day)}
            key = ladder_key(default_ladder())
            assert await repo.ladder_of(conn, g) == key and await repo.ladder_of(conn, g + 1) == key
        await migrate.downgrade(db, "0002")
        assert not {"member_stages", "stage_moves", "stage_ladders"} & await _tables(db)
    finally:
        await db.close()


def _stored(db: Database, when: Any) -> Any:
    """A time as the app stores it (naive UTC text on SQLite, timestamptz on PostgreSQL) for raw inserts."""
    return when.replace(tzinfo=None) if db.is_sqlite else when
