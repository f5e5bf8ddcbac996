"""The SQLite driver adapter (bot/db/sqlite_driver.py): one hop to aiosqlite's thread per statement, and
everything SQLAlchemy reads from a cursor as its own adapter fills it."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.platform.db import Database
from bot.platform.db.sqlite_driver import OneHopConnection

meta = MetaData()
items = Table("items", meta, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with db.begin() as conn:
        await conn.run_sync(meta.create_all)
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls made in aiosqlite's thread (each one a hop there and back)."""
    seen: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_each_statement_is_one_hop(sqlite_db: Database, hops: list[str]) -> None:
    async with sqlite_db.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneHopConnection)
        hops.clear()
        await conn.execute(insert(items), [{"name": "a"}, {"name": "b"}])  # executemany
        assert hops == ["_executemany"]
        hops.clear()
        rows = (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all()
        assert rows == ["a", "b"] and hops == ["_execute"]
        await conn.commit()
    # SQLAlchemy's own adapter made four (cursor, execute, fetchall, close); a /profile of five queries was 21.


async def test_rowcount_lastrowid_returning_and_empty_results(sqlite_db: Database) -> None:
    async with sqlite_db.begin() as conn:
        result = await conn.execute(insert(items).values(name="x"))
        assert result.lastrowid == 1 and result.inserted_primary_key == (1,)
        await conn.execute(insert(items), [{"name": "y"}, {"name": "z"}])
        assert (await conn.execute(update(items).where(items.c.id > 1).values(name=items.c.name + "!"))).rowcount == 2
        returned = (await conn.execute(update(items).where(items.c.id == 1).values(name="x2")
                                       .returning(items.c.id, items.c.name))).all()
        assert [tuple(r) for r in returned] == [(1, "x2")]
        assert (await conn.execute(select(items).where(items.c.id == 99))).first() is None
        assert (await conn.execute(text("SELECT count(*) FROM items"))).scalar_one() == 3
        streamed = [r.name async for r in await conn.stream(select(items).order_by(items.c.id))]  # server-side
        assert streamed == ["x2", "y!", "z!"]


async def test_errors_are_sqlalchemys_and_the_connection_stays_usable(sqlite_db: Database) -> None:
    async with sqlite_db.begin() as conn:
        await conn.execute(insert(items).values(name="dup"))
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with sqlite_db.begin() as conn:
            await conn.execute(insert(items).values(name="new"))
            await conn.execute(insert(items).values(name="dup"))
    async with sqlite_db.connect() as conn:  # the failed transaction was rolled back as a whole
        names = (await conn.execute(select(items.c.name))).scalars().all()
    assert names == ["dup"]


# Database.read: short reads in the event loop's own thread (bot/platform/db/sqlite_driver.py, "Reads on the loop").

async def _names(conn) -> list[str]:  # type: ignore[no-untyped-def]
    return list((await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all())


async def test_a_read_makes_no_hop_and_sees_committed_rows(sqlite_db: Database, hops: list[str]) -> None:
    async with sqlite_db.begin() as conn:
        await conn.execute(insert(items), [{"name": "a"}, {"name": "b"}])
    assert await sqlite_db.read(_names) == ["a", "b"]  # opens the read connection (aiosqlite's connect)
    hops.clear()
    assert await sqlite_db.read(_names) == ["a", "b"]
    assert hops == []  # the statement and the return to the pool (no transaction to roll back): no hop
    async with sqlite_db.begin() as conn:  # a write on the ordinary engine is seen by the next read
        await conn.execute(insert(items).values(name="c"))
    assert await sqlite_db.read(_names) == ["a", "b", "c"]


async def test_a_read_cannot_write(sqlite_db: Database) -> None:
    async def write(conn) -> None:  # type: ignore[no-untyped-def]
        await conn.execute(insert(items).values(name="sneaky"))

    with pytest.raises(OperationalError, match="readonly"):  # PRAGMA query_only
        await sqlite_db.read(write)
    assert await sqlite_db.read(_names) == []


async def test_a_locked_read_waits_in_the_drivers_thread_never_on_the_loop(
        sqlite_db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Another process holding the file exclusively: the read on the loop is told "database is locked" at once
    (busy_timeout=0) and runs again on an ordinary connection, which waits in aiosqlite's thread while the
    loop goes on; it returns the rows once the lock is released."""
    async with sqlite_db.begin() as conn:
        await conn.execute(insert(items).values(name="before"))
    await sqlite_db.engine.dispose()  # an exclusive lock in WAL mode needs the file to itself
    assert sqlite_db._reads is not None
    await sqlite_db._reads.dispose()
    holder = sqlite3.connect(tmp_path / "driver.db", check_same_thread=False, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO items (name) VALUES ('held')")
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    def release() -> None:
        time.sleep(0.4)
        holder.execute("COMMIT")
        holder.close()

    caplog.set_level("DEBUG", logger="bot.platform.db.engine")
    ticking = asyncio.create_task(ticker())
    started = time.perf_counter()
    releasing = asyncio.create_task(asyncio.to_thread(release))
    names = await sqlite_db.read(_names)
    waited = time.perf_counter() - started
    stop.set()
    await asyncio.gather(ticking, releasing)
    assert names == ["before", "held"] and waited >= 0.3
    assert ticks >= 15  # the loop ran on (one tick per 10 ms) while the read waited for the lock
    assert any("met a lock" in r.getMessage() for r in caplog.records)  # it went the driver's-thread way


async def test_in_memory_databases_read_through_the_ordinary_engine() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")  # a second engine would open another, empty database
    try:
        async with db.begin() as conn:
            await conn.run_sync(meta.create_all)
            await conn.execute(insert(items).values(name="m"))
        assert db._reads is None
        assert await db.read(_names) == ["m"]
    finally:
        await db.close()
