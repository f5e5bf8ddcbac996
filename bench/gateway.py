"""The hot path against bare discord.py, and slash-command latency while messages stream in.

**Gateway replay.** 100,000 recorded gateway events (70% MESSAGE_CREATE over 20 channels, among them the
tracked help forums, feedback forum and showcase; 25% MESSAGE_REACTION_ADD; 5% THREAD_CREATE,
GUILD_MEMBER_ADD and GUILD_MEMBER_UPDATE) are built once as JSON text. Each is decoded and handed to
discord.py's own parser (``client._connection.parsers[EVENT]``, what ``DiscordWebSocket.received_message``
calls after decompression) of (a) a bare ``discord.Client`` with no handlers and (b) the full Kudos bot with
every cog loaded and activity tracking on, both connected to the same emulator world with the same intents
and caches, and (b) configured as ``config.example.toml`` ships it (``gc_freeze`` on). The loop yields every
256 events so handlers run alongside. Both clients stay connected and the events are replayed in 40 slices,
alternating which side goes first, so a burst of other work on a shared machine hits both sides alike (with 10
slices five runs in a row gave 0.78-0.95, with 40 0.80-0.86: slices closer in time see the same machine); each of
(b)'s slices includes draining every handler task and task it spawned. The activity counts are written on the
bot's own schedule, in the bot's own time: the bench stops the bot's writer task (whose one-second timer runs in
wall-clock time, and would flush during the bare client's slices too) and calls the same flush at the end of a
Kudos slice once at least the writer's interval (1 s) of Kudos time has passed since the last one, and at the
end of the last slice, so every count is written and timed. (Until 2026-11-23 the bench flushed at the end of
every slice *and* left the writer running: about 16 flushes per 100,000 events where the bot, at this rate,
writes 3 to 4; writing the counts was then most of Kudos' cost.) Kudos' connection state finds the message of a
reaction through an index by id where bare discord.py scans its 1,000-message cache (``bot/core/message_cache``;
since 2026-12-04: 0.85-0.88 with the scan, 0.996 with the index; docs/scaling.md). The bench's own data (the recorded events, the
emulator's world) is frozen out of the garbage collector's full passes for both sides. Reported: throughput
b/a (goal >= 0.92, issue 25).

**Interaction latency under load.** While ~2,000 MESSAGE_CREATE per second go to the bot through the
emulator's websocket (a steady stream: what is due every millisecond), ``/profile`` is run 500 times; measured
from sending INTERACTION_CREATE to the emulator receiving the interaction callback. Baseline: the same with no
message load. The bot runs in a process of its own (the full bot, every cog), so the emulator's own work
(serialising the stream, checking each request against Discord's spec) does not share the bot's event loop;
it still shares the machine's two cores. The rate actually sustained is printed in the row's name.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import multiprocessing
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import discord
from sqlalchemy import func, select

from bench.common import Result, median, percentile
from bot.activity.tables import activity_counters
from bot.core.bot import default_intents
from bot.emulator.routes_channels import reaction_payload
from bot.emulator.serialize import channel_json, member_json, message_json
from bot.emulator.state import Channel, Member, Message
from bot.platform.config import parse_config
from bot.platform.config.merge import merge_overrides
from bot.platform.db import Database
from bot.sandbox.harness import ChannelSpec, Harness, MemberSpec, WorldSpec, sandbox_base_config

EVENTS = int(os.environ.get("KUDOS_BENCH_EVENTS", "100000"))
MEMBERS = 300
LOAD_RATE = 2000  # messages per second during the latency test
INTERACTIONS = 500  # 200 until 2026-12-04: the p99 was then the second-slowest answer, 1.44x and 0.79x in two runs
SLICES = 40  # the replay alternates bare and Kudos slice by slice, so load from other work on the machine hits both


def _world() -> WorldSpec:
    base = WorldSpec.default()
    channels = list(base.channels) + [ChannelSpec("help-2", "forum", ["Solved", "Question"])]
    channels += [ChannelSpec(f"chat-{i}") for i in range(20 - len(channels) - 1)]  # + general = 20
    return WorldSpec(roles=base.roles, channels=channels,
                     members=base.members + [MemberSpec(f"m{i}") for i in range(MEMBERS)])


# Every tracking feature on, as config.example.toml ships it: help forums and the starboard (5 distinct ⭐).
# gc_freeze as shipped (the test harness turns it off: tests start many bots in one process).
CONFIG = {"bot": {"gc_freeze": True},
          "guilds": {"default": {"channels": {"help_forums": ["help", "help-2"]},
                                 "curation": {"starboard_threshold": 5}}}}


def _record(h: Harness, n: int, seed: int = 5) -> list[tuple[str, str]]:
    """``n`` events as (EVENT, JSON text), in a realistic order; messages are stored in the emulator too, so
    REST calls a handler makes about them find them."""
    emu, rng = h.emu, random.Random(seed)
    guild = emu.state.guilds[h.guild_id]
    users = list(h.members.values())
    text_channels = [c for c in emu.state.guild_channels(h.guild_id) if c.type in (0, 5)]
    forums = [c for c in emu.state.guild_channels(h.guild_id) if c.type == 15]
    threads: list[Channel] = []
    recent: list[Message] = []
    out: list[tuple[str, str]] = []
    for i in range(n):
        r = rng.random()
        if r < 0.70 or not recent:
            if threads and rng.random() < 0.3:
                channel = rng.choice(threads[-50:])
            else:
                channel = rng.choice(text_channels)
            author = rng.choice(users)
            content = rng.choice(["hi", "how do I sync?", "works for me", "lol", "thanks!", "see the docs",
                                  "anyone seen this error before? " * 3])
            msg = Message(emu.ids.next(), channel.id, author, guild_id=h.guild_id, content=content)
            emu._store_message(msg)
            recent.append(msg)
            recent = recent[-500:]
            out.append(("MESSAGE_CREATE", json.dumps(message_json(emu.state, msg))))
        elif r < 0.95:
            msg = rng.choice(recent)
            out.append(("MESSAGE_REACTION_ADD", json.dumps(reaction_payload(
                emu, msg, rng.choice(users), rng.choice(["👍", "👍", "❤️", "😂", "🎉", "⭐"])))))
        elif r < 0.965:
            forum = rng.choice(forums)
            thread = Channel(emu.ids.next(), 11, h.guild_id, f"question {i}", parent_id=forum.id,
                             owner_id=rng.choice(users), auto_archive_duration=4320)
            emu.state.channels[thread.id] = thread
            emu.state.messages.setdefault(thread.id, {})
            threads.append(thread)
            out.append(("THREAD_CREATE", json.dumps(channel_json(emu.state, thread) | {"newly_created": True})))
        elif r < 0.98:
            user = emu.create_user(f"new{i}")
            member = Member(user.id, h.guild_id)
            guild.members[user.id] = member
            out.append(("GUILD_MEMBER_ADD", json.dumps(member_json(emu.state, member) | {"guild_id": str(h.guild_id)})))
        else:
            member = guild.members[rng.choice(users)]
            member.nick = f"nick{i}"
            out.append(("GUILD_MEMBER_UPDATE", json.dumps(member_json(emu.state, member)
                                                          | {"guild_id": str(h.guild_id)})))
    return out


async def _replay(client: discord.Client, events: list[tuple[str, str]]) -> None:
    parsers = client._connection.parsers
    loads = json.loads
    for i, (name, raw) in enumerate(events):
        parsers[name](loads(raw))
        if not i & 255:
            await asyncio.sleep(0)
    await asyncio.sleep(0)


async def _bare_client(h: Harness) -> discord.Client:
    client = discord.Client(intents=default_intents(), allowed_mentions=discord.AllowedMentions.none(),
                            max_messages=1000, guild_ready_timeout=0.05)
    runner = asyncio.create_task(client.start(h.emu.token))
    await asyncio.wait_for(client.wait_until_ready(), 30)
    client._bench_runner = runner  # type: ignore[attr-defined]
    return client


async def _replay_suite(tmp: Path) -> list[Result]:
    h = Harness(_world(), CONFIG, workdir=tmp)
    await h.emu.start()
    h.emu.patch_discord()
    h._build_world()
    h.config = parse_config(merge_overrides(sandbox_base_config(h.database_url), CONFIG), source="bench")
    try:
        warm = _record(h, 2000, seed=1)
        events = _record(h, EVENTS)
        # The bench's own data (the emulator's world with every recorded message, the events themselves) is
        # kept out of the garbage collector's full passes, which would otherwise scan it on whichever side
        # happens to trigger one; both clients and everything they allocate are collected as usual.
        gc.collect()
        gc.freeze()
        bare = await _bare_client(h)
        try:
            bot = await h.start_bot()
            counters = bot.app.activity
            await _replay(bare, warm)
            await _replay(bot, warm)
            await bot.wait_for_events(timeout=60)
            await counters.close()  # stops the bot's writer task (and writes the warm-up's counts); see above
            bare_s = kudos_s = unflushed_s = 0.0
            flushes = 0
            step = -(-len(events) // SLICES)
            starts = range(0, len(events), step)
            for n, start in enumerate(starts):
                part = events[start:start + step]
                for side in ((bare, bot) if n % 2 == 0 else (bot, bare)):
                    t0 = time.perf_counter()
                    await _replay(side, part)
                    if side is bot:  # everything the bot started for these events; the counts on its schedule
                        await bot.wait_for_events(timeout=120)
                        unflushed_s += time.perf_counter() - t0
                        if unflushed_s >= counters.interval or n == len(starts) - 1:
                            await counters.flush()
                            flushes, unflushed_s = flushes + 1, 0.0
                        kudos_s += time.perf_counter() - t0
                    else:
                        bare_s += time.perf_counter() - t0
            assert counters.pending_events == 0, "every count is written within the timed slices"
            print(f"gateway replay: the activity counts were written in {flushes} flushes", file=sys.stderr)
        finally:
            await bare.close()
            await bare._bench_runner  # type: ignore[attr-defined]
    finally:
        gc.unfreeze()
        await h.stop()
    bare_rate, kudos_rate = len(events) / bare_s, len(events) / kudos_s
    return [
        Result(f"gateway replay {len(events) // 1000}k: Kudos events/s", kudos_rate, bare_rate, "ev/s",
               "bare discord.py events/s", goal="ratio >= 0.92 (issue 25)", higher_is_better=True),
    ]


async def _latency(h: Harness, load: bool) -> list[float]:
    emu = h.emu
    channel = h.channel_id("general")
    users = list(h.members.values())
    stop = asyncio.Event()

    async def flood() -> None:
        loop = asyncio.get_running_loop()
        sent, start = 0, loop.time()
        while not stop.is_set():
            due = int((loop.time() - start) * LOAD_RATE)
            # A steady stream, as chat arrives: every millisecond what is due, at most 10 (5 ms worth) at once
            for _ in range(min(due - sent, 10)):
                msg = Message(emu.ids.next(), channel, users[sent % len(users)], guild_id=h.guild_id,
                              content="chatter")
                await emu.gateway.dispatch("MESSAGE_CREATE", message_json(emu.state, msg), h.guild_id)
                sent += 1
            await asyncio.sleep(0.001)
        flood.sent = sent  # type: ignore[attr-defined]
        flood.seconds = loop.time() - start  # type: ignore[attr-defined]

    flooder = asyncio.create_task(flood()) if load else None
    await asyncio.sleep(0.5 if load else 0)
    times = []
    try:
        for i in range(INTERACTIONS):
            user = users[i % len(users)]
            known = set(emu.interactions)
            t0 = time.perf_counter()
            task = asyncio.create_task(emu.run_slash(h.guild_id, channel, user, "profile"))
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
    finally:
        stop.set()
        if flooder is not None:
            await flooder
    if flooder is not None:
        _latency.rate = flood.sent / flood.seconds  # type: ignore[attr-defined]
        _latency.sent = flood.sent  # type: ignore[attr-defined]
    return times


def _bot_process(database_url: str, base_url: str, gateway_url: str, token: str, ready: Any, stop: Any) -> None:
    """The full Kudos bot in a process of its own, pointed at the bench's emulator (latency suite)."""
    import discord.gateway
    import discord.http
    import yarl

    from bot.core.bot import create_bot
    from bot.platform.clock import FakeClock

    async def main() -> None:
        discord.http.Route.BASE = base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        # As in production (config.example.toml, and CONFIG): start-up objects out of full GC passes once ready.
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


