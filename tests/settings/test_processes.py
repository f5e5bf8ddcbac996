"""Several bot processes on one PostgreSQL database: a change made in one process is seen by the running bot of
another without a restart (its settings watcher polls the servers' versions every half second), and a save based
on a stale version is refused across processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import App, build_app
from bot.core.bot import SETTINGS_POLL_SECONDS, scheduler_settings
from bot.platform.clock import FakeClock
from bot.platform.db import Database
from bot.platform.errors import Conflict
from bot.platform.jobs.scheduler import TimerScheduler
from bot.sandbox.harness import Harness
from tests.contributions._helpers import ledger_rows, post_with_reply

pytestmark = pytest.mark.postgres


@pytest.fixture
async def other_process(kudos_pg: Harness) -> AsyncIterator[App]:
    """A second app instance (what another bot process builds) on the same database, with its own pool."""
    assert kudos_pg.bot is not None
    config = kudos_pg.bot.config
    db = Database(config.bot.database_url)
    clock = FakeClock()
    app = build_app(config, db, clock, TimerScheduler(db, clock, scheduler_settings(config)),
                    web_secret=(b"x" * 32, True))
    await app.settings.load()
    try:
        yield app
    finally:
        await app.close()
        await db.close()


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "the change was not seen"
        await asyncio.sleep(0.05)


async def test_a_change_in_another_process_is_seen_by_the_running_bot(kudos_pg: Harness, other_process: App) -> None:
    kudos = kudos_pg
    bot = kudos.bot
    assert bot is not None and SETTINGS_POLL_SECONDS <= 1.0
    sam = kudos.members["sam"]
    await other_process.settings.set(kudos.guild_id, "points.answer", "25", sam)
    await other_process.settings.set(kudos.guild_id, "channels.showcase", '"staff-log"', sam)
    await eventually(lambda: bot.guild_config(kudos.guild_id).points.answer == 25)
    # the names -> ids cache followed
    await eventually(lambda: bot.settings(kudos.guild_id).channel("showcase") == kudos.channel_id("staff-log"))
    _thread, reply = await post_with_reply(kudos, "alice", "bob")
    await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    assert [r.points for r in await ledger_rows(kudos, "bob")] == [25]
    # and back: the bot's own change is seen by the other process
    shown = await kudos.member("sam").slash("settings set", key="points.answer", value="7")
    assert "is now 7" in (shown.content or "")
    assert await other_process.settings.poll() == [kudos.guild_id]
    assert other_process.guild_config(kudos.guild_id).points.answer == 7


async def test_a_stale_save_from_another_process_is_refused(kudos_pg: Harness, other_process: App) -> None:
    kudos = kudos_pg
    bot = kudos.bot
    assert bot is not None
    loaded = other_process.settings.show(kudos.guild_id, "points.thanks")[0]
    await kudos.member("sam").slash("settings set", key="points.thanks", value="4")
    with pytest.raises(Conflict, match="was changed by someone else"):
        await other_process.settings.set(kudos.guild_id, "points.thanks", "9", kudos.members["sam"],
                                         expected_version=loaded.version)
    await asyncio.sleep(SETTINGS_POLL_SECONDS * 2)
    assert bot.guild_config(kudos.guild_id).points.thanks == 4
