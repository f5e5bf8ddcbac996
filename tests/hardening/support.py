"""The hardening harness: the ordinary sandbox harness plus timer accounting, crashes and world damage.

Nothing is mocked: the bot is the real one on the emulator and a real database. What this adds is
instrumentation (each timer handler's completions are counted), an abrupt ``crash()`` (in-flight handlers and
deliveries are cancelled, then the process is torn down and a new one starts on the same database), and helpers
that change the emulated Discord behind the bot's back (delete a channel/role/message, move a role).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import sqlite3
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.core.bot import KudosBot, create_bot
from bot.emulator.routes_channels import delete_message_model
from bot.emulator.serialize import channel_json
from bot.platform.jobs.effects import Drop
from bot.platform.tables import timers
from bot.sandbox.harness import READY_TIMEOUT, Harness
from tests.hardening.invariants import check_all, describe

# Everything the fault suite, the fuzzing and the soak run did: reported at the end of the session.
COUNTS: Counter[str] = Counter()


class HardenedHarness(Harness):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timer_runs: Counter[tuple[int, str, int]] = Counter()
        self.timers_before = 0
        self.check_roles = True  # no_lost_grant: delivered role grants must be visible on members
        self.crashes = 0
        self.epoch = 0  # bumped by every crash: a timer may re-run after a crash, never twice in one process

    # -- instrumentation ----------------------------------------------------------------------------
    def _watch_timers(self, bot: KudosBot) -> None:
        sched = bot.scheduler
        register = sched.register
        runs = self.timer_runs
        harness = self

        def counting_register(event: str, handler: Any) -> None:
            async def counted(payload: dict[str, Any], timer: Any) -> None:
                try:
                    await handler(payload, timer)
                except Drop:  # the target is gone: the job is finished (done, with an audit line)
                    runs[(timer.id, timer.event, harness.epoch)] += 1
                    raise
                runs[(timer.id, timer.event, harness.epoch)] += 1  # completions only: a failed run is retried

            register(event, counted)

        sched.register = counting_register  # type: ignore[method-assign]

    async def start_bot(self) -> KudosBot:
        # Harness.start_bot, with the timer accounting installed before the cogs register their handlers.
        assert self.config is not None
        bot = create_bot(self.config, clock=self.clock, guild_ready_timeout=0.05, identify_delay=False)
        self._watch_timers(bot)
        self.bot = bot
        self._runner = asyncio.create_task(bot.start(self.emu.token), name="kudos-harness-bot")
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._runner}, timeout=READY_TIMEOUT,
                                     return_when=asyncio.FIRST_COMPLETED)
        if self._runner in done:
            ready.cancel()
            self._runner.result()
        if ready not in done:
            ready.cancel()
            raise TimeoutError("the bot did not become ready")
        await self.settle()
        return bot

    # -- crashes ------------------------------------------------------------------------------------
    async def crash(self) -> KudosBot:
        """Kill the bot mid-flight (running handlers, deliveries and timers are cancelled where they are),
        then start a new process on the same database."""
        bot = self.bot
        assert bot is not None
        current = asyncio.current_task()
        # Event handlers, background work, timers, and discord.py's own tasks running command callbacks, views
        # and modals (not among the event tasks: bot.close() would let them run on against the closed engine).
        interactive = {t for t in asyncio.all_tasks()
                       if t.get_name().startswith(("CommandTree-invoker", "discord-ui-"))}
        doomed = {t for t in bot._event_tasks | bot.tasks.running() | set(bot.scheduler._inflight) | interactive
                  if t is not current and not t.done()}
        for task in doomed:
            task.cancel()
        if doomed:
            await asyncio.gather(*doomed, return_exceptions=True)
        self.crashes += 1
        COUNTS["crashes"] += 1
        await self.stop_bot()
        # A dead process's connections and locks vanish with it: close what the crash caught half-open.
        await _close_orphaned_sqlite_connections()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        self.epoch += 1
        if self.database_url.startswith("sqlite"):
            try:
                await asyncio.to_thread(self._wait_writable, 10.0)
            except sqlite3.OperationalError:
                # Known limit of crashing inside one process: now and then (about 1 crash in 20 that lands in a
                # write) SQLite's per-process lock state stays held after the cancelled connection is gone,
                # although no connection is open. A real crash ends the process and its locks. Not a bot bug.
                import pytest

                pytest.skip("in-process crash left SQLite's process-level write lock held (harness limit)")
        return await self.start_bot()

    def _wait_writable(self, timeout: float) -> None:
        """Wait until no connection of the dead process holds SQLite's write lock (the OS would drop it)."""
        conn = sqlite3.connect(self.sqlite_path, timeout=timeout, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    async def crash_after_requests(self, rng: random.Random, *, most: int, timeout: float = 3.0) -> int:
        """Crash once the emulator has answered a random number (0..most) of further requests."""
        want = rng.randint(0, most)
        start = len(self.emu.request_log)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.emu.request_log) - start < want and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.002)
        await self.crash()
        return want

    # -- quiet --------------------------------------------------------------------------------------
    async def quiesce(self, rounds: int = 4) -> None:
        """Faults over: let every back-off and stale claim run out, then wait until the bot is idle."""
        self.emu.faults.clear()
        await self.settle()
        for _ in range(rounds):
            await self.advance(timedelta(minutes=10))
        await self.settle()

    async def assert_invariants(self, *, quiet: bool = True) -> None:
        if quiet:
            await self.quiesce()
        found = await check_all(self, quiet=quiet)
        COUNTS["invariant checks"] += 1
        COUNTS["violations"] += sum(len(v) for v in found.values())
        assert not found, "invariants violated:\n" + describe(found)

    # -- changing Discord behind the bot's back ------------------------------------------------------
    async def delete_channel(self, channel_id: int) -> None:
        emu = self.emu
        channel = emu.state.channels.pop(channel_id)
        guild = emu.state.guilds[channel.guild_id]  # type: ignore[index]
        if channel_id in guild.channel_ids:
            guild.channel_ids.remove(channel_id)
        if channel.is_thread:
            payload = {"id": str(channel.id), "guild_id": str(channel.guild_id), "parent_id": str(channel.parent_id),
                       "type": channel.type}
            await emu.gateway.dispatch("THREAD_DELETE", payload, channel.guild_id)
        else:
            await emu.gateway.dispatch("CHANNEL_DELETE", channel_json(emu.state, channel), channel.guild_id)
        await self.settle()

    async def delete_role(self, role_id: int) -> None:
        guild = self.emu.state.guilds[self.guild_id]
        guild.roles.pop(role_id)
        for member in guild.members.values():
            if role_id in member.roles:
                member.roles.remove(role_id)
        await self.emu.gateway.dispatch("GUILD_ROLE_DELETE", {"guild_id": str(self.guild_id), "role_id": str(role_id)},
                                        self.guild_id)
        await self.settle()

    async def delete_message(self, message_id: int) -> None:
        await delete_message_model(self.emu, self.emu.message(message_id))
        await self.settle()

    async def move_role(self, role_id: int, position: int) -> None:
        """Change a role's position (e.g. drag a reward role above the bot's own role)."""
        role = self.emu.state.guilds[self.guild_id].roles[role_id]
        role.position = position
        await self.emu.gateway.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.guild_id), "role": role.to_json()},
                                        self.guild_id)
        await self.settle()

    # -- database -----------------------------------------------------------------------------------
    @property
    def sqlite_path(self) -> str:
        url = make_url(self.database_url)
        assert url.get_backend_name() == "sqlite", "SQLite only"
        assert url.database
        return url.database

    @contextlib.contextmanager
    def sqlite_write_lock(self, seconds: float) -> Iterator[threading.Event]:
        """Another process holds SQLite's write lock for ``seconds`` (in a thread, so the loop runs on)."""
        taken = threading.Event()
        path = self.sqlite_path

        def hold() -> None:
            conn = sqlite3.connect(path, timeout=10, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                taken.set()
                time.sleep(seconds)
                conn.execute("COMMIT")
            finally:
                conn.close()

        thread = threading.Thread(target=hold, name="sqlite-lock-holder", daemon=True)
        thread.start()
        taken.wait(5)
        try:
            yield taken
        finally:
            thread.join()

    async def timer_count(self) -> int:
        assert self.bot is not None
        async with self.bot.db.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(timers))).scalar_one())


async def _close_orphaned_sqlite_connections() -> None:
    import aiosqlite

    for obj in gc.get_objects():
        if isinstance(obj, aiosqlite.Connection) and obj._connection is not None:
            raw = obj._connection
            try:
                await asyncio.wait_for(obj.close(), 2)
            except Exception:  # noqa: BLE001 - already broken: all we want is its lock released
                try:
                    raw.rollback()  # its worker thread is stuck or gone: end the transaction from here
                    raw.close()
                except sqlite3.Error:
                    pass


__all__ = ["COUNTS", "HardenedHarness", "check_all", "describe"]
