"""Discord rules: permissions, role hierarchy, content limits, DMs, forums and threads."""

from __future__ import annotations

import discord
import pytest

from bot.emulator import Emulator
from bot.emulator import rules as R

from .conftest import KudosTestBot, World


async def test_missing_send_permission_is_403_50013(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    locked = emu.create_channel(world.guild.id, "announcements", overwrites=[
        {"id": world.guild.id, "type": 0, "allow": 0, "deny": R.SEND_MESSAGES},
        {"id": world.guild.bot_role_id, "type": 0, "allow": 0, "deny": R.SEND_MESSAGES},
    ])
    await emu.settle()
    channel = bot.get_channel(locked.id)
    with pytest.raises(discord.Forbidden) as err:
        await channel.send("hello")
    assert err.value.code == 50013 and err.value.status == 403
    assert emu.messages(locked.id) == []
    # a member overwrite for the bot allows it again
    locked.overwrites.append({"id": emu.bot_user_id, "type": 1, "allow": R.SEND_MESSAGES, "deny": 0})
    await channel.send("now allowed")
    assert [m.content for m in emu.messages(locked.id)] == ["now allowed"]


async def test_hidden_channel_is_403_50001(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    secret = emu.create_channel(world.guild.id, "secret", overwrites=[
        {"id": world.guild.id, "type": 0, "allow": 0, "deny": R.VIEW_CHANNEL}])
    await emu.settle()
    with pytest.raises(discord.Forbidden) as err:
        await bot.get_channel(secret.id).send("psst")
    assert err.value.code == 50001


async def test_embeds_dropped_without_embed_links(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    ch = emu.create_channel(world.guild.id, "noembeds", overwrites=[
        {"id": world.guild.bot_role_id, "type": 0, "allow": 0, "deny": R.EMBED_LINKS},
        {"id": world.guild.id, "type": 0, "allow": 0, "deny": R.EMBED_LINKS}])
    await emu.settle()
    await bot.get_channel(ch.id).send("text", embed=discord.Embed(title="t"))
    assert emu.messages(ch.id)[0].embeds == []


async def test_role_hierarchy(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    guild = bot.get_guild(world.guild.id)
    high = emu.create_role(world.guild.id, "Admins", position=20)
    await emu.settle()
    alice = guild.get_member(world.alice.id)
    with pytest.raises(discord.Forbidden) as err:
        await alice.add_roles(guild.get_role(high.id))
    assert err.value.code == 50013
    low = guild.get_role(world.staff.id)
    await alice.remove_roles(low)
    await emu.settle()
    assert emu.member_roles(world.guild.id, world.alice.id) == []
    assert ("member_update", world.alice.id, sorted([world.guild.id])) in bot.seen
    with pytest.raises(discord.Forbidden):
        await guild.get_role(high.id).edit(name="x")
    await low.edit(name="Helpers")
    assert emu.state.guilds[world.guild.id].roles[world.staff.id].name == "Helpers"


async def test_content_limits(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    channel = bot.get_channel(world.general.id)
    with pytest.raises(discord.HTTPException) as err:
        await channel.send("x" * 2001)
    assert err.value.status == 400 and err.value.code == 50035
    assert "content" in str(err.value)
    with pytest.raises(discord.HTTPException) as err:
        await channel.send(embed=discord.Embed(title="t" * 257))
    assert err.value.code == 50035
    too_many = discord.Embed(title="x")
    for i in range(26):
        too_many.add_field(name=str(i), value="v")
    with pytest.raises(discord.HTTPException) as err:
        await channel.send(embed=too_many)
    assert err.value.code == 50035
    big = [discord.Embed(description="d" * 4000) for _ in range(2)]
    with pytest.raises(discord.HTTPException) as err:
        await channel.send(embeds=big)
    assert err.value.code == 50035
    view = discord.ui.View()
    for i in range(6):
        view.add_item(discord.ui.Button(label=f"b{i}", custom_id=f"b{i}", row=0 if i < 5 else 1))
    view.children[0].label = "L" * 81
    with pytest.raises(discord.HTTPException) as err:
        await channel.send("buttons", view=view)
    assert err.value.code == 50035
    assert emu.messages(world.general.id) == []
    emu.validator.violations.clear()  # the spec (rightly) flags the over-long bodies as well


async def test_empty_message_is_50006(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    with pytest.raises(discord.HTTPException) as err:
        await bot.http.send_message(world.general.id, params=discord.http.handle_message_parameters(content=""))
    assert err.value.code == 50006


async def test_unknown_ids_are_404(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    with pytest.raises(discord.NotFound) as err:
        await bot.http.get_message(world.general.id, 42)
    assert err.value.code == 10008
    with pytest.raises(discord.NotFound) as err:
        await bot.http.get_channel(42)
    assert err.value.code == 10003
    with pytest.raises(discord.NotFound) as err:
        await bot.http.get_member(world.guild.id, 42)
    assert err.value.code == 10007
    with pytest.raises(discord.NotFound) as err:
        await bot.http.add_role(world.guild.id, world.alice.id, 42)
    assert err.value.code == 10011


async def test_dm_open_and_closed(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "poke", {"user": world.bob})
    assert rec.response["content"] == "poked"
    assert [m.content for m in emu.dms(world.bob.id)] == ["poke!"]
    emu.set_dms_open(world.bob.id, False)
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "poke", {"user": world.bob})
    assert rec.response["content"] == "cannot DM (50007)"
    assert len(emu.dms(world.bob.id)) == 1
    closed = emu.add_member(world.guild.id, "carol", dms_open=False)
    await emu.settle()
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "poke", {"user": closed})
    assert rec.response["content"] == "cannot DM (50007)"


async def test_forum_post_tags_and_thread_edits(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    thread, starter = await emu.create_forum_post(world.forum.id, world.alice.id, "Crash on start", "it crashes",
                                                  tags=["Bug"])
    assert starter.id == thread.id
    assert ("thread", thread.id, "Crash on start", ["Bug"]) in bot.seen
    assert ("message", thread.id, "it crashes", world.alice.id) in bot.seen
    dthread = bot.get_guild(world.guild.id).get_thread(thread.id)
    forum = bot.get_channel(world.forum.id)
    solved = forum.get_tag(next(int(t["id"]) for t in world.forum.available_tags if t["name"] == "Solved"))
    await dthread.edit(applied_tags=[solved], archived=True)
    assert emu.state.channels[thread.id].applied_tags == [solved.id]
    assert emu.state.channels[thread.id].archived
    with pytest.raises(discord.HTTPException) as err:
        await dthread.edit(applied_tags=[discord.Object(12345)], archived=False)  # unknown tag
    assert err.value.status == 400 and err.value.code == 50035
    # the bot opens a post itself
    made = await forum.create_thread(name="Weekly", content="hello", applied_tags=[solved])
    stored = emu.state.channels[made.thread.id]
    assert stored.applied_tags == [solved.id] and made.message.id == made.thread.id
    assert emu.messages(stored.id)[0].content == "hello"
    with pytest.raises(discord.HTTPException):
        await forum.create_thread(name="n" * 101, content="x")
    emu.validator.violations.clear()


async def test_thread_manage_needs_manage_threads(emu: Emulator, world: World) -> None:
    from .conftest import build_world, start_bot, stop_bot

    other = build_world(emu, bot_permissions=R.DEFAULT_BOT & ~R.MANAGE_THREADS)
    b = KudosTestBot(other.guild.id)
    task = await start_bot(emu, b)
    try:
        thread, _ = await emu.create_forum_post(other.forum.id, other.alice.id, "q", "?", tags=["Question"])
        with pytest.raises(discord.Forbidden) as err:
            await b.get_guild(other.guild.id).get_thread(thread.id).edit(locked=True)
        assert err.value.code == 50013
    finally:
        await stop_bot(b, task)


async def test_dm_to_a_user_with_no_mutual_guild_is_50278(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """opcodes-and-status-codes.mdx, JSON error codes: 50278 "Cannot send messages to this user due to having
    no mutual guilds"."""
    user = await bot.fetch_user(world.bob.id)
    await user.send("welcome")
    emu.remove_member(world.guild.id, world.bob.id)
    await emu.settle()
    with pytest.raises(discord.Forbidden) as err:
        await user.send("still there?")
    assert err.value.code == 50278
    stranger = await bot.fetch_user(emu.create_user("stranger").id)
    with pytest.raises(discord.Forbidden) as err:
        await stranger.send("hi")
    assert err.value.code == 50278
    assert [m.content for m in emu.dms(world.bob.id)] == ["welcome"]


async def _raw_post(emu: Emulator, channel_id: int, body: dict) -> tuple[int, dict]:
    import aiohttp

    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
        async with session.post(f"{emu.base_url}/channels/{channel_id}/messages", json=body) as resp:
            return resp.status, await resp.json()


async def test_posting_in_a_forum_itself_is_40058(emu: Emulator, world: World) -> None:
    """opcodes-and-status-codes.mdx: 40058 "Cannot send a message in a forum channel" (posts are threads)."""
    status, body = await _raw_post(emu, world.forum.id, {"content": "hello forum"})
    assert status == 400 and body["code"] == 40058


async def test_allowed_mentions_parse_users_and_users_conflict(emu: Emulator, world: World) -> None:
    """message.mdx, Allowed Mentions: an invalid configuration "includes both `parse` and `users`, despite those
    fields being mutually exclusive, causing a validation error"; a falsy ``users`` is fine."""
    bad = {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": [str(world.alice.id)]}}
    status, body = await _raw_post(emu, world.general.id, bad)
    assert status == 400 and body["code"] == 50035 and "allowed_mentions" in body["errors"]
    fine = {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": []}}
    assert (await _raw_post(emu, world.general.id, fine))[0] == 200


async def test_form_errors_are_nested_per_field(emu: Emulator, world: World) -> None:
    """opcodes-and-status-codes.mdx, Example JSON Error Response: errors nest by field path down to
    ``_errors``."""
    status, body = await _raw_post(emu, world.general.id, {"content": "ok", "embeds": [{"title": 5}]})
    assert status == 400 and body["code"] == 50035
    assert body["errors"]["embeds"]["0"]["title"]["_errors"][0]["code"] == "BASE_TYPE_INVALID"
    emu.validator.violations.clear()  # provoked on purpose


async def test_reply_without_read_history_is_160002(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """opcodes-and-status-codes.mdx: 160002 "Cannot reply without permission to read message history"."""
    ch = emu.create_channel(world.guild.id, "nohistory", overwrites=[
        {"id": world.guild.bot_role_id, "type": 0, "allow": 0, "deny": R.READ_MESSAGE_HISTORY},
        {"id": world.guild.id, "type": 0, "allow": 0, "deny": R.READ_MESSAGE_HISTORY}])
    msg = await emu.send_message(ch.id, world.alice.id, "question")
    channel = bot.get_channel(ch.id)
    with pytest.raises(discord.HTTPException) as err:
        await channel.send("answer", reference=discord.MessageReference(message_id=msg.id, channel_id=ch.id))
    assert err.value.code == 160002


async def test_embed_size_counts_trimmed_text(emu: Emulator, world: World) -> None:
    """message.mdx, Embed Limits: Discord counts embed text without leading and trailing whitespace, so padding
    does not push an embed over the 6000-character total."""
    padded = [{"description": "x" * 3000 + " " * 200} for _ in range(2)]  # 6400 raw, 6000 trimmed
    assert (await _raw_post(emu, world.general.id, {"embeds": padded}))[0] == 200
    over = [{"description": "x" * 3001} for _ in range(2)]
    status, body = await _raw_post(emu, world.general.id, {"embeds": over})
    assert status == 400 and body["code"] == 50035

