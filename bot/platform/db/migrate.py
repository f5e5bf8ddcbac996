"""Apply Alembic migrations from inside the bot (or the CLI) on an async engine.

Alembic (with Mako and Pygments, about 11 MB of a process's memory) is imported only when a migration runs:
a start on a database already at the head reads the ``alembic_version`` table itself and compares it with
:data:`HEAD_REVISIONS`, which ``tests/migrations/test_frozen.py`` checks against Alembic's own history.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.exc import DBAPIError

from bot.platform.db.engine import Database, DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.util import CommandError

log = logging.getLogger(__name__)

# The history's one head, as Alembic computes it from migrations/versions (tests/migrations/test_frozen.py checks
# they agree): a new revision updates it.
HEAD_REVISIONS: tuple[str, ...] = ("0030_polls",)

MIGRATION_LOCK_KEY = 0x6B75646F73  # "kudos": a transaction-level advisory lock around upgrades on PostgreSQL
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"


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
    give the same schema. A database that has a revision or any table is migrated as before."""
    if revision == "head" and await current_revisions(db) == HEAD_REVISIONS:
        log.info("database schema at %s (nothing to migrate)", revision)
        return
    from alembic import command

    if metadata is not None and revision == "head":
        await _run(db, _create_or_upgrade(metadata), revision)
    else:
        await _run(db, command.upgrade, revision)
    log.info("database schema at %s", revision)


def _create_or_upgrade(metadata: MetaData) -> Any:
    from alembic import command

    def _apply(cfg: Config, revision: str) -> None:
        sync_conn = cfg.attributes["connection"]
        if inspect(sync_conn).get_table_names():  # migrated before (or not ours): migrate, never create over it
            command.upgrade(cfg, revision)
            return
        metadata.create_all(sync_conn)
        command.stamp(cfg, revision)
        log.info("created a fresh database from the metadata, stamped at %s", revision)

    return _apply


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
            if conn.dialect.name == "postgresql":
                # Several bot processes may start at once: one migrates, the others wait and find nothing to do.
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await conn.run_sync(_apply)
    except CommandError as exc:
        log.debug("migration to %s failed", revision, exc_info=True)
        raise DatabaseError(migration_failed(exc)) from exc
    except DBAPIError as exc:
        log.debug("migration to %s failed", revision, exc_info=True)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise DatabaseError(f"migrations: upgrading the database schema failed ({reason}); nothing of that step "
                            "was kept where the database allows it. Restore the last backup (kudos restore) or fix "
                            "the cause, then run kudos migrate (log_level = \"DEBUG\" shows the details)") from exc


def migration_failed(exc: CommandError) -> str:
    """One line for an Alembic refusal; the usual one is a revision this version of Kudos does not have."""
    message = str(exc).strip().splitlines()[0]
    if "Can't locate revision" in message:
        return (f"migrations: {message}: the database was upgraded by a newer version of Kudos. Run that version "
                "again, or restore a backup taken before the upgrade (kudos restore)")
    return f"migrations: {message}; fix the cause or restore a backup (kudos restore), then run kudos migrate"
