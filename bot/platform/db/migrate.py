"""Apply Alembic migrations from inside the bot (or the CLI) on an async engine.

Alembic (with Mako and Pygments, about 11 MB of a process's memory) is imported only when a migration runs:
a start on a database already at the head reads the ``alembic_version`` table itself and compares it with
:data:`HEAD_REVISIONS`, which ``tests/migrations/test_frozen.py`` checks against Alembic's own history.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_mock_engine,
    inspect,
    text,
)
from sqlalchemy.exc import DBAPIError

from bot.platform.db.engine import Database, DatabaseError
from bot.platform.db.sqlite_driver import OneHopConnection
from bot.platform.deferred import Said, said
from bot.platform.i18n import N_

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.util import CommandError

log = logging.getLogger(__name__)

# The history's one head, as Alembic computes it from migrations/versions (tests/migrations/test_frozen.py checks
# they agree): a new revision updates it.
HEAD_REVISIONS: tuple[str, ...] = ("0030_polls",)

MIGRATION_LOCK_KEY = 0x6B75646F73  # "kudos": a transaction-level advisory lock around upgrades on PostgreSQL
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"


# Alembic's own version table, as its MigrationContext defines it (alembic/runtime/migration.py): what a fresh
# database gets stamped with here, without Alembic loading every revision file to find the head it already knows
# (tests/migrations/test_create_all.py compares it, and its row, with a replayed database's).
VERSION_TABLE = Table(
    "alembic_version", MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revisions() -> tuple[str, ...]:
    """The heads of the history (one), a tuple as ``current_revisions``: :data:`HEAD_REVISIONS`."""
    return HEAD_REVISIONS


def script_heads() -> tuple[str, ...]:
    """The heads as Alembic reads them from ``migrations/versions`` (imports Alembic)."""
    from alembic.script import ScriptDirectory

    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


async def current_revisions(db: Database) -> tuple[str, ...]:
    """The revisions the database is at, read from Alembic's ``alembic_version`` table (empty: none yet)."""
    def _current(sync_conn: Any) -> tuple[str, ...]:
        if not inspect(sync_conn).has_table("alembic_version"):
            return ()
        rows = sync_conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return tuple(sorted(rows))

    async with db.connect() as conn:
        return await conn.run_sync(_current)


async def current_revision(db: Database) -> str | None:
    """The applied revisions as one string (``"0003+0004"`` when several branches are applied)."""
    revisions = await current_revisions(db)
    return "+".join(revisions) if revisions else None


async def upgrade(db: Database, revision: str = "head", *, metadata: MetaData | None = None) -> None:
    """Upgrade to ``revision``. With ``metadata`` (every table of the application, :data:`bot.schema.metadata`)
    an empty database going to the head is created from it and stamped at the head (Alembic's "create_all +
    stamp" recipe) instead of replaying every revision; ``tests/migrations/test_create_all.py`` checks that both
    give the same schema. A database that has a revision or any table is migrated as before.

    The stamp is the row Alembic's ``stamp`` writes, in Alembic's own table (:data:`VERSION_TABLE`), written
    here: the head is :data:`HEAD_REVISIONS` (checked against Alembic's history by tests/migrations/
    test_frozen.py), so neither Alembic nor its 30 revision files are loaded for a fresh database."""
    if revision == "head" and await current_revisions(db) == HEAD_REVISIONS:
        log.info("database schema at %s (nothing to migrate)", revision)
        return
    if metadata is not None and revision == "head" and await _create_fresh(db, metadata):
        log.info("created a fresh database from the metadata, stamped at %s", "+".join(HEAD_REVISIONS))
        return
    from alembic import command

    await _run(db, command.upgrade, revision)
    log.info("database schema at %s", revision)


