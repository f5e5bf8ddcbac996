"""The SQLite driver adapter (bot/db/sqlite_driver.py): one hop to aiosqlite's thread per statement, and
everything SQLAlchemy reads from a cursor as its own adapter fills it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

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
