"""A start on a database already at the head runs no migration and imports no Alembic (about 11 MB of the
process, with Mako and Pygments; issue #25's memory row): ``migrate.upgrade`` reads ``alembic_version`` itself.
The revisions it reads are the ones Alembic reads, on both databases."""

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
    assert _probe(url) == [migrate.HEAD_REVISIONS[0], "True"]  # a fresh database: created and stamped by Alembic
    assert _probe(url) == [migrate.HEAD_REVISIONS[0], "False"]  # the restart: nothing to migrate, no Alembic


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
