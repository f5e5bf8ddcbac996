"""Another member's ``/profile`` while one member floods the bot with clicks (issue 19: limits per member).

One member (the flooder) sends 600 concurrent "Follow" clicks on a feedback thread (issue 19's reproduction),
then again as soon as that wave is over, for as long as the measurement lasts; meanwhile ``/profile`` is run 200
times by other members, one after the other, measured from sending INTERACTION_CREATE to the emulator
receiving the interaction callback. Baseline: the same 200 ``/profile`` with no flood, in the same run. The bot runs in a process of its own (the full bot,
every cog) with the interaction limit as ``config.example.toml`` ships it (``interaction_burst = 10``); its
clock is a fake one that stands still, so after its first ten clicks the flooder gets no token back, and
after its 50 "slow down" answers no more answers (with the system clock one more click and five more answers
per second would go through). Goal: p99 under flood <= 2x p99 idle. The flooder's
clicks answered "slow down" and those that failed (no answer within 3 s) are printed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.common import Result, median, percentile
from bot.core.flood import SLOW_DOWN
from bot.platform.config import parse_config
from bot.platform.config.merge import merge_overrides
from bot.sandbox.harness import Harness, MemberSpec, WorldSpec, sandbox_base_config

MEMBERS = 50
WAVE = 600  # concurrent clicks by the flooder (the reproduction)
INTERACTIONS = 200
# The shipped limit (the sandbox's base config widens it for tests, whose clock stands still);
# KUDOS_BENCH_FLOOD_BURST=0 runs the same flood with no limit, for comparison.
CONFIG = {"bot": {"gc_freeze": True, "interaction_burst": int(os.environ.get("KUDOS_BENCH_FLOOD_BURST", "10")),
                  "interaction_refill_per_second": 1.0}}
BUG = {"Title": "Crash when saving", "Details": "The app closes",
       "Steps to reproduce": "1. Save\nVersion: 2.4.1"}


def _world() -> WorldSpec:
    base = WorldSpec.default()
    return WorldSpec(roles=base.roles, channels=base.channels,
                     members=base.members + [MemberSpec(f"m{i}") for i in range(MEMBERS)])


def _bot_process(database_url: str, base_url: str, gateway_url: str, token: str, ready: Any, stop: Any) -> None:
    """The full Kudos bot in a process of its own, pointed at the bench's emulator."""
    import discord.gateway
    import discord.http
    import yarl

    from bot.core.bot import create_bot
    from bot.platform.clock import FakeClock

    async def main() -> None:
        discord.http.Route.BASE = base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        config = parse_config(merge_overrides(sandbox_base_config(database_url), CONFIG), source="bench")
        bot = create_bot(config, clock=FakeClock(datetime.now(UTC).replace(microsecond=0)),
                         guild_ready_timeout=0.05, identify_delay=False)
        runner = asyncio.create_task(bot.start(token))
        await asyncio.wait_for(bot.wait_until_ready(), 60)
        ready.set()
        stopped = asyncio.ensure_future(asyncio.get_running_loop().run_in_executor(None, stop.wait))
        await asyncio.wait({runner, stopped}, return_when=asyncio.FIRST_COMPLETED)
        await bot.close()
        await asyncio.gather(runner, return_exceptions=True)

    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main())


async def _profile_times(h: Harness, users: list[int]) -> list[float]:
    emu, channel = h.emu, h.channel_id("general")
    times = []
    for i in range(INTERACTIONS):
        known = set(emu.interactions)
        t0 = time.perf_counter()
        task = asyncio.create_task(emu.run_slash(h.guild_id, channel, users[i % len(users)], "profile"))
        while not (new := set(emu.interactions) - known) and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0)
        rec = emu.interactions[new.pop()] if new else None
        try:
            await asyncio.wait_for(rec.answered.wait(), 5) if rec else None
            times.append((time.perf_counter() - t0) * 1000)
        except TimeoutError:
            times.append(5000.0)  # counted as a 5 s answer: Discord would have shown "did not respond"
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0.01)
    return times


async def _flood(h: Harness, thread_id: int, flooder: int, stop: asyncio.Event, tally: dict[str, int]) -> None:
    """Waves of ``WAVE`` concurrent clicks until ``stop``: each wave as soon as the previous one is answered (or
    has failed: a click the bot does not answer waits out Discord's 3 s)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not stop.is_set():
        answers = await asyncio.gather(*(h.emu.click(thread_id, flooder, label="Follow") for _ in range(WAVE)),
                                       return_exceptions=True)
        for a in answers:
            key = ("error" if isinstance(a, BaseException) else "failed" if a.failed
                   else "slow down" if a.content == SLOW_DOWN else "handled")
            tally[key] = tally.get(key, 0) + 1
    tally["seconds"] = round(loop.time() - start)


async def _suite(tmp: Path) -> list[Result]:
    h = Harness(_world(), CONFIG, workdir=tmp)
    await h.emu.start()
    h._build_world()
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_bot_process, name="kudos-bench-flood-bot",
                       args=(h.database_url, h.emu.base_url, h.emu.gateway_url, h.emu.token, ready, stop))
    proc.start()
    tally: dict[str, int] = {}
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while not await loop.run_in_executor(None, ready.wait, 0.5):
            if not proc.is_alive() or loop.time() > deadline:
                raise RuntimeError(f"the bench bot did not become ready (exit code {proc.exitcode})")
        deadline = loop.time() + 60
        while not h.emu.commands(h.guild_id) and loop.time() < deadline:  # noqa: ASYNC110 - the other process syncs
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)  # start-up work (guild ready, timers) done
        reporter = h.members["alice"]
        opened = await h.emu.run_slash(h.guild_id, h.channel_id("general"), reporter, "feedback new",
                                       {"type": "bug"})
        await h.emu.submit_modal(opened, BUG)
        await h.emu.settle()
        thread = next(c for c in h.emu.state.channels.values() if c.parent_id == h.channel_id("feedback"))
        users = [h.members[f"m{i}"] for i in range(MEMBERS)]
        gc.collect()
        gc.freeze()
        idle = await _profile_times(h, users)
        halt = asyncio.Event()
        flooder = asyncio.create_task(_flood(h, thread.id, h.members["bob"], halt, tally))
        await asyncio.sleep(0.2)  # the first wave is under way
        flooded = await _profile_times(h, users)
        halt.set()
        await flooder
    finally:
        gc.unfreeze()
        stop.set()
        await asyncio.get_running_loop().run_in_executor(None, proc.join, 30)
        if proc.is_alive():
            proc.terminate()
            proc.join()
        await h.stop()
    seconds = tally.pop("seconds", 0)
    clicks = sum(tally.values())
    print(f"flood: {clicks:,} Follow clicks by one member in {seconds} s: " + ", ".join(f"{n:,} {k}" for k, n in sorted(tally.items())),
          file=sys.stderr)
    return [
        Result("/profile p50 while one member floods", median(flooded), median(idle), "ms", "/profile p50 idle",
               goal="(informative)"),
        Result("/profile p99 while one member floods", percentile(flooded, 99), percentile(idle, 99), "ms",
               "/profile p99 idle", goal="ratio <= 2"),
    ]


async def run() -> list[Result]:
    with TemporaryDirectory(prefix="kudos-bench-flood-") as tmp:
        return await _suite(Path(tmp))
