"""A database at any of the heads the history had before merge revision 0012 (one of them, or all of them, as
``upgrade heads`` left it) upgrades to the single head, and ends with exactly the schema of a fresh upgrade, on
SQLite and PostgreSQL. ``-1`` from the merge (``kudos migrate --revision -1``) undoes the merge alone."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.script import ScriptDirectory

from bot.platform.db import Database, migrate
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database
from tests.migrations.schema_snapshot import schema_of as _schema_of

# The heads before 0012 joined them (``alembic heads`` until then).
PREVIOUS_HEADS = ("0003_contrib", "0006", "0007", "0008", "0009", "0010_catchup", "0011")
MERGE = "0012"
STARTS = [(head,) for head in PREVIOUS_HEADS] + [PREVIOUS_HEADS]
# The single head now: the merge, or a revision written on top of it since.
HEAD = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()[0]

_FRESH: dict[str, dict[str, Any]] = {}


async def _fresh_schema(backend: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The schema of an empty database upgraded to the head (once per backend)."""
    if backend not in _FRESH:
        if backend == "sqlite":
            db = Database(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fresh') / 'fresh.db'}")
            try:
                await migrate.upgrade(db)
                _FRESH[backend] = await _schema_of(db)
            finally:
                await db.close()
        else:
            assert POSTGRES_URL
            url, name = await create_postgres_database(POSTGRES_URL)
            db = Database(url)
            try:
                await migrate.upgrade(db)
                _FRESH[backend] = await _schema_of(db)
            finally:
                await db.close()
                await drop_postgres_database(POSTGRES_URL, name)
    return _FRESH[backend]


def test_the_merge_joins_exactly_the_previous_heads() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    heads = script.get_heads()  # one head: the merge, or a later revision on top of it
    assert len(heads) == 1 and MERGE in {r.revision for r in script.iterate_revisions(heads[0], "base")}
    assert set(script.get_revision(MERGE).down_revision) == set(PREVIOUS_HEADS)


@pytest.mark.parametrize("start", STARTS, ids=["+".join(s) if len(s) == 1 else "all-previous-heads" for s in STARTS])
async def test_upgrade_from_a_previous_head(db_url: str, start: tuple[str, ...],
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    db = Database(db_url)
    try:
        for head in start:
            await migrate.upgrade(db, head)
        assert await migrate.current_revisions(db) == tuple(sorted(start))
        await migrate.upgrade(db)
        assert await migrate.current_revisions(db) == (HEAD,)
        schema = await _schema_of(db)
        fresh = await _fresh_schema(db.dialect, tmp_path_factory)
        assert schema.keys() == fresh.keys()
        for table in fresh:
            assert schema[table] == fresh[table], table
    finally:
        await db.close()


async def test_one_step_down_from_the_merge_undoes_only_the_merge(db: Database) -> None:
    """``kudos migrate --revision -1`` passes ``-1`` to ``migrate.downgrade``: Alembic alone refuses to walk down
    through a merge ("ambiguous walk")."""
    if HEAD != MERGE:  # later revisions first, down to the merge
        await migrate.downgrade(db, MERGE)
    assert await migrate.current_revisions(db) == (MERGE,)
    await migrate.downgrade(db, "-1")
    assert await migrate.current_revisions(db) == tuple(sorted(PREVIOUS_HEADS))
    await migrate.upgrade(db)
    assert await migrate.current_revisions(db) == (HEAD,)
