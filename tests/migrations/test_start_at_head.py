"""A start on a database already at the head runs no migration and imports no Alembic (about 11 MB of the
process, with Mako and Pygments; issue #25's memory row): ``migrate.upgrade`` reads ``alembic_version`` itself.
A fresh database is created from the metadata and stamped without Alembic either (it would load every revision
file to find the head Kudos knows). The revisions read and written are the ones Alembic reads, on both
databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext

from bot.platform.db import Database, migrate
from bot.schema import metadata

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import asyncio, sys
from bot.platform.db import Database, migrate
from bot.schema import metadata

async def main():
    db = Database(sys.argv[1])
    await migrate.upgrade(db, metadata=metadata)
    print(await migrate.current_revision(db), "alembic" in sys.modules)
    await db.close()

asyncio.run(main())
"""


def _probe(url: str) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_start_at_the_head_imports_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kudos.db'}"
    assert _probe(url) == [migrate.HEAD_REVISIONS[0], "False"]  # a fresh database: created and stamped, no Alembic
    assert _probe(url) == [migrate.HEAD_REVISIONS[0], "False"]  # the restart: nothing to migrate, no Alembic


def test_an_older_database_still_migrates_with_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kudos.db'}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", "import asyncio, sys; from bot.platform.db import Database, migrate; "
                    "asyncio.run(migrate.upgrade(Database(sys.argv[1]), '0011'))", url],
                   check=True, env=env, cwd=ROOT, timeout=120)
    assert _probe(url) == [migrate.HEAD_REVISIONS[0], "True"]  # 0011 -> head: Alembic replays the rest


async def test_the_revisions_read_are_alembics(db_url: str) -> None:
    db = Database(db_url)

    def alembic_reads(sync_conn: Any) -> tuple[str, ...]:
        return tuple(sorted(MigrationContext.configure(sync_conn).get_current_heads()))

    try:
        assert await migrate.current_revisions(db) == ()  # an empty database
        await migrate.upgrade(db, "0011")
        async with db.connect() as conn:
            assert await migrate.current_revisions(db) == await conn.run_sync(alembic_reads) == ("0011",)
        await migrate.upgrade(db, metadata=metadata)
        async with db.connect() as conn:
            assert await migrate.current_revisions(db) == await conn.run_sync(alembic_reads) == migrate.HEAD_REVISIONS
    finally:
        await db.close()


async def test_the_stamp_of_a_created_database_is_alembics(db_url: str) -> None:
    """Kudos writes the stamp of a fresh database itself: Alembic reads it as its own head, and takes it from there
    (down one revision and back up)."""
    db = Database(db_url)

    def alembic_reads(sync_conn: Any) -> tuple[str, ...]:
        return tuple(sorted(MigrationContext.configure(sync_conn).get_current_heads()))

    try:
        await migrate.upgrade(db, metadata=metadata)
        async with db.connect() as conn:
            assert await conn.run_sync(alembic_reads) == migrate.HEAD_REVISIONS
        await migrate.downgrade(db, "-1")
        assert await migrate.current_revisions(db) != migrate.HEAD_REVISIONS
        await migrate.upgrade(db, metadata=metadata)
        assert await migrate.current_revisions(db) == migrate.HEAD_REVISIONS
    finally:
        await db.close()
