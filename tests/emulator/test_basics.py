"""Login, READY, GUILD_CREATE, messages."""

from __future__ import annotations

import time

from bot.emulator import Emulator

from .conftest import KudosTestBot, World, build_world, start_bot, stop_bot


async def test_bot_logs_in_and_sees_the_guild(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and guild.name == "Acme"
    assert bot.user is not None and bot.user.id == emu.bot_user_id
    assert {m.name for m in guild.members} >= {"alice", "bob", "owner", "Kudos"}
    assert guild.get_member(world.alice.id).get_role(world.staff.id) is not None
    assert guild.default_role.id == guild.id
    forum = guild.get_channel(world.forum.id)
    assert [t.name for t in forum.available_tags] == ["Solved", "Bug", "Question"]
    assert ("ready",) in bot.seen
    # the bot synced its commands to the guild
    names = {c["name"] for c in emu.commands(world.guild.id)}
    assert {"echo", "kudos", "slow", "Mark as solution"} <= names
    assert emu.gateway.identifies == 1
    assert emu.gateway.intents & (1 << 1)  # GUILD_MEMBERS
    keys = [r.key for r in emu.request_log]
    assert "GET /users/@me" in keys and "GET /oauth2/applications/@me" in keys


async def test_startup_is_fast() -> None:
    t0 = time.perf_counter()
    async with Emulator() as emu:
        world = build_world(emu)
        bot = KudosTestBot(world.guild.id)
        task = await start_bot(emu, bot)
        elapsed = time.perf_counter() - t0
        await stop_bot(bot, task)
    assert elapsed < 1.0, elapsed


async def test_member_message_reaches_bot_and_reply_is_stored(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    msg = await emu.send_message(world.general.id, world.alice.id, "!ping")
    assert ("message", world.general.id, "!ping", world.alice.id) in bot.seen
    msgs = emu.messages(world.general.id)
    assert [m.content for m in msgs] == ["!ping", "pong"]
    assert msgs[0].id == msg.id
    assert msgs[1].author_id == emu.bot_user_id
    assert emu.requests("POST /channels/{channel_id}/messages")[0].status == 200
