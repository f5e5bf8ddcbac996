"""``Database.read`` on PostgreSQL (asyncpg): a pool of its own in autocommit and read-only, so a read is one
round trip per statement (no ping, no BEGIN/ROLLBACK), refuses writes, and survives a connection the server
closed. Needs KUDOS_TEST_POSTGRES_URL (skipped otherwise)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import DBAPIError

from bot.platform.db import Database
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database

meta = MetaData()
items = Table("items", meta, Column("id", Integer, primary_key=True), Column("name", String(20)))

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs KUDOS_TEST_POSTGRES_URL")


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    assert POSTGRES_URL
    url, name = await create_postgres_database(POSTGRES_URL)
    db = Database(url)
    try:
        async with db.begin() as conn:
            await conn.run_sync(meta.create_all)
            await conn.execute(insert(items), [{"name": "a"}, {"name": "b"}])
        yield db
    finally:
        await db.close()
        await drop_postgres_database(POSTGRES_URL, name)


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the asyncpg adapter sends besides the statements: pings and transaction starts."""
    seen: list[str] = []
    ping, start = AsyncAdapt_asyncpg_connection._async_ping, AsyncAdapt_asyncpg_connection._start_transaction

    async def counted_ping(self):  # type: ignore[no-untyped-def]
        seen.append("ping")
        return await ping(self)

    async def counted_start(self):  # type: ignore[no-untyped-def]
        if self.isolation_level != "autocommit":
            seen.append("begin")
        return await start(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "_async_ping", counted_ping)
    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "_start_transaction", counted_start)
    return seen


async def _names(conn) -> list[str]:  # type: ignore[no-untyped-def]
    return list((await conn.execute(select(items.c.name).order_by(items.c.id))).scalars())


async def test_a_read_sends_no_ping_and_no_transaction(pg_db: Database, trips: list[str]) -> None:
    assert await pg_db.read(_names) == ["a", "b"]
    trips.clear()
    assert await pg_db.read(_names) == ["a", "b"]
    assert trips == []

    async def in_transaction(conn) -> bool:  # type: ignore[no-untyped-def]
        # now() is the start of the transaction: the same for two statements in one, not in autocommit.
        first = (await conn.execute(text("SELECT now()"))).scalar_one()
        await conn.execute(text("SELECT pg_sleep(0.002)"))
        return bool(first == (await conn.execute(text("SELECT now()"))).scalar_one())

    assert await pg_db.read(in_transaction) is False
    trips.clear()
    async with pg_db.connect() as conn:  # the ordinary engine: pinged at checkout, a transaction around reads
        assert await in_transaction(conn) is True
    assert trips == ["ping", "begin"]
    async with pg_db.begin() as conn:  # a committed write is seen by the next read
        await conn.execute(insert(items).values(name="c"))
    assert await pg_db.read(_names) == ["a", "b", "c"]


async def test_a_read_cannot_write(pg_db: Database) -> None:
    async def write(conn) -> None:  # type: ignore[no-untyped-def]
        await conn.execute(insert(items).values(name="sneaky"))

    with pytest.raises(DBAPIError, match="read-only transaction"):
        await pg_db.read(write)
    assert await pg_db.read(_names) == ["a", "b"]


async def test_a_connection_the_server_closed_is_read_again_on_a_checked_one(
        pg_db: Database, caplog: pytest.LogCaptureFixture) -> None:
    async def backend(conn) -> int:  # type: ignore[no-untyped-def]
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    pid = await pg_db.read(backend)  # the read pool now holds this connection
    async with pg_db.begin() as conn:
        assert (await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})).scalar_one()
    with caplog.at_level(logging.INFO, logger="bot.platform.db.engine"):
        assert await pg_db.read(_names) == ["a", "b"]
    assert any("closed by the server" in r.getMessage() for r in caplog.records)
    assert await pg_db.read(backend) != pid  # the pool dropped the dead connection
