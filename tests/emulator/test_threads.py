"""Archived and locked threads, and auto-archiving on the emulator's clock (threads.mdx, channel.mdx)."""

from __future__ import annotations

import discord
import pytest

from bot.emulator import Emulator, EmulatorError, Strict

from .conftest import KudosTestBot, World


async def _archived_post(emu: Emulator, world: World, bot: KudosTestBot) -> tuple[discord.Thread, discord.Message]:
    forum = bot.get_channel(world.forum.id)
    made = await forum.create_thread(name="Weekly", content="hello")
    await made.thread.edit(archived=True)
    await emu.settle()
    assert emu.state.channels[made.thread.id].archived
    return made.thread, made.message


async def test_archived_thread_refuses_edits_reactions_and_joins(emu: Emulator, world: World,
                                                                 bot: KudosTestBot) -> None:
    """threads.mdx, Active & Archived Threads: "Users cannot edit messages, add reactions, use application
    commands, or join archived threads. The only operation that should happen within an archived thread is
    messages being deleted." (50083, opcodes-and-status-codes.mdx)."""
    thread, starter = await _archived_post(emu, world, bot)
    for attempt in (starter.edit(content="changed"), starter.add_reaction("👍"), thread.join()):
        with pytest.raises(discord.HTTPException) as err:
            await attempt
        assert err.value.code == 50083
    assert emu.message(starter.id).content == "hello" and not emu.message(starter.id).reactions
    with pytest.raises(EmulatorError, match="archived"):
        await emu.add_reaction(thread.id, starter.id, world.alice.id, "👍")
    with pytest.raises(EmulatorError, match="application commands"):
        await emu.run_slash(world.guild.id, thread.id, world.alice.id, "echo", {"text": "hi"})
    await starter.delete()  # deleting stays possible
    assert emu.messages(thread.id) == []


async def test_archived_thread_patch_must_unarchive(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """channel.mdx, Modify Channel (thread): "Requires the thread to have `archived` set to `false` or be set
    to `false` in the request." """
    thread, _ = await _archived_post(emu, world, bot)
    with pytest.raises(discord.HTTPException) as err:
        await thread.edit(name="Renamed")
    assert err.value.code == 50083 and emu.state.channels[thread.id].name == "Weekly"
    await thread.edit(name="Renamed", archived=False)
    stored = emu.state.channels[thread.id]
    assert stored.name == "Renamed" and not stored.archived


async def test_message_unarchives_unless_locked(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """threads.mdx: "Sending a message will automatically unarchive the thread, unless the thread has been
    locked by a moderator." """
    thread, _ = await _archived_post(emu, world, bot)
    await thread.send("bump")
    assert not emu.state.channels[thread.id].archived
    await thread.edit(archived=True, locked=True)
    with pytest.raises(discord.HTTPException) as err:
        await thread.send("again")
    assert err.value.code == 50083 and emu.state.channels[thread.id].archived
    alice_post, _ = await emu.create_forum_post(world.forum.id, world.alice.id, "Q", "?")
    stored = emu.state.channels[alice_post.id]
    stored.archived = True
    await emu.send_message(alice_post.id, world.bob.id, "me too")  # a member's message unarchives as well
    assert not stored.archived
    stored.archived = stored.locked = True
    with pytest.raises(EmulatorError, match="locked"):
        await emu.send_message(alice_post.id, world.bob.id, "hello?")


async def test_locked_thread_refuses_messages_without_manage_threads(emu: Emulator, world: World) -> None:
    """threads.mdx, Locked Threads: users without MANAGE_THREADS "won't be able to create or update messages
    in locked threads" (160005 "Thread is locked")."""
    from bot.emulator import rules as R

    from .conftest import build_world, start_bot, stop_bot

    other = build_world(emu, bot_permissions=R.DEFAULT_BOT & ~R.MANAGE_THREADS)
    b = KudosTestBot(other.guild.id)
    task = await start_bot(emu, b)
    try:
        post, _ = await emu.create_forum_post(other.forum.id, other.alice.id, "q", "?")
        emu.state.channels[post.id].locked = True
        with pytest.raises(discord.HTTPException) as err:
            await b.get_guild(other.guild.id).get_thread(post.id).send("hi")
        assert err.value.code == 160005
    finally:
        await stop_bot(b, task)


async def test_threads_auto_archive_on_the_emulator_clock(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """threads.mdx: "Threads automatically archive after a period of inactivity. ... "Activity" is defined as
    sending a message, unarchiving a thread, or changing the auto-archive time." """
    forum = bot.get_channel(world.forum.id)
    made = await forum.create_thread(name="Daily", content="hello", auto_archive_duration=60)
    quiet = await forum.create_thread(name="Weekly", content="hello", auto_archive_duration=1440)
    assert await emu.advance(minutes=59) == []
    await made.thread.send("still here")  # activity restarts the hour
    assert await emu.advance(minutes=59) == []
    archived = await emu.advance(minutes=2)
    assert [t.id for t in archived] == [made.thread.id]
    update = [e for e in emu.gateway.events if e.name == "THREAD_UPDATE" and e.data["id"] == str(made.thread.id)]
    assert update[-1].delivered and update[-1].data["thread_metadata"]["archived"]
    assert bot.get_guild(world.guild.id).get_thread(made.thread.id) is None  # discord.py drops archived threads
    assert not emu.state.channels[quiet.thread.id].archived
    assert [t.id for t in await emu.advance(days=1)] == [quiet.thread.id]


@pytest.mark.emulator(strict=Strict(archived_threads=False))
async def test_archived_thread_rules_can_be_turned_off(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    thread, starter = await _archived_post(emu, world, bot)
    await starter.edit(content="changed")
    assert emu.message(starter.id).content == "changed"


async def test_interaction_edits_of_a_message_in_an_archived_thread_are_refused(emu: Emulator, world: World,
                                                                                bot: KudosTestBot) -> None:
    """threads.mdx, Active & Archived Threads: "Users cannot edit messages, add reactions, use application
    commands, or join archived threads." An interaction's edit is an edit all the same: a button's
    UPDATE_MESSAGE callback (type 7) and PATCH /webhooks/{application.id}/{interaction.token}/messages/@original
    on a message inside an archived thread get 50083; ephemeral messages stay editable."""
    thread, starter = await _archived_post(emu, world, bot)
    await thread.edit(archived=False)
    await emu.run_slash(world.guild.id, thread.id, world.alice.id, "park")  # a public deferred answer in it
    parked = bot.parked
    assert parked is not None
    emu.message(starter.id).components = [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Thank", "custom_id": f"test:thank:{world.alice.id}"}]}]
    await thread.edit(archived=True)
    await emu.settle()

    click = await emu.click(starter.id, world.bob.id, custom_id=f"test:thank:{world.alice.id}")
    assert click.response_type is None and emu.message(starter.id).content == "hello"
    assert any(r.key == "POST /interactions/{interaction_id}/{interaction_token}/callback" and r.status == 400
               for r in emu.request_log)
    with pytest.raises(discord.HTTPException) as err:
        await parked.edit_original_response(content="too late")
    assert err.value.code == 50083

    await thread.edit(archived=False)
    await parked.edit_original_response(content="reopened first")
    again = await emu.click(starter.id, world.bob.id, custom_id=f"test:thank:{world.alice.id}")
    assert again.response_type == 7 and emu.message(starter.id).content == f"thank by {world.bob.id} for {world.alice.id}"
