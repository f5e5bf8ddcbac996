"""Migration 0016 declares contributions.kind and member_stats.kind VARCHAR(32) on SQLite too (0010 widened them
on PostgreSQL only), keeping every row, the self-reference of a reversal and the tables' indexes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.platform.db import Database, migrate

BEFORE = "0015_emu2"
LONG_KIND = "feedback_acknowledged_x"  # 23 characters: fits 32, not 20


async def _kind_types(db: Database) -> dict[str, str]:
    async with db.connect() as conn:
        return {table: next(str(r[2]) for r in await conn.execute(text(f'PRAGMA table_info("{table}")'))
                            if r[1] == "kind") for table in ("contributions", "member_stats")}


async def _indexes(db: Database) -> list[tuple[str, str]]:
    async with db.connect() as conn:
        return sorted((await conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('contributions', 'member_stats')"))).tuples())


async def test_kind_is_widened_on_sqlite_with_the_rows_kept(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    try:
        await migrate.upgrade(db, BEFORE)
        assert await _kind_types(db) == {"contributions": "VARCHAR(20)", "member_stats": "VARCHAR(20)"}
        indexes = await _indexes(db)
        async with db.begin() as conn:
            await conn.execute(text(
                "INSERT INTO contributions (id, guild_id, user_id, kind, points, source_key, reverses_id, created_at)"
                " VALUES (1, 1, 2, 'answer', 5, 'a', NULL, '2026-01-01 00:00:00'),"
                " (2, 1, 2, 'answer', -5, 'b', 1, '2026-01-02 00:00:00')"))
            await conn.execute(text("INSERT INTO member_stats (guild_id, user_id, kind, season, points, count)"
                                    " VALUES (1, 2, 'answer', '', 0, 2)"))
        await migrate.upgrade(db)
        assert await _kind_types(db) == {"contributions": "VARCHAR(32)", "member_stats": "VARCHAR(32)"}
        assert await _indexes(db) == indexes
        async with db.begin() as conn:
            assert (await conn.execute(text("SELECT id, reverses_id FROM contributions ORDER BY id"))).all() == [
                (1, None), (2, 1)]
            assert (await conn.execute(text("SELECT kind, count FROM member_stats"))).all() == [("answer", 2)]
            assert (await conn.execute(text("PRAGMA foreign_key_check"))).all() == []
            # The reference still points at the table: a reversal of a missing row is refused.
            with pytest.raises(IntegrityError, match="FOREIGN KEY"):
                async with conn.begin_nested():
                    await conn.execute(text(
                        "INSERT INTO contributions (id, guild_id, user_id, kind, points, source_key, reverses_id,"
                        " created_at) VALUES (3, 1, 2, :k, -1, 'c', 99, '2026-01-03 00:00:00')"), {"k": LONG_KIND})
        await migrate.downgrade(db, BEFORE)
        assert await _kind_types(db) == {"contributions": "VARCHAR(20)", "member_stats": "VARCHAR(20)"}
        async with db.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM contributions"))).scalar() == 2
    finally:
        await db.close()
