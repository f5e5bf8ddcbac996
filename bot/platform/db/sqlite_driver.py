"""SQLite through aiosqlite with one hop to the driver's thread per statement.

aiosqlite runs the stdlib ``sqlite3`` connection in a thread of its own; every call is a hop there and back
through the event loop. SQLAlchemy's adapter makes four hops per statement (open a cursor, execute, fetch
all rows, close the cursor), so a ``/profile`` of five queries took 21 hops, and on this machine each hop costs
0.15–0.3 ms, more than most of the queries themselves. The cursor here does the same four steps in one
function run in aiosqlite's thread, so a statement is one hop. Under a saturated event loop, where the thread
waits for the GIL at every hop (see docs/scaling.md), that matters even more.

What it relies on, checked by ``tests/db/test_sqlite_driver.py``: aiosqlite's ``Connection._execute(fn, *args)``
(runs ``fn`` in its thread and returns the result to the loop) and ``Connection._conn`` (the ``sqlite3``
connection), and SQLAlchemy's aiosqlite adapter classes, whose attributes this cursor fills as theirs does.
Both packages are pinned in ``pyproject.toml`` for that reason. Server-side cursors (``stream()``) are
SQLAlchemy's own, unchanged.

**Reads on the loop.** ``Database.read`` runs short point reads (``/profile``, the reward bar) with no hop at
all: :class:`OnLoopConnection` runs each statement in the event loop's own thread. That is safe for reads
because the database is in WAL mode, where a reader never waits for the writer, and because those connections
are opened ``query_only`` with ``busy_timeout=0``: in the rare case a read would have to wait for a lock (WAL
recovery after a crash, another process holding an exclusive lock) SQLite says "database is locked" at once
instead of sleeping on the loop, and ``Database.read`` runs the read again through aiosqlite's thread
(``tests/platform/db/test_sqlite_driver.py``). What is left on the loop is SQLite's own work on a few pages.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


def _execute(conn: sqlite3.Connection, operation: str, parameters: Any) -> tuple[Any, list[Any] | None, int, Any]:
    """In aiosqlite's thread: run one statement, and read its rows if it returns any."""
    cursor = conn.cursor()
    try:
        cursor.execute(operation, () if parameters is None else parameters)
        if cursor.description:
            return cursor.description, cursor.fetchall(), -1, -1
        return None, None, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _executemany(conn: sqlite3.Connection, operation: str, seq_of_parameters: Any) -> tuple[int, Any]:
    cursor = conn.cursor()
    try:
        cursor.executemany(operation, seq_of_parameters)
        return cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _run(self, operation: Any, parameters: Any) -> Any:
        """The awaitable that runs one statement: one hop to aiosqlite's thread."""
        conn: aiosqlite.Connection = self._connection
        return conn._execute(_execute, conn._conn, operation, parameters)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            description, rows, rowcount, lastrowid = self.await_(self._run(operation, parameters))
            self.description = description
            self.rowcount, self.lastrowid = rowcount, lastrowid
            self._rows = deque(rows) if rows is not None else deque()
        except Exception as error:  # noqa: BLE001 - translated as SQLAlchemy's adapter does
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            conn: aiosqlite.Connection = self._connection
            rowcount, lastrowid = self.await_(conn._execute(_executemany, conn._conn, operation, seq_of_parameters))
            self.description = None
            self.rowcount, self.lastrowid = rowcount, lastrowid
        except Exception as error:  # noqa: BLE001
            self._adapt_connection._handle_exception(error)


def _script(conn: sqlite3.Connection, statements: list[tuple[str, Any]]) -> None:
    """In aiosqlite's thread: every statement in one transaction of its own; none of it is kept if one fails."""
    if conn.in_transaction:
        raise sqlite3.ProgrammingError("a script runs in a transaction of its own; one is open")
    conn.execute("BEGIN IMMEDIATE")
    try:
        for operation, parameters in statements:
            conn.execute(operation, parameters)
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def run_script(self, statements: list[tuple[str, Any]]) -> None:
        """Run ``(sql, parameters)`` pairs in one hop and one transaction (creating a fresh database: a hundred
        ``CREATE`` statements would otherwise be a hundred hops, each committed on its own, since the stdlib
        driver opens no transaction for DDL)."""
        try:
            self.await_(self._connection._execute(_script, self._connection._conn, statements))
        except Exception as error:  # noqa: BLE001 - translated as SQLAlchemy's adapter does
            self._handle_exception(error)

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            return super().cursor(server_side=True)
        return OneHopCursor(self)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DB-API adapter, handing out :class:`OneHopConnection` (pass as ``module=``)."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        if type(adapted) is not AsyncAdapt_aiosqlite_connection:  # the sync-fallback variant: left as it is
            return adapted
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)


# Reads on the loop (``Database.read``): no hop at all.


async def _on_loop(conn: sqlite3.Connection, operation: str, parameters: Any) -> tuple[Any, list[Any] | None, int, Any]:
    """Run :func:`_execute` right here, in the event loop's thread. A coroutine only because SQLAlchemy's
    asyncio layer insists that executing a statement awaits something; it never suspends."""
    return _execute(conn, operation, parameters)


class OnLoopCursor(OneHopCursor):
    """Runs the statement in the loop's own thread (its connection is opened ``check_same_thread=False`` and
    is never used by aiosqlite's thread between its connect and its close)."""

    __slots__ = ()

    def _run(self, operation: Any, parameters: Any) -> Any:
        return _on_loop(self._connection._conn, operation, parameters)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        raise sqlite3.NotSupportedError("a read connection runs no executemany")


class OnLoopConnection(OneHopConnection):
    __slots__ = ()

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            raise sqlite3.NotSupportedError("a read connection has no server-side cursors")
        return OnLoopCursor(self)

    def rollback(self) -> None:
        # Returned to the pool after every read: with no transaction open (query_only, and the stdlib driver
        # opens none for a SELECT), there is nothing to roll back and no reason for a hop.
        if self._connection._conn.in_transaction:
            super().rollback()


class OnLoopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API adapter of the read engine: :class:`OnLoopConnection` (pass as ``module=``)."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        if type(adapted) is not AsyncAdapt_aiosqlite_connection:
            raise sqlite3.NotSupportedError("the read engine needs aiosqlite's async connection")
        return OnLoopConnection(self, adapted._connection)


def on_loop_dbapi() -> OnLoopDBAPI:
    return OnLoopDBAPI(aiosqlite, sqlite3)
