"""Competing writers as two bot processes run them: each on its own ``Database`` (its own connection pool) on the
same database, with the interleaving forced on PostgreSQL.

SQLite serializes writers (``BEGIN IMMEDIATE``), so there the competitors simply run concurrently. On PostgreSQL
nothing serializes them but the statements themselves, and a lucky schedule would hide a read-then-write race;
so :func:`race` forces the bad interleaving: a third connection holds ``LOCK TABLE … IN EXCLUSIVE MODE`` (plain
reads go on; writes and ``FOR UPDATE`` wait) until every competitor waits on a lock — that is, each has done
its reads before any of them writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.db import Database
from bot.platform.errors import Conflict


async def waiting_on_locks(conn: AsyncConnection) -> int:
    """Sessions of this database that wait on a lock (PostgreSQL)."""
    await conn.execute(text("SELECT pg_stat_clear_snapshot()"))  # else the transaction sees its first snapshot
    return int((await conn.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ))).scalar_one())


async def until_waiting(conn: AsyncConnection, n: int, tasks: list[asyncio.Task[Any]]) -> None:
    for _ in range(1000):
        if await waiting_on_locks(conn) >= n:
            return
        for task in tasks:
            if task.done():
                task.result()  # a competitor that failed early: show why
                raise AssertionError("a competitor finished without waiting on a lock: the race was not forced")
        await asyncio.sleep(0.01)
    raise AssertionError(f"{n} competitors never waited on a lock together")


async def race(db_url: str, table: str, *calls: Callable[[Database], Awaitable[Any]], staggered: bool = False
               ) -> list[Any]:
    """Run the calls concurrently, each on its own ``Database``; results (or exceptions) in order.

    ``staggered`` (PostgreSQL): start each call only once the ones before it wait on a lock, so they reach their
    locks in the given order."""
    dbs = [Database(db_url) for _ in calls]
    try:
        if not db_url.startswith("postgresql"):
            return list(await asyncio.gather(*(c(d) for c, d in zip(calls, dbs, strict=True)),
                                             return_exceptions=True))
        blocker = Database(db_url)
        try:
            async with blocker.begin() as conn:
                await conn.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
                tasks: list[asyncio.Task[Any]] = []
                for c, d in zip(calls, dbs, strict=True):
                    tasks.append(asyncio.create_task(c(d)))
                    if staggered:
                        await until_waiting(conn, len(tasks), tasks)
                await until_waiting(conn, len(calls), tasks)
            return list(await asyncio.gather(*tasks, return_exceptions=True))
        finally:
            await blocker.close()
    finally:
        for d in dbs:
            await d.close()


def ok(results: list[Any]) -> list[Any]:
    """The results that are not a Conflict; any other exception fails the test."""
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, Conflict):
            raise r
    return [r for r in results if not isinstance(r, BaseException)]
