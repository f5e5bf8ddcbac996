"""Where a feedback notice goes when a DM can't: closed DMs remembered (one thread ping per item), members
who left (no ping), and merged duplicates whose thread is archived and locked (never a lost notice). End to
end through the emulator, on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.emulator import rules
from bot.emulator.serialize import channel_json
from bot.feedback.tables import feedback_dms_closed
from bot.platform.tables import audit_log
from bot.sandbox.harness import Harness
from tests.feedback.test_e2e import credits, embed_field, item, mentioned_users, report, starter
from tests.feedback.test_effect_jobs import feedback_jobs, until_delivered

pytestmark = pytest.mark.usefixtures("quick_discord_retries")  # discord.py's own 5xx retries, no real sleeps

MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"


def pings(h: Harness, channel_id: int, since: int = 0) -> list[Any]:
    """The bot's messages there that ping someone, after the first ``since`` (the starter post, which pings
    its reporter, left out)."""
    return [m for m in h.emu.messages(channel_id)[since:]
            if m.id != channel_id and m.allowed_mentions and m.allowed_mentions.get("users")]


def dm_attempts(h: Harness, who: str) -> int:
    """How many times the bot tried to send ``who`` a DM (the emulator's request log, refused ones too)."""
    channel = h.emu.dm_channel(h.members[who])
    if channel is None:
        return 0
    return sum(1 for r in h.emu.requests(MESSAGE_ROUTE) if r.path.endswith(f"/channels/{channel.id}/messages"))


async def dropped(h: Harness) -> list[dict[str, Any]]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        rows = await conn.execute(select(audit_log.c.details).where(audit_log.c.action == "job.dropped"))
        return [dict(r.details) for r in rows]


# ------------------------------------------------------------------------------------ closed DMs (#20 item 11)


async def test_closed_dms_are_remembered_one_thread_ping_per_item_and_the_memory_expires(kudos: Harness) -> None:
    kudos.emu.set_dms_open(kudos.members["bob"], False)
    await report(kudos)
    row = await item(kudos)
    await kudos.member("bob").click(row.thread_id, label="Me too")

    await kudos.member("sam").slash("feedback status", status="acknowledged", item=row.id)
    assert dm_attempts(kudos, "bob") == 1  # refused with 50007
    first = pings(kudos, row.thread_id)
    assert len(first) == 1 and mentioned_users(first[0]) == [kudos.members["bob"]]
    assert "couldn't DM you" in first[0].content and "without pinging you" in first[0].content
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        until = (await conn.execute(select(feedback_dms_closed.c.until))).scalar_one()
    assert until == kudos.clock.now() + timedelta(days=7)

    before = len(kudos.emu.messages(row.thread_id))
    await kudos.member("sam").slash("feedback status", status="planned", item=row.id)
    assert dm_attempts(kudos, "bob") == 1  # remembered: no DM tried
    assert pings(kudos, row.thread_id, before) == []  # and no second ping: the status line says it
    assert any("Planned" in m.content for m in kudos.emu.messages(row.thread_id)[before:])
    assert "planned" in kudos.member("alice").dms()[-1].content.lower()

    await kudos.advance(timedelta(days=8))  # the memory expires
    before = len(kudos.emu.messages(row.thread_id))
    await kudos.member("sam").slash("feedback status", status="in_progress", item=row.id)
    assert dm_attempts(kudos, "bob") == 2  # tried again (still closed)
    assert pings(kudos, row.thread_id, before) == []  # once per item, still
    assert len(pings(kudos, row.thread_id)) == 1

    kudos.emu.set_dms_open(kudos.members["bob"], True)
    await kudos.advance(timedelta(days=8))
    await kudos.member("sam").slash("feedback status", status="shipped", item=row.id, version="2.0")
    assert "has shipped" in kudos.member("bob").dms()[-1].content


# ------------------------------------------------------------------------------------ voters who left


async def test_a_voter_who_left_is_neither_dmed_nor_pinged_and_the_audit_log_says_so(kudos: Harness) -> None:
    """The left member shares no guild with the bot: the DM fails with 50278 (no mutual guild), which is not
    the closed-DMs fallback: nobody is pinged in a server they left."""
    await report(kudos)
    row = await item(kudos)
    await kudos.member("bob").click(row.thread_id, label="Me too")
    await kudos.member("bob").leave()
    before = len(kudos.emu.messages(row.thread_id))

    done = await kudos.member("sam").slash("feedback status", status="shipped", item=row.id, version="2.5.0")

    assert "1 member will be told (1 who left the server won't be)" in (done.content or ""), done.content
    assert "has shipped" in kudos.member("alice").dms()[-1].content
    assert not any("shipped" in m.content for m in kudos.member("bob").dms())
    refused = [r for r in kudos.emu.requests(MESSAGE_ROUTE) if r.status == 403]
    assert refused, "the DM was tried and refused"
    assert pings(kudos, row.thread_id, before) == []
    assert not any(str(kudos.members["bob"]) in m.content for m in kudos.emu.messages(row.thread_id)[before:])
    jobs = await feedback_jobs(kudos)
    assert not [j for j in jobs if j.event == "feedback.mention"]
    drops = await dropped(kudos)
    assert len(drops) == 1 and drops[0]["event"] == "feedback.dm", drops
    assert drops[0]["key"].endswith(f":{kudos.members['bob']}") and "share no server" in drops[0]["reason"]
    assert "50278" in drops[0]["reason"]


# ------------------------------------------------------------------------------------ merged duplicates


async def _two_reports_and_quiet_forum(h: Harness) -> tuple[Any, Any]:
    h.emu.set_dms_open(h.members["bob"], False)
    await report(h, "alice", "idea", {"Title": "Dark mode", "Details": "d"})
    await report(h, "bob", "idea", {"Title": "Night theme", "Details": "d"})
    original, dup = await item(h, 1), await item(h, 2)
    archived = await h.emu.advance(days=8)  # longer than any auto_archive_duration: both posts archive
    assert {original.thread_id, dup.thread_id} <= {t.id for t in archived}
    return original, dup


async def test_merge_into_an_auto_archived_post_pings_the_closed_dm_reporter_once(kudos: Harness) -> None:
    """The duplicate's thread ends archived and locked; the reporter (DMs closed) is mentioned in it (the bot
    reopens it, posts, and closes it again); the original's thread gets the merge note and its card the vote."""
    original, dup = await _two_reports_and_quiet_forum(kudos)
    done = await kudos.member("sam").slash("feedback status", status="duplicate", of=original.id, item=dup.id)
    assert "Merged into" in (done.content or ""), done.content

    thread = kudos.emu.state.channels[dup.thread_id]
    assert thread.archived and thread.locked
    ping = pings(kudos, dup.thread_id)
    assert len(ping) == 1 and mentioned_users(ping[0]) == [kudos.members["bob"]], [m.content for m in ping]
    assert "Your report" in ping[0].content and "co-reporter" in ping[0].content
    notes = [m for m in kudos.emu.messages(original.thread_id) if "was merged into this report" in m.content]
    assert len(notes) == 1 and f"#{dup.id}" in notes[0].content
    assert embed_field(starter(kudos, original.thread_id), "Votes") == "1"
    assert pings(kudos, original.thread_id) == []
    jobs = await feedback_jobs(kudos)
    assert all(j.status == "done" for j in jobs), [(j.event, j.status, j.last_error) for j in jobs]
    assert [j.event for j in jobs].count("feedback.merge_note") == 1


async def test_merge_note_and_embed_are_a_durable_job_through_an_outage(kudos: Harness) -> None:
    original, dup = await _two_reports_and_quiet_forum(kudos)
    outage = kudos.emu.faults.add(route=MESSAGE_ROUTE, status=500, count=12)
    done = await kudos.member("sam").slash("feedback status", status="duplicate", of=original.id, item=dup.id)
    assert "Saved, but" not in (done.content or ""), done.content
    await until_delivered(kudos)
    assert outage.count == 0
    notes = [m for m in kudos.emu.messages(original.thread_id) if "was merged into this report" in m.content]
    assert len(notes) == 1
    assert embed_field(starter(kudos, original.thread_id), "Votes") == "1"


async def test_a_locked_duplicate_the_bot_cannot_reopen_sends_the_mention_to_the_original(kudos: Harness) -> None:
    """threads.mdx, "Locked Threads": without MANAGE_THREADS no message goes into a locked thread (160005),
    and it can't be unarchived. The bot lost Manage Threads after it closed the duplicate: the reporter's
    mention goes to the thread of the report it was merged into instead of nowhere."""
    original, dup = await _two_reports_and_quiet_forum(kudos)
    kudos.emu.faults.add(route="POST /users/@me/channels", status=500, count=5)  # bob's DM job waits
    await kudos.member("sam").slash("feedback status", status="duplicate", of=original.id, item=dup.id)
    thread = kudos.emu.state.channels[dup.thread_id]
    assert thread.archived and thread.locked and pings(kudos, dup.thread_id) == []

    forum = kudos.emu.state.channels[thread.parent_id]
    bot_role = kudos.emu.state.guilds[kudos.guild_id].bot_role_id
    forum.overwrites = [*forum.overwrites, {"id": bot_role, "type": 0, "allow": 0, "deny": rules.MANAGE_THREADS}]
    await kudos.emu.gateway.dispatch("CHANNEL_UPDATE", channel_json(kudos.emu.state, forum), kudos.guild_id)
    await kudos.settle()
    await until_delivered(kudos)

    assert pings(kudos, dup.thread_id) == [] and thread.archived and thread.locked
    moved = pings(kudos, original.thread_id)
    assert len(moved) == 1 and mentioned_users(moved[0]) == [kudos.members["bob"]], [m.content for m in moved]
    assert "co-reporter" in moved[0].content
    jobs = await feedback_jobs(kudos)
    assert all(j.status == "done" for j in jobs), [(j.event, j.status, j.last_error) for j in jobs]


# ------------------------------------------------------------------------------------ the merge DM (#20 item 8)


async def test_the_merge_dm_tells_the_reporter_they_are_credited_as_a_co_reporter(kudos: Harness) -> None:
    await report(kudos, "alice", "idea", {"Title": "Dark mode", "Details": "d"})
    await report(kudos, "bob", "idea", {"Title": "Night theme", "Details": "d"})
    await kudos.member("carol").click((await item(kudos, 2)).thread_id, label="Me too")
    await kudos.member("sam").slash("feedback status", status="duplicate", of=1, item=2)

    to_bob = kudos.member("bob").dms()[-1].content
    assert to_bob.startswith("Your report [#2 “Night theme”]") and "merged into [#1 “Dark mode”](" in to_bob
    assert "credited there as a co-reporter" in to_bob and "Your vote" not in to_bob
    to_carol = kudos.member("carol").dms()[-1].content
    assert "Your vote and follow moved there" in to_carol and "co-reporter" not in to_carol
    # and the credit is real: bob is credited when the original moves forward
    await kudos.member("sam").slash("feedback status", status="planned", item=1)
    assert (await credits(kudos, "bob")).get("feedback_acknowledged") == (3, 1)
