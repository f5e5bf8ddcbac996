"""Slash commands, context menus, buttons, modals, deferrals, timeouts, double acknowledgement."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.emulator import Emulator, EmulatorError

from .conftest import KudosTestBot, World


async def test_slash_command_with_options_ephemeral(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "echo",
                              {"text": "hi", "times": 2, "loud": True, "ratio": 0.5})
    assert not rec.failed
    assert rec.response_type == 4 and rec.ephemeral
    assert rec.response["content"] == "HI HI (0.5)"
    assert [m.content for m in emu.ephemerals(world.alice.id)] == ["HI HI (0.5)"]
    assert all(m.content != "HI HI (0.5)" for m in emu.messages(world.general.id))


async def test_subcommand_group_and_resolved_options(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "kudos give",
                              {"user": world.bob, "channel": world.general, "role": world.staff, "reason": "great"})
    assert rec.response_type == 4 and not rec.ephemeral
    assert rec.message is not None and rec.message.content == "bob got Staff"
    assert rec.embeds[0]["title"] == "Kudos!"
    assert f"<@{world.bob.id}>" in rec.embeds[0]["description"]
    assert rec.message in emu.messages(world.general.id)
    rec2 = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "kudos admin reset",
                               {"user": world.bob.id})
    assert rec2.response["content"] == f"reset {world.bob.id}"
    with pytest.raises(EmulatorError):
        await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "kudos nope")
    with pytest.raises(EmulatorError):
        await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "echo", {})  # text is required


async def test_button_click_updates_message(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "kudos give",
                              {"user": world.bob, "channel": world.general, "role": world.staff, "reason": "x"})
    msg = rec.message
    assert msg.components[0]["components"][0]["custom_id"] == f"test:bump:{world.bob.id}"
    click = await emu.click(msg.id, world.bob.id, label="Bump")
    assert click.response_type == 7 and not click.failed
    assert emu.message(msg.id).content == f"bump by {world.bob.id} for {world.bob.id}"
    assert ("button", "bump", world.bob.id, world.bob.id) in bot.seen
    with pytest.raises(EmulatorError):
        await emu.click(msg.id, world.bob.id, label="Nope")


async def test_persistent_button_on_message_from_before(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    # a message carrying a dynamic-item button that the bot never sent in this session
    channel = bot.get_channel(world.general.id)
    sent = await channel.send("old", view=None)
    stored = emu.message(sent.id)
    stored.components = [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Thank", "custom_id": f"test:thank:{world.alice.id}"}]}]
    rec = await emu.click(sent.id, world.bob.id, custom_id=f"test:thank:{world.alice.id}")
    assert rec.response_type == 7
    assert emu.message(sent.id).content == f"thank by {world.bob.id} for {world.alice.id}"


async def test_deferred_reply_then_followup(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "slow")
    assert rec.response_type == 5 and rec.deferred
    assert [f.content for f in rec.followups] == ["done thinking"]
    assert rec.content == "done thinking"
    contents = [m.content for m in emu.messages(world.general.id)]
    assert "done thinking" in contents
    eph = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "slow", {"ephemeral": True})
    assert eph.ephemeral and [m.content for m in emu.ephemerals(world.alice.id)][-1] == "done thinking"


async def test_deferred_then_edit_original(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "slowedit")
    assert rec.response_type == 5
    assert rec.message.content == "edited original" and not rec.message.flags & 128
    assert rec.edits and rec.edits[0]["content"] == "edited original"


async def test_modal_open_and_submit(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    opened = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "feedback")
    assert opened.response_type == 9 and opened.modal["title"] == "Feedback"
    done = await emu.submit_modal(opened, {"Summary": "nice", "Details": "very"})
    assert done.type == 5 and done.response["content"] == "thanks: nice / very" and done.ephemeral
    with pytest.raises(EmulatorError):
        await emu.submit_modal(opened, {"Nope": "x", "Summary": "y"})


async def test_context_menus(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    msg = await emu.send_message(world.general.id, world.bob.id, "how do I X?")
    rec = await emu.run_context_menu(world.guild.id, world.general.id, world.alice.id, "Mark as solution",
                                     target_message_id=msg.id)
    assert rec.response["content"] == f"solution: {msg.id} by {world.bob.id}"
    rec2 = await emu.run_context_menu(world.guild.id, world.general.id, world.alice.id, "Profile",
                                      target_user_id=world.bob.id)
    assert rec2.response["content"] == "profile of bob"


@pytest.mark.emulator(interaction_timeout=0.3)
async def test_unanswered_interaction_fails_and_late_answer_is_unknown(
        emu: Emulator, world: World, bot: KudosTestBot) -> None:
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "never")
    assert rec.failed and rec.response_type is None
    late = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "late", {"delay": 0.4})
    assert late.failed
    await emu.settle(quiet=0.6)
    assert ("late", 404, 10062) in bot.errors


async def test_double_acknowledgement_is_rejected(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "echo", {"text": "a"})
    url = f"{emu.base_url}/interactions/{rec.id}/{rec.token}/callback"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
            assert resp.status == 400
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["code"] == 40060
        async with session.post(f"{emu.base_url}/interactions/{rec.id}/wrong/callback",
                                json={"type": 4, "data": {"content": "x"}}) as resp:
            assert resp.status == 404 and (await resp.json())["code"] == 10062


async def test_first_followup_after_defer_edits_the_original(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """receiving-and-responding.mdx, Create Followup Message: directly after DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    "no new message will be created, and the loading message will be edited instead. The ephemeral flag will be
    ignored, and the value you provided in the initial defer response will be preserved"."""
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "mixed")
    original = rec.message
    assert original is not None and original.content == "meant to be secret"
    assert not original.ephemeral and not original.flags & 128  # public, as deferred; no longer loading
    assert [(a["filename"], a["description"]) for a in original.attachments] == [("notes.txt", "the notes")]
    _, first_id, first_ephemeral, second_id = next(s for s in bot.seen if s[0] == "mixed")
    assert first_id == original.id and not first_ephemeral
    assert second_id != original.id  # later follow-ups are new messages
    assert [m.content for m in emu.messages(world.general.id)] == ["meant to be secret", "second"]
    assert emu.ephemerals(world.alice.id) == []


