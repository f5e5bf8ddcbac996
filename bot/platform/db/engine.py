"""The async engine: one per process, made at start-up and passed down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.platform.db import checkpoints, sqlite_driver
from bot.platform.db.metadata import use_postgresql_options
from bot.platform.deferred import said
from bot.platform.i18n import N_

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
READ_POOL_SIZE, READ_POOL_OVERFLOW = 5, 5  # PostgreSQL: the read engine's connections (kept, and at most more)
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6  # result codes (https://www.sqlite.org/rescode.html)
T = TypeVar("T")


class DatabaseError(Exception):
    """A database problem worth one clear line to the operator: a :func:`~bot.platform.deferred.said` message
    (English as its text; ``kudos`` says it in the operator's language). What the driver says stays a value."""


def mask_url(url: str) -> str:
    """The URL with any password replaced, safe to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def _sqlite_pragmas(dbapi_connection: Any, autocheckpoint: int | None) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if autocheckpoint is not None:  # checkpoints run in the background (bot.platform.db.checkpoints)
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
    finally:
        cursor.close()


def _read_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=0")  # never sleep on a lock in the event loop's thread
        cursor.execute("PRAGMA query_only=ON")
    finally:
        cursor.close()


def _is_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


class Database:
    """Wraps the async engine with the few helpers the repositories need."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise DatabaseError(said(N_("database_url: not a valid database URL ({url})"), url=repr(url))) from exc
        self.dialect = parsed.get_backend_name()
        # hide_parameters: a failed statement's exception (and so a logged traceback) must not carry values
        # such as perk codes.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            if parsed.get_driver_name() == "aiosqlite":
                kwargs["module"] = sqlite_driver.dbapi()  # one hop to the driver's thread per statement
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        except (NoSuchModuleError, ArgumentError, ImportError) as exc:
            raise DatabaseError(said(N_("database_url: unsupported database URL {url} ({reason})"), url=mask_url(url),
                                     reason=str(exc))) from exc
        self._reads: AsyncEngine | None = None
        self._sqlite_file = False  # a SQLite file through aiosqlite (reads on the loop, background checkpoints)
        self._autocheckpoint: int | None = None  # SQLite's own (1,000 pages) until start_checkpoints
        self.checkpointer: checkpoints.Checkpointer | None = None
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect",
                         lambda dbapi_connection, _record: _sqlite_pragmas(dbapi_connection, self._autocheckpoint))
            database = parsed.database or ""
            if parsed.get_driver_name() == "aiosqlite" and database and database != ":memory:" \
                    and not database.startswith("file:"):
                # A file of its own: a second engine over it sees the same data (an in-memory one would not).
                self._sqlite_file = True
                self._reads = create_async_engine(url, echo=echo, hide_parameters=True,
                                                  module=sqlite_driver.on_loop_dbapi(), connect_args={"timeout": 0})
                event.listen(self._reads.sync_engine, "connect", _read_pragmas)
        if self.dialect == "postgresql":
            use_postgresql_options()
        if self.dialect == "postgresql" and parsed.get_driver_name() == "asyncpg":
            # Reads without a transaction or a ping: one round trip per statement instead of five or six (a
            # ping is BEGIN, ";" and ROLLBACK; then BEGIN before the statement and ROLLBACK on its return to
            # the pool). Each statement still sees one snapshot (read committed), as it did in a transaction;
            # the server refuses writes on these connections (default_transaction_read_only). A connection the
            # server closed meanwhile fails its statement, and ``read`` runs the work again on the engine.
            self._reads = create_async_engine(
                url, echo=echo, hide_parameters=True, isolation_level="AUTOCOMMIT", pool_size=READ_POOL_SIZE,
                max_overflow=READ_POOL_OVERFLOW,
                connect_args={"server_settings": {"default_transaction_read_only": "on"}})

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    async def check(self) -> None:
        """Open one connection, or raise :class:`DatabaseError` with a one-line reason."""
        if self.is_sqlite:
            self._check_sqlite_path()
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            if self.is_sqlite:
                # aiosqlite stops its worker thread without waiting when a connect fails; give the thread
                # a moment to hand back its result before the caller's event loop may close.
                await asyncio.sleep(0.05)
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise DatabaseError(said(N_("cannot connect to {url}: {reason}"), url=mask_url(self.url),
                                     reason=reason)) from exc

    def _check_sqlite_path(self) -> None:
        database = make_url(self.url).database
        if not database or database == ":memory:" or database.startswith("file:"):
            return
        folder = Path(database).expanduser().resolve().parent
        if not folder.is_dir():
            raise DatabaseError(said(N_("cannot connect to {url}: the folder {folder} does not exist; create it first"),
                                     url=mask_url(self.url), folder=str(folder)))

    async def start_checkpoints(self, interval: float = checkpoints.INTERVAL_SECONDS) -> None:
        """On a SQLite file: WAL checkpoints in the background from now on, ``interval`` seconds after a write,
        instead of inside the commit that fills the WAL (:mod:`bot.platform.db.checkpoints`); the commits
        themselves checkpoint only past ``checkpoints.BACKSTOP_PAGES``. The idle pooled connections are closed,
        so that every connection from now on has that setting. Nothing elsewhere (and nothing when already
        started); :meth:`close` stops it."""
        if not self._sqlite_file or self.checkpointer is not None:
            return
        self._autocheckpoint = checkpoints.BACKSTOP_PAGES
        await self.engine.dispose()
        self.checkpointer = checkpoints.Checkpointer(self.engine, interval)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        async with self.engine.begin() as conn:
            yield conn
        if self.checkpointer is not None:
            self.checkpointer.wrote()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def read(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """``work(conn)`` for a short read on a hot path (``/profile``, the reward bar): a few point lookups,
        never a write (the connection is read-only).

        On a SQLite file the statements run in the event loop's own thread, with no hop to aiosqlite's thread
        (see :mod:`bot.platform.db.sqlite_driver`); should SQLite have to wait for a lock, it says so at once
        and ``work`` runs again on an ordinary connection, which waits in aiosqlite's thread. With other drivers it
        is ``work`` on an ordinary connection.

        On PostgreSQL (asyncpg) ``work`` runs on a connection of a second pool, in autocommit and read-only:
        each statement is one round trip (no BEGIN/ROLLBACK, no ping at checkout); should the server have
        closed that connection, ``work`` runs again on an ordinary (pinged) connection."""
        if self._reads is not None:
            try:
                async with self._reads.connect() as conn:
                    return await work(conn)
            except DBAPIError as exc:
                if self.is_sqlite and isinstance(exc, OperationalError) and _is_busy(exc):
                    log.debug("a read on the loop met a lock; running it in the driver's thread")
                elif not self.is_sqlite and exc.connection_invalidated:
                    log.info("a read connection was closed by the server; reading on a checked connection")
                else:
                    raise
        async with self.engine.connect() as conn:
            return await work(conn)

    async def close(self) -> None:
        if self.checkpointer is not None:
            await self.checkpointer.stop()
            self.checkpointer = None
        if self._reads is not None:
            await self._reads.dispose()
        await self.engine.dispose()