async def _serialise(conn: Any) -> None:
    """On PostgreSQL, take the migration lock for this transaction: several bot processes may start at once; one
    creates or migrates, the others wait and then find nothing to do."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


async def _create_fresh(db: Database, metadata: MetaData) -> bool:
    """Create every table of ``metadata`` and stamp the head, in one transaction, if the database has no table at
    all; False (nothing done) when it has one: migrated before, or not ours, it is migrated, never created over."""
    def _create(sync_conn: Any) -> bool:
        if inspect(sync_conn).get_table_names():
            return False
        raw = sync_conn.connection.dbapi_connection
        if isinstance(raw, OneHopConnection):  # SQLite: the whole schema in one hop and one transaction
            stamp = [("INSERT INTO alembic_version (version_num) VALUES (?)", (head,)) for head in HEAD_REVISIONS]
            raw.run_script([(sql, ()) for sql in _ddl(metadata, sync_conn.dialect)] + stamp)
            return True
        metadata.create_all(sync_conn, checkfirst=False)
        VERSION_TABLE.create(sync_conn)
        sync_conn.execute(VERSION_TABLE.insert(), [{"version_num": head} for head in HEAD_REVISIONS])
        return True

    try:
        async with db.begin() as conn:
            await _serialise(conn)
            return await conn.run_sync(_create)
    except (DBAPIError, sqlite3.Error) as exc:  # the script's own error is the driver's, not wrapped by SQLAlchemy
        log.debug("creating the database failed", exc_info=True)
        raise _upgrade_failed(exc) from exc


def _ddl(metadata: MetaData, dialect: Any) -> list[str]:
    """The statements ``metadata.create_all`` runs on an empty database (tables in dependency order, then their
    indexes), and :data:`VERSION_TABLE`'s, compiled for ``dialect``: SQLAlchemy's mock-engine recipe."""
    statements: list[str] = []

    def record(ddl: Any, *_args: Any, **_kw: Any) -> None:
        statements.append(str(ddl.compile(dialect=dialect)).strip())

    mock = create_mock_engine(f"{dialect.name}://", record)
    metadata.create_all(mock, checkfirst=False)
    VERSION_TABLE.create(mock, checkfirst=False)
    return statements


async def downgrade(db: Database, revision: str) -> None:
    if revision == "-1":  # Alembic cannot step down through a merge revision ("ambiguous walk")
        revision = _below_merge(await current_revisions(db)) or revision
    from alembic import command

    await _run(db, command.downgrade, revision)


def _below_merge(current: tuple[str, ...]) -> str | None:
    """One parent of the applied merge revision, if one is applied alone: downgrading to it undoes the merge
    only (every parent stays applied)."""
    if len(current) != 1:
        return None
    from alembic.script import ScriptDirectory

    down = ScriptDirectory.from_config(alembic_config()).get_revision(current[0]).down_revision
    return down[0] if isinstance(down, tuple) else None


async def _run(db: Database, fn: Any, revision: str) -> None:
    from alembic.util import CommandError

    cfg = alembic_config()

    def _apply(sync_conn: Any) -> None:
        cfg.attributes["connection"] = sync_conn
        fn(cfg, revision)

    try:
        async with db.begin() as conn:
            await _serialise(conn)
            await conn.run_sync(_apply)
    except CommandError as exc:
        log.debug("migration to %s failed", revision, exc_info=True)
        raise DatabaseError(migration_failed(exc)) from exc
    except DBAPIError as exc:
        log.debug("migration to %s failed", revision, exc_info=True)
        raise _upgrade_failed(exc) from exc


def _upgrade_failed(exc: DBAPIError | sqlite3.Error) -> DatabaseError:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return DatabaseError(said(N_("migrations: upgrading the database schema failed ({reason}); nothing of that step "
                                 "was kept where the database allows it. Restore the last backup (kudos restore) or "
                                 "fix the cause, then run kudos migrate (log_level = \"DEBUG\" shows the details)"),
                              reason=reason))


def migration_failed(exc: CommandError) -> Said:
    """One line for an Alembic refusal; the usual one is a revision this version of Kudos does not have."""
    message = str(exc).strip().splitlines()[0]
    if "Can't locate revision" in message:
        return said(N_("migrations: {message}: the database was upgraded by a newer version of Kudos. Run that "
                       "version again, or restore a backup taken before the upgrade (kudos restore)"), message=message)
    return said(N_("migrations: {message}; fix the cause or restore a backup (kudos restore), then run kudos migrate"),
                message=message)
