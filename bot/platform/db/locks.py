"""Serialising writes per member: advisory locks on PostgreSQL, the write lock on SQLite."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection


def _lock_key(guild_id: int, user_id: int) -> int:
    digest = hashlib.blake2b(f"kudos-ledger:{guild_id}:{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_for_write(conn: AsyncConnection, guild_id: int, user_ids: Iterable[int]) -> None:
    """Serialize ledger writes that touch these members, until the end of the transaction.

    PostgreSQL: transaction-level advisory locks, taken in a fixed order so two writers never deadlock.
    SQLite: ``BEGIN IMMEDIATE`` takes the database write lock *before* the first read, so cap checks and
    the insert see one consistent state (and a later savepoint cannot commit early, which it does when a
    pysqlite connection is not yet inside a transaction). Already inside a write transaction: nothing to do.
    """
    if conn.dialect.name == "sqlite":
        raw = await conn.get_raw_connection()
        if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    if conn.dialect.name == "postgresql":
        for key in sorted({_lock_key(guild_id, user_id) for user_id in user_ids}):
            await conn.execute(select(func.pg_advisory_xact_lock(literal(key))))
