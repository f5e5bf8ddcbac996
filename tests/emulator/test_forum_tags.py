"""Forum channel flags and tags (channel.mdx: Channel Flags, Forum Tag Object; threads.mdx: Forums)."""

from __future__ import annotations

import discord
import pytest

from bot.emulator import Emulator, EmulatorError
from bot.emulator import rules as R

from .conftest import KudosTestBot, World, build_world, start_bot, stop_bot

REQUIRE_TAG = 1 << 4


async def test_channel_flags_are_stored_and_returned(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """channel.mdx: the channel object's ``flags`` are "channel flags combined as a bitfield"; threads.mdx: "The
    `flags` field indicates any channel flags set for a thread-only channel." """
    strict = emu.create_channel(world.guild.id, "strict-help", type="forum", tags=["Bug"], flags=REQUIRE_TAG)
    await emu.settle()
    assert bot.get_channel(strict.id).flags.require_tag
    forum = bot.get_channel(world.forum.id)
    assert not forum.flags.require_tag
    edited = await forum.edit(require_tag=True)
    assert emu.state.channels[world.forum.id].flags == REQUIRE_TAG and edited.flags.require_tag


async def test_require_tag_refuses_an_untagged_post(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """channel.mdx, Channel Flags: REQUIRE_TAG is "whether a tag is required to be specified when creating a
    thread in a `GUILD_FORUM` or a `GUILD_MEDIA` channel" (40067 "A tag is required to create a forum post in
    this channel")."""
    strict = emu.create_channel(world.guild.id, "strict-help", type="forum", tags=["Bug"], flags=REQUIRE_TAG)
    await emu.settle()
    forum = bot.get_channel(strict.id)
    with pytest.raises(discord.HTTPException) as err:
        await forum.create_thread(name="untagged", content="?")
    assert err.value.code == 40067 and emu.threads(strict.id) == []
    made = await forum.create_thread(name="tagged", content="?", applied_tags=[forum.available_tags[0]])
    assert emu.state.channels[made.thread.id].applied_tags == [forum.available_tags[0].id]
    with pytest.raises(EmulatorError, match="REQUIRE_TAG"):
        await emu.create_forum_post(strict.id, world.alice.id, "untagged", "?")


async def test_moderated_tags_need_manage_threads(emu: Emulator, world: World) -> None:
    """channel.mdx, Forum Tag Object: ``moderated`` is "whether this tag can only be added to or removed from
    threads by a member with the `MANAGE_THREADS` permission"."""
    other = build_world(emu, bot_permissions=R.DEFAULT_BOT & ~R.MANAGE_THREADS)
    desk = emu.create_channel(other.guild.id, "desk", type="forum",
                              tags=[{"name": "Staff pick", "moderated": True}, "Bug"])
    b = KudosTestBot(other.guild.id)
    task = await start_bot(emu, b)
    try:
        forum = b.get_channel(desk.id)
        pick = next(t for t in forum.available_tags if t.moderated)
        bug = next(t for t in forum.available_tags if not t.moderated)
        with pytest.raises(discord.Forbidden) as err:
            await forum.create_thread(name="picked", content="!", applied_tags=[pick])
        assert err.value.code == 50013
        made = await forum.create_thread(name="plain", content="!", applied_tags=[bug])
        with pytest.raises(discord.Forbidden):
            await made.thread.edit(applied_tags=[bug, pick])  # the bot owns the post, but not the tag
        assert emu.state.channels[made.thread.id].applied_tags == [bug.id]
        with pytest.raises(EmulatorError, match="moderated"):
            await emu.create_forum_post(desk.id, other.bob.id, "mine", "?", tags=["Staff pick"])
        await emu.create_forum_post(desk.id, other.guild.owner_id, "owner's", "?", tags=["Staff pick"])
    finally:
        await stop_bot(b, task)
