"""Gateway: sharding, events, chunking, RESUME and re-IDENTIFY."""

from __future__ import annotations

import asyncio
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord
from discord.ext import commands

from bot.emulator import Emulator

from .conftest import KudosTestBot, World, build_world, start_bot, stop_bot


class ShardedBot(commands.AutoShardedBot):
    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.seen: list[tuple[object, ...]] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return  # discord.py sleeps 5 s before every non-first shard IDENTIFY; not needed on loopback

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append((message.guild.shard_id if message.guild else None, message.content))


@pytest.mark.emulator(shard_count=2)
async def test_auto_sharded_bot_gets_guilds_split_across_shards(emu: Emulator) -> None:
    guilds = [emu.create_guild(f"G{i}") for i in range(4)]
    members = [emu.add_member(g.id, f"user{i}") for i, g in enumerate(guilds)]
    b = ShardedBot()
    task = await start_bot(emu, b)
    try:
        assert b.shard_count == 2 and len(b.shards) == 2
        assert {g.id for g in b.guilds} == {g.id for g in guilds}
        shards = {g.id: b.get_guild(g.id).shard_id for g in guilds}
        assert shards == {g.id: (g.id >> 22) % 2 for g in guilds}
        assert set(shards.values()) == {0, 1}
        assert "GET /gateway/bot" in [r.key for r in emu.request_log]
        assert set(emu.gateway.by_shard) == {0, 1}
        for g, m in zip(guilds, members, strict=True):
            channel = emu.channel_by_name(g.id, "general")
            await emu.send_message(channel.id, m.id, f"hello {g.name}")
        assert sorted(b.seen) == sorted(((g.id >> 22) % 2, f"hello {g.name}") for g in guilds)
        # each event went out on the shard that owns the guild
        for ev in emu.gateway.events:
            if ev.name == "MESSAGE_CREATE":
                assert ev.shard_id == (int(ev.data["guild_id"]) >> 22) % 2 and ev.delivered
    finally:
        await stop_bot(b, task)