async def test_autocomplete_choices(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """receiving-and-responding.mdx: APPLICATION_COMMAND_AUTOCOMPLETE (4) is answered with
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT (8) "to an autocomplete interaction with suggested choices"."""
    rec = await emu.run_autocomplete(world.guild.id, world.general.id, world.alice.id, "fruit", "name",
                                     {"name": "ap", "count": 2})
    assert rec.type == 4 and rec.response_type == 8
    assert [c["value"] for c in rec.choices] == ["apple", "apricot"]
    assert emu.messages(world.general.id) == []
    with pytest.raises(EmulatorError, match="no autocomplete"):
        await emu.run_autocomplete(world.guild.id, world.general.id, world.alice.id, "fruit", "count")


@pytest.mark.emulator(interaction_timeout=0.5, spec_path="/nonexistent/openapi.json")  # the model's own check
async def test_autocomplete_allows_at_most_25_choices(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """receiving-and-responding.mdx, Autocomplete: ``choices`` are "autocomplete choices (max of 25 choices)"."""
    rec = await emu.run_autocomplete(world.guild.id, world.general.id, world.alice.id, "fruit", "name",
                                     {"name": "many"})
    assert rec.response_type is None and rec.failed
    refused = [r for r in emu.request_log if r.route.endswith("/callback")]
    assert refused and refused[-1].status == 400


@pytest.mark.emulator(interaction_timeout=1.0)
async def test_autocomplete_result_only_answers_autocomplete(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """receiving-and-responding.mdx: type 8 responds "to an autocomplete interaction"; a command can't get it."""

    task = asyncio.create_task(emu.run_slash(world.guild.id, world.general.id, world.alice.id, "never"))
    while not emu.interactions:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    rec = next(iter(emu.interactions.values()))
    url = f"{emu.base_url}/interactions/{rec.id}/{rec.token}/callback"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"type": 8, "data": {"choices": []}}) as resp:
            assert resp.status == 400
    await task


@pytest.mark.emulator(followup_timeout=0.1)
async def test_interaction_tokens_expire_after_15_minutes(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """receiving-and-responding.mdx: "Interaction tokens are valid for **15 minutes**" (50027 "Invalid webhook
    token provided")."""
    import discord

    await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "park")
    parked = bot.parked
    assert parked is not None
    await emu.advance(minutes=14)
    await parked.edit_original_response(content="still in time")
    await emu.advance(minutes=2)
    with pytest.raises(discord.HTTPException) as err:
        await parked.followup.send("too late")
    assert err.value.code == 50027 and err.value.status == 401


async def test_modal_values_respect_min_and_max_length(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """components reference, Text Input: ``min_length``/``max_length`` bound what the user can type, so a
    submission outside them can't happen."""
    opened = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "feedback")
    with pytest.raises(EmulatorError, match="0-100 characters, not 101"):
        await emu.submit_modal(opened, {"Summary": "x" * 101})
    done = await emu.submit_modal(opened, {"Summary": "x" * 100})
    assert done.response_type == 4


async def test_followup_after_the_deferred_message_was_deleted_is_new(emu: Emulator, world: World,
                                                                      bot: KudosTestBot) -> None:
    """The follow-up only stands in for Edit Original Interaction Response while the loading message exists;
    once the bot deleted it, a follow-up is a new message (here an ephemeral one)."""
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "retract")
    assert rec.message is not None and rec.message.deleted
    assert [m.content for m in emu.ephemerals(world.alice.id)] == ["just for you"]
    assert emu.messages(world.general.id) == []


async def test_slash_options_respect_min_and_max(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """application-commands.mdx, Application Command Option Structure: ``min_value`` / ``max_value`` are "the
    minimum/maximum value permitted" (INTEGER, NUMBER) and ``min_length`` / ``max_length`` "the minimum/maximum
    allowed length" (STRING); Discord's client will not send a value outside them, so neither does an actor."""
    def run(**options: object):
        return emu.run_slash(world.guild.id, world.general.id, world.alice.id, "bounded", options)

    with pytest.raises(EmulatorError, match=r"option 'count' takes a value in 1\.\.10, not 11"):
        await run(count=11, word="abc")
    with pytest.raises(EmulatorError, match="option 'count'"):
        await run(count=0, word="abc")
    with pytest.raises(EmulatorError, match=r"option 'ratio' takes a value in 0\.0\.\.1\.0, not 1\.5"):
        await run(count=1, word="abc", ratio=1.5)
    with pytest.raises(EmulatorError, match=r"option 'floor' takes a value in 3\.\., not 2"):
        await run(count=1, word="abc", floor=2)
    with pytest.raises(EmulatorError, match="option 'word' takes 2-5 characters, not 6"):
        await run(count=1, word="abcdef")
    with pytest.raises(EmulatorError, match="option 'word' takes 2-5 characters, not 1"):
        await run(count=1, word="a")
    rec = await run(count=10, word="ab", ratio=1.0, floor=1000)
    assert rec.response["content"] == "10 ab 1.0 1000"
    rec = await run(count=1, word="abcde", ratio=0.0)
    assert rec.response["content"] == "1 abcde 0.0 3"
