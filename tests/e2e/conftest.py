"""End-to-end fixtures: the emulator and the real bot, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    """Override in a test module to change the community."""
    return None


@pytest.fixture
def bot_config() -> dict[str, Any]:
    """Override in a test module (or parametrize indirectly) to change the bot's config."""
    return {}


@pytest.fixture(params=["sqlite", "postgres"])
async def kudos(request, world, bot_config, tmp_path) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    """The emulator plus the real Kudos bot: on a temp SQLite file, then on a fresh PostgreSQL database
    (the second run is skipped without KUDOS_TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        harness = Harness(world, bot_config, workdir=tmp_path)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need KUDOS_TEST_POSTGRES_URL")
    url, name = await create_postgres_database(POSTGRES_URL, migrated=True)
    harness = Harness(world, bot_config, database_url=url)
    try:
        await harness.start()
        yield harness
    finally:
        await harness.stop()
        await drop_postgres_database(POSTGRES_URL, name)


@pytest.fixture
async def kudos_pg(world, bot_config) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    """The same on a fresh PostgreSQL database (skipped without KUDOS_TEST_POSTGRES_URL)."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need KUDOS_TEST_POSTGRES_URL")
    url, name = await create_postgres_database(POSTGRES_URL, migrated=True)
    harness = Harness(world, bot_config, database_url=url)
    try:
        await harness.start()
        yield harness
    finally:
        await harness.stop()
        await drop_postgres_database(POSTGRES_URL, name)