async def test_reactions_reach_the_bot(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    msg = await emu.send_message(world.general.id, world.alice.id, "vote")
    await emu.add_reaction(world.general.id, msg.id, world.bob.id, "👍")
    assert ("reaction_add", msg.id, "👍", world.bob.id) in bot.seen
    assert emu.message(msg.id).reactions["👍"] == {world.bob.id}
    await emu.remove_reaction(world.general.id, msg.id, world.bob.id, "👍")
    assert ("reaction_remove", msg.id, "👍", world.bob.id) in bot.seen
    # and the bot's own reaction is stored and dispatched
    await bot.get_channel(world.general.id).get_partial_message(msg.id).add_reaction("✅")
    await emu.settle()
    assert emu.bot_user_id in emu.message(msg.id).reactions["✅"]
    assert ("reaction_add", msg.id, "✅", emu.bot_user_id) in bot.seen


async def test_member_join_leave_and_role_update(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    carol = emu.add_member(world.guild.id, "carol", account_age_days=1)
    await emu.settle()
    assert ("join", carol.id, world.guild.id) in bot.seen
    dmember = bot.get_guild(world.guild.id).get_member(carol.id)
    assert dmember is not None and (discord.utils.utcnow() - dmember.created_at).days <= 1
    await emu.set_member_roles(world.guild.id, carol.id, [world.staff.id])
    assert ("member_update", carol.id, sorted([world.guild.id, world.staff.id])) in bot.seen
    emu.remove_member(world.guild.id, carol.id)
    await emu.settle()
    assert ("leave", carol.id) in bot.seen
    assert bot.get_guild(world.guild.id).get_member(carol.id) is None


@pytest.mark.emulator(members_in_guild_create=3)
async def test_member_chunking(emu: Emulator) -> None:
    world = build_world(emu)
    extra = [emu.add_member(world.guild.id, f"m{i}") for i in range(5)]
    b = KudosTestBot(world.guild.id)
    task = await start_bot(emu, b)
    try:
        guild = b.get_guild(world.guild.id)
        assert emu.chunk_requests >= 1
        assert guild.chunked and guild.member_count == len(emu.state.guilds[world.guild.id].members)
        assert all(guild.get_member(m.id) is not None for m in extra)
    finally:
        await stop_bot(b, task)


async def test_disconnect_and_resume_replays_missed_events(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    session = emu.gateway.by_shard[0].session_id
    await emu.disconnect(resume=True, hold=True)
    missed = await emu.send_message(world.general.id, world.alice.id, "while you were away")
    assert not emu.gateway.events[-1].delivered
    emu.release_gateway()
    await emu.wait_until_connected()
    await emu.settle()
    assert emu.gateway.resumes == 1 and emu.gateway.identifies == 1
    assert emu.gateway.by_shard[0].session_id == session
    assert ("resumed",) in bot.seen
    assert ("message", world.general.id, missed.content, world.alice.id) in bot.seen
    await emu.send_message(world.general.id, world.alice.id, "after")
    assert ("message", world.general.id, "after", world.alice.id) in bot.seen


async def test_invalid_session_reidentifies_and_misses_events(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    await emu.disconnect(resume=False, hold=True)
    await asyncio.sleep(0.05)
    carol = emu.add_member(world.guild.id, "carol")
    await emu.send_message(world.general.id, world.alice.id, "lost")
    emu.release_gateway()
    await emu.wait_until_connected()
    await emu.settle(quiet=0.1)
    assert emu.gateway.identifies == 2 and emu.gateway.resumes == 0
    assert ("message", world.general.id, "lost", world.alice.id) not in bot.seen
    assert bot.seen.count(("ready",)) >= 1
    # the fresh GUILD_CREATE brought the state that happened while away
    assert bot.get_guild(world.guild.id).get_member(carol.id) is not None
    await emu.send_message(world.general.id, world.alice.id, "back")
    assert ("message", world.general.id, "back", world.alice.id) in bot.seen


async def test_plain_disconnect_resumes_by_itself(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    await emu.disconnect(resume=True, wait=True)
    await emu.settle()
    assert emu.gateway.resumes == 1 and ("resumed",) in bot.seen
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "echo", {"text": "still here"})
    assert rec.response["content"] == "still here (1.0)"


class PlainBot(KudosTestBot):
    """The test bot with chosen intents."""

    def __init__(self, guild_id: int, intents: discord.Intents) -> None:
        super().__init__(guild_id)
        self._connection._intents = intents  # what discord.py sends in IDENTIFY


async def test_privileged_intents_not_enabled_close_with_4014() -> None:
    """gateway.mdx, Gateway Restrictions: "If you pass a privileged intent in the `intents` parameter without
    configuring it in your app's settings ... your Gateway connection will be closed with a (`4014` close
    code)"."""
    async with Emulator(privileged_intents=0) as emu:
        world = build_world(emu)
        b = KudosTestBot(world.guild.id)  # asks for members and message content
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await start_bot(emu, b)
        assert emu.gateway.closes == [4014] and emu.gateway.identifies == 0
        await b.close()


async def test_invalid_intents_close_with_4013(emu: Emulator) -> None:
    """gateway.mdx: "The connection with your app will be closed if it passes invalid intents (`4013` close
    code)"."""
    import aiohttp

    async with aiohttp.ClientSession() as session, session.ws_connect(emu.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": emu.token, "intents": 1 << 30, "properties": {}}})
        closed = await ws.receive()
        assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4013


async def test_missed_heartbeats_close_the_connection() -> None:
    """gateway.mdx, Heartbeat Interval: "If your app fails to send a heartbeat event in time, your connection
    will be closed and you will be forced to Resume." """
    import aiohttp

    async with Emulator(heartbeat_interval=100) as emu:
        async with aiohttp.ClientSession() as session, session.ws_connect(emu.gateway_url) as ws:
            hello = await ws.receive_json()
            assert hello["d"]["heartbeat_interval"] == 100
            for _ in range(3):  # heartbeating keeps it open
                await asyncio.sleep(0.08)
                await ws.send_json({"op": 1, "d": None})
                assert (await ws.receive_json())["op"] == 11
            closed = await asyncio.wait_for(ws.receive(), 1.0)  # then silence
            assert closed.type == aiohttp.WSMsgType.CLOSE
        assert emu.gateway.closes == [4000]


async def test_message_content_needs_the_intent(emu: Emulator, world: World) -> None:
    """gateway.mdx, Message Content Intent: "Apps **without** the intent will receive empty values in fields
    that contain user-inputted content", except messages the app sends, DMs and messages mentioning it."""
    intents = discord.Intents.default()
    intents.members = True
    b = PlainBot(world.guild.id, intents)
    task = await start_bot(emu, b)
    try:
        await emu.send_message(world.general.id, world.alice.id, "secret words", embeds=[{"title": "t"}])
        await emu.send_message(world.general.id, world.alice.id, f"hey <@{emu.bot_user_id}>")
        dm = emu.open_dm(world.alice.id)
        await emu.send_message(dm.id, world.alice.id, "private")
        seen = [s[2] for s in b.seen if s[0] == "message"]
        assert seen == ["", f"hey <@{emu.bot_user_id}>", "private"]
        created = [e.data for e in emu.gateway.events if e.name == "MESSAGE_CREATE"]
        assert created[0]["embeds"] == [] and emu.messages(world.general.id)[0].content == "secret words"
        sent = await b.get_channel(world.general.id).send("mine")
        await emu.settle()
        assert ("message", world.general.id, "mine", emu.bot_user_id) in b.seen and sent.content == "mine"
    finally:
        await stop_bot(b, task)


async def test_op7_reconnect_resumes(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """gateway.mdx, Resuming: an app should resume when "It receives a Reconnect (opcode `7`) event"."""
    await emu.gateway.reconnect()
    await emu.wait_until_connected()
    for _ in range(100):
        if ("resumed",) in bot.seen:
            break
        await asyncio.sleep(0.02)
    assert ("resumed",) in bot.seen and emu.gateway.resumes == 1 and emu.gateway.identifies == 1
    await emu.send_message(world.general.id, world.alice.id, "after")
    assert ("message", world.general.id, "after", world.alice.id) in bot.seen


async def test_resume_that_cannot_be_replayed_gets_invalid_session(emu: Emulator, world: World,
                                                                   bot: KudosTestBot) -> None:
    """gateway.mdx: "It's possible your app won't reconnect in time to Resume, in which case it will receive an
    Invalid Session (opcode `9`) event" and must IDENTIFY again."""
    emu.gateway.replay_limit = 2
    await emu.disconnect(resume=True, hold=True)
    for i in range(4):  # more events than the session keeps while the bot is away
        await emu.send_message(world.general.id, world.alice.id, f"missed {i}")
    emu.release_gateway()
    for _ in range(250):
        if emu.gateway.identifies == 2 and emu.gateway.connected:
            break
        await asyncio.sleep(0.02)
    assert emu.gateway.invalid_sessions == 1 and emu.gateway.identifies == 2 and emu.gateway.resumes == 0


async def test_rest_reads_follow_the_enabled_message_content_intent() -> None:
    """gateway.mdx, HTTP Restrictions: privileged intents "also affect the HTTP API endpoints your app is
    permitted to call, and the data it can receive" (independent of the intents passed in IDENTIFY)."""
    import aiohttp

    async with Emulator(privileged_intents=0) as emu:
        guild = emu.create_guild("G")
        channel = emu.channel_by_name(guild.id, "general")
        alice = emu.add_member(guild.id, "alice")
        msg = await emu.send_message(channel.id, alice.id, "secret words")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
            async with session.get(f"{emu.base_url}/channels/{channel.id}/messages/{msg.id}") as resp:
                assert (await resp.json())["content"] == ""
            async with session.get(f"{emu.base_url}/channels/{channel.id}/messages") as resp:
                assert [m["content"] for m in await resp.json()] == [""]
