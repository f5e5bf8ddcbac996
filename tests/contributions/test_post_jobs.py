"""The bot's public posts after a contribution are durable jobs written with the credit: the starboard's
showcase card and the note in a solved help post. An outage delays them (and the receipt) but never loses or
doubles them, a post deleted or closed meanwhile ends them with an audit line, and a missing permission is
reported to the staff log (end to end through the emulator, on both databases).

Discord's ``developers/topics/opcodes-and-status-codes.mdx``: "5xx (SERVER ERROR) | The server had an error
processing your request (these are rare)." (retried); "10008 | Unknown message" (dropped); "50013 | You lack
permissions to perform that action" (reported). ``developers/topics/threads.mdx``: "Sending a message will
automatically unarchive the thread" — so a post closed before its note is not reopened for it: the note is
dropped.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.emulator.world_messages import delete_message_model
from bot.emulator.world_threads import set_archived
from bot.platform.tables import audit_log, timers
from bot.sandbox.harness import Harness, MemberSpec, WorldSpec
from tests.contributions._helpers import featured_rows, points, post_with_reply, tag_names

MESSAGES = "POST /channels/{channel_id}/messages"
STARS = ("bob", "dan", "mia")


pytestmark = pytest.mark.usefixtures("quick_discord_retries")


@pytest.fixture
def world() -> WorldSpec:
    spec = WorldSpec.default()
    spec.members += [MemberSpec("dan")]
    return spec


def _config(receipts: str) -> dict[str, Any]:
    return {"guilds": {"default": {"ledger": {"receipts": receipts},
                                   "curation": {"starboard_threshold": 3, "starboard_min_account_age_days": 7}}}}


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return _config("dm")


def showcase_cards(h: Harness) -> list[Any]:
    return [m for m in h.emu.messages(h.channel_id("showcase")) if m.author_id == h.emu.bot_user_id]


async def jobs(h: Harness) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(timers).where(timers.c.event.like("contrib.%")).order_by(timers.c.id)))


async def drops(h: Harness) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(audit_log).where(audit_log.c.action == "job.dropped")))


async def star(h: Harness, post_id: int) -> None:
    for who in STARS:
        await h.member(who).react(post_id, "⭐")


async def until_done(h: Harness, rounds: int = 8) -> int:
    for n in range(rounds):
        if all(j.status != "pending" for j in await jobs(h)):
            return n
        await h.advance(timedelta(minutes=5))
    raise AssertionError(f"still pending: {[(j.dedupe_key, j.attempts, j.last_error) for j in await jobs(h)]}")


async def test_a_starboard_card_survives_a_burst_of_500s_and_is_posted_once(kudos: Harness) -> None:
    post = await kudos.member("alice").say("Sunset shot on the new lens", in_="general")
    outage = kudos.emu.faults.add(route=MESSAGES, status=500, count=12)
    await star(kudos, post.id)
    assert await points(kudos, "alice", "creation") == 8  # the credit did not wait for Discord
    assert showcase_cards(kudos) == [] and outage.hits >= 5
    [row] = await featured_rows(kudos)
    assert row.via == "starboard" and row.showcase_message_id is None
    assert sorted(j.dedupe_key for j in await jobs(kudos)) == sorted(
        [f"contrib.card:{kudos.guild_id}:{post.id}", f"contrib.receipt:{kudos.guild_id}:{row.id}"])

    await until_done(kudos)
    assert outage.count == 0
    [card] = showcase_cards(kudos)
    assert card.embeds[0]["url"].endswith(f"/{post.id}") and "Sunset shot" in card.embeds[0]["description"]
    assert card.allowed_mentions == {"parse": []}
    assert (await featured_rows(kudos))[0].showcase_message_id == card.id
    assert len([m for m in kudos.member("alice").dms() if "You earned kudos" in m.content]) == 1
    assert [j.status for j in await jobs(kudos)] == ["done", "done"]
    await kudos.member("sam").react(post.id, "⭐")
    await kudos.advance(timedelta(hours=2))
    assert len(showcase_cards(kudos)) == 1 and await points(kudos, "alice", "creation") == 8


async def test_a_post_deleted_before_its_card_is_dropped_with_an_audit_line(kudos: Harness) -> None:
    assert kudos.bot is not None
    post = await kudos.member("alice").say("Long exposure of the harbour", in_="general")
    await kudos.bot.scheduler.stop()  # the bot goes down right after featuring it
    await star(kudos, post.id)
    assert (await featured_rows(kudos))[0].showcase_message_id is None
    await delete_message_model(kudos.emu, kudos.emu.message(post.id))
    await kudos.restart()
    await until_done(kudos)
    assert showcase_cards(kudos) == []
    card = next(j for j in await jobs(kudos) if j.event == "contrib.card")
    assert card.status == "done"
    reasons = {d.details["key"]: d.details["reason"] for d in await drops(kudos)}
    assert "10008" in reasons[card.dedupe_key]
    assert len([m for m in kudos.member("alice").dms() if "You earned kudos" in m.content]) == 1


@pytest.mark.parametrize("bot_config", [_config("off")])
async def test_a_missing_permission_for_the_card_is_reported_to_the_staff_log(kudos: Harness) -> None:
    post = await kudos.member("alice").say("A timelapse of the build", in_="general")
    refused = kudos.emu.faults.add(route=MESSAGES, status=403, code=50013, count=1)
    await star(kudos, post.id)
    assert refused.hits == 1 and showcase_cards(kudos) == []
    [job] = await jobs(kudos)
    assert job.status == "failed" and "50013" in (job.last_error or "")
    staff = [m.content for m in kudos.emu.messages(kudos.channel_id("staff-log"))]
    assert len(staff) == 1 and "couldn't post the showcase card" in staff[0] and "missing permissions" in staff[0]
    await kudos.advance(timedelta(hours=1))  # given up: not retried, reported once
    assert len(kudos.emu.messages(kudos.channel_id("staff-log"))) == 1 and showcase_cards(kudos) == []


def solution_notes(h: Harness, thread_id: int) -> list[Any]:
    return [m for m in h.emu.messages(thread_id) if m.author_id == h.emu.bot_user_id and "as the solution" in m.content]


async def test_the_solution_note_survives_a_burst_of_500s_and_is_posted_once(kudos: Harness) -> None:
    thread, reply = await post_with_reply(kudos, "alice", "bob")
    outage = kudos.emu.faults.add(route=MESSAGES, status=500, count=12)
    inter = await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    assert "Marked" in (inter.content or "") and tag_names(kudos, thread.id) == ["Solved"]
    assert await points(kudos, "bob", "answer") == 10 and outage.hits >= 5
    assert solution_notes(kudos, thread.id) == []
    await until_done(kudos)
    assert outage.count == 0
    [note] = solution_notes(kudos, thread.id)
    assert note.content == (f"✅ <@{kudos.members['alice']}> marked {reply_link(kudos, thread.id, reply.id)} by "
                            f"<@{kudos.members['bob']}> as the solution.")
    assert note.allowed_mentions == {"parse": []}
    assert len([m for m in kudos.member("bob").dms() if "You earned kudos" in m.content]) == 1
    await kudos.advance(timedelta(hours=1))
    assert len(solution_notes(kudos, thread.id)) == 1


def reply_link(h: Harness, thread_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{h.guild_id}/{thread_id}/{message_id}"


async def test_a_post_closed_before_its_note_is_not_reopened_for_it(kudos: Harness) -> None:
    assert kudos.bot is not None
    thread, reply = await post_with_reply(kudos, "alice", "bob")
    await kudos.bot.scheduler.stop()  # the bot goes down right after the commit
    await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    await kudos.stop_bot()
    set_archived(kudos.emu, kudos.emu.state.channels[thread.id], True)  # closed while the bot was away
    await kudos.start_bot()
    await until_done(kudos)
    assert solution_notes(kudos, thread.id) == [] and kudos.emu.state.channels[thread.id].archived is True
    note = next(j for j in await jobs(kudos) if j.event == "contrib.solution_note")
    assert note.status == "done" and note.dedupe_key == f"contrib.solution_note:{thread.id}:1"
    reasons = {d.details["key"]: d.details["reason"] for d in await drops(kudos)}
    assert "closed meanwhile" in reasons[note.dedupe_key]
