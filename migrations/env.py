"""Alembic environment for Kudos: async engines, SQLite and PostgreSQL alike.

``bot.platform.db.migrate`` passes an open connection in ``config.attributes["connection"]``; the ``alembic`` command
line runs without one and connects itself from ``sqlalchemy.url`` (or ``KUDOS_DATABASE_URL``).
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from bot.schema import metadata

config = context.config


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    return os.environ.get("KUDOS_DATABASE_URL") or config.get_main_option("sqlalchemy.url") or ""


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:

        async def _run() -> None:
            engine = create_async_engine(_url())
            async with engine.begin() as conn:
                await conn.run_sync(_configure)
            await engine.dispose()

        asyncio.run(_run())
