"""A bot on SQLite never imports SQLAlchemy's PostgreSQL dialect (2.2 MB of RSS, issue #25's memory row): the
search index names ``tsvector`` and ``regconfig`` by their SQL names (``bot.platform.db.types``), and the upsert
imports ``postgresql.insert`` only on PostgreSQL. The probe loads what ``kudos run`` loads (the app, every cog),
creates a fresh database and writes through every path that used to need the dialect."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bot.platform.db import Database
from bot.search import index
from bot.search.tables import search_docs

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import asyncio, importlib, pkgutil, sys
from datetime import UTC, datetime
import bot.app, cogs
for m in pkgutil.iter_modules(cogs.__path__):
    importlib.import_module(f"cogs.{m.name}")
from bot.platform.db import Database, migrate
from bot.platform.db.upsert import upsert
from bot.schema import metadata
from bot.search import index
from bot.search.tables import search_docs

async def main():
    db = Database(sys.argv[1])
    await migrate.upgrade(db, metadata=metadata)
    now = datetime(2026, 12, 4, tzinfo=UTC)
    async with db.begin() as conn:
        await index.put(conn, guild_id=1, kind="help", ref_id=5, title="Sync fails", body="b", status="open", now=now)
        await index.set_answer(conn, "help", 5, answer="reinstall", answerer_id=2, message_id=3, status="solved",
                               now=now)
        await upsert(conn, search_docs, dict(guild_id=1, kind="help", ref_id=6, title="t", status="open",
                                             updated_at=now), keys=["kind", "ref_id"], update=["title"])
    await db.close()
    print(sorted(m for m in sys.modules if m.startswith("sqlalchemy.dialects.postgresql")))

asyncio.run(main())
"""


def test_a_bot_on_sqlite_imports_no_postgresql_dialect(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", PROBE, f"sqlite+aiosqlite:///{tmp_path / 'kudos.db'}"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]"]


async def test_the_index_columns_and_casts_are_postgresqls_own_types(db: Database) -> None:
    """On PostgreSQL the column created from the metadata is a real ``tsvector``, written through the
    ``regconfig`` cast and searched with ``@@``; on SQLite it stays TEXT and NULL (FTS5 does the searching)."""
    now = datetime(2026, 12, 4, tzinfo=UTC)
    async with db.begin() as conn:
        await index.put(conn, guild_id=1, kind="help", ref_id=5, title="Battery drains", body="", status="open",
                        now=now)
    async with db.connect() as conn:
        columns = await conn.run_sync(lambda c: {col["name"]: col["type"]
                                                 for col in sa.inspect(c).get_columns(search_docs.name)})
        if conn.dialect.name == "postgresql":
            kind = await conn.scalar(sa.text("SELECT data_type FROM information_schema.columns WHERE "
                                             "table_name = 'search_docs' AND column_name = 'tsv'"))
            found = await conn.scalar(sa.text("SELECT ref_id FROM search_docs WHERE tsv @@ "
                                              "to_tsquery(CAST('english' AS regconfig), 'drain')"))
            assert (kind, found) == ("tsvector", 5)
        else:
            assert isinstance(columns["tsv"], sa.Text)
            assert await conn.scalar(sa.select(search_docs.c.tsv)) is None
