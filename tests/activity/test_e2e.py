"""Activity counters through the real bot: messages and reactions counted in memory, written behind."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.activity.service import totals
from bot.activity.tables import activity_counters
from bot.sandbox.harness import Harness


async def _per_channel(kudos: Harness, user_id: int) -> dict[int, tuple[int, int]]:
    assert kudos.bot is not None
    c = activity_counters.c
    async with kudos.bot.db.connect() as conn:
        rows = await conn.execute(select(c.channel_id, c.messages, c.reactions).where(c.user_id == user_id))
        return {r.channel_id: (r.messages, r.reactions) for r in rows}


async def test_messages_and_reactions_are_counted_and_written_within_a_second(kudos: Harness) -> None:
    alice, bob = kudos.member("alice"), kudos.member("bob")
    first = await alice.say("hello", in_="general")
    await alice.say("anyone around?", in_="general")
    thread, _starter = await bob.post("sync fails", in_="help", content="it fails")
    await kudos.emu.send_message(thread.id, kudos.members["alice"], "try a restart")
    await kudos.settle()
    await bob.react(first.id, "👋")
    assert kudos.bot is not None
    activity = kudos.bot.app.activity
    for _ in range(30):  # the writer flushes at most once a second
        await asyncio.sleep(0.1)
        # nothing left to take, and no flush mid-write (a flush takes the batch before its transaction commits)
        if activity.pending_events == 0 and activity.flushes and not activity._lock.locked():
            break
    general, help_forum = kudos.channel_id("general"), kudos.channel_id("help")
    # a message in a forum post counts for the forum; a reaction for the message's channel
    assert await _per_channel(kudos, kudos.members["alice"]) == {general: (2, 0), help_forum: (1, 0)}
    assert await _per_channel(kudos, kudos.members["bob"]) == {help_forum: (1, 0), general: (0, 1)}


async def test_a_clean_restart_loses_no_counts(kudos: Harness) -> None:
    alice = kudos.member("alice")
    assert kudos.bot is not None
    cog = kudos.bot.get_cog("Activity")
    cog._writer.cancel()  # only the shutdown flush can write what comes next
    for n in range(5):
        await alice.say(f"message {n}", in_="showcase")
    assert kudos.bot.app.activity.pending_events == 5
    assert await totals(kudos.bot.db, kudos.guild_id, kudos.members["alice"]) == (0, 0)
    await kudos.restart()
    assert await totals(kudos.bot.db, kudos.guild_id, kudos.members["alice"]) == (5, 0)
