"""End-to-end fixtures (a pytest plugin of tests/conftest.py): the emulator and the real bot, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from tests.conftest import running_harness


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
    async with running_harness(request.param, partial(Harness, world, bot_config), tmp_path) as harness:
        yield harness


@pytest.fixture
async def kudos_pg(world, bot_config, tmp_path) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    """PostgreSQL only (skipped without KUDOS_TEST_POSTGRES_URL)."""
    async with running_harness("postgres", partial(Harness, world, bot_config), tmp_path) as harness:
        yield harness


class _QuickRetries:
    """``asyncio`` as discord.http sees it, with its sleeps cut short: discord.py retries a 500 itself, four
    times, sleeping 1 + 2·n real seconds in between; a test of a job's retries is about what happens after it
    gives up."""

    _sleep = staticmethod(asyncio.sleep)

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float, result: Any = None) -> Any:
        return await self._sleep(min(delay, 0.01), result)


@pytest.fixture
def quick_discord_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use with ``pytestmark = pytest.mark.usefixtures("quick_discord_retries")`` in a module of job tests."""
    import discord.http

    monkeypatch.setattr(discord.http, "asyncio", _QuickRetries())