async def _latency_suite(tmp: Path) -> list[Result]:
    """The bot runs in a process of its own: the emulator's work (serialising 2,000 messages a second, checking
    every request against the spec, timing) is not the bot's and no longer shares its event loop."""
    h = Harness(_world(), CONFIG, workdir=tmp)
    await h.emu.start()
    h._build_world()
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_bot_process, name="kudos-bench-bot",
                       args=(h.database_url, h.emu.base_url, h.emu.gateway_url, h.emu.token, ready, stop))
    proc.start()
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
        h.emu.interactions.clear()
        gc.collect()
        gc.freeze()  # the emulator's world and spec: out of this process's full GC passes, as in the replay
        idle = await _latency(h, load=False)
        loaded = await _latency(h, load=True)
    finally:
        gc.unfreeze()
        stop.set()
        await asyncio.get_running_loop().run_in_executor(None, proc.join, 30)
        if proc.is_alive():
            proc.terminate()
            proc.join()
        counted = await _messages_counted(h.database_url)
        await h.stop()
    rate, sent = getattr(_latency, "rate", 0.0), getattr(_latency, "sent", 0)
    print(f"latency load: {sent:,} messages sent at {rate:,.0f}/s; the bot counted {counted:,} "
          f"({counted / max(sent, 1):.1%})", file=sys.stderr)
    return [
        Result(f"/profile p50 under {rate:,.0f} msg/s", median(loaded), median(idle), "ms", "/profile p50 idle",
               goal="(informative)"),
        Result(f"/profile p99 under {rate:,.0f} msg/s", percentile(loaded, 99), percentile(idle, 99), "ms",
               "/profile p99 idle", goal="<= 1.30x, idle p99 <= 10 ms"),
    ]


async def _messages_counted(database_url: str) -> int:
    """Messages the bot's activity counters wrote (it stopped cleanly, so all of them): proof the load arrived."""
    db = Database(database_url)
    try:
        async with db.connect() as conn:
            return int((await conn.execute(select(func.coalesce(func.sum(activity_counters.c.messages), 0))))
                       .scalar_one())
    finally:
        await db.close()


async def run() -> list[Result]:
    with TemporaryDirectory(prefix="kudos-bench-gw-") as tmp:
        for sub in ("a", "b"):
            (Path(tmp) / sub).mkdir()
        results = await _replay_suite(Path(tmp) / "a")
        results += await _latency_suite(Path(tmp) / "b")
    return results

