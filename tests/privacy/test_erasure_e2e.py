"""Erasure end to end (issue #20, items 3 and 4): counts still buffered in memory don't come back under the
member's id after ``/mydata forget`` (nor after ``/mydata tracking off``), a second forget after a restart finds
nothing to erase, and the public leaderboard names an erased member "erased member", not a broken mention."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.activity.service import totals
from bot.activity.tables import activity_counters
from bot.sandbox.harness import Harness


async def credit(h: Harness, name: str, points: int, key: str) -> None:
    assert h.bot is not None
    await h.bot.app.ledger.credit(h.guild_id, h.members[name], "answer", source_key=key, actor_id=None, points=points)
    await h.settle()


async def forget(h: Harness, name: str) -> str:
    member = h.member(name)
    ask = await member.slash("mydata forget")
    assert "can't be undone" in (ask.content or ""), ask.content
    done = await member.click(ask.message.id, label="Erase my data")
    return done.content or ""


def stop_the_writer(h: Harness) -> None:
    """Only an explicit flush (or the shutdown flush) writes counts from now on: the counts of the test stay
    buffered for as long as the test needs, as they would in the second before the writer's next flush."""
    assert h.bot is not None
    h.bot.get_cog("Activity")._writer.cancel()  # type: ignore[union-attr]


async def test_buffered_counts_do_not_come_back_after_forget_nor_after_a_restart(kudos: Harness) -> None:
    await credit(kudos, "alice", 10, "a1")
    stop_the_writer(kudos)
    alice = kudos.member("alice")
    for n in range(3):
        await alice.say(f"message {n}", in_="general")
    assert kudos.bot is not None
    assert kudos.bot.app.activity.pending_events == 3
    assert "was erased" in await forget(kudos, "alice")
    await kudos.bot.app.activity.flush()  # the writer's next flush: nothing of alice's is left to write
    assert await totals(kudos.bot.db, kudos.guild_id, kudos.members["alice"]) == (0, 0)
    async with kudos.bot.db.connect() as conn:  # her counts were written first, and erased with the rest
        anonymous = (await conn.execute(select(func.sum(activity_counters.c.messages))
                                        .where(activity_counters.c.user_id < 0))).scalar_one()
    assert anonymous == 3
    await kudos.restart()  # the shutdown flush writes nothing of hers either
    assert await totals(kudos.bot.db, kudos.guild_id, kudos.members["alice"]) == (0, 0)
    twice = await alice.slash("mydata forget")
    assert "nothing to erase" in (twice.content or "") and twice.ephemeral


async def test_turning_tracking_off_keeps_what_was_counted_and_nothing_after(kudos: Harness) -> None:
    stop_the_writer(kudos)
    bob = kudos.member("bob")
    await bob.say("before", in_="general")
    reply = await bob.slash("mydata tracking", state="off")
    assert "tracking is off" in (reply.content or "")
    await bob.say("after", in_="general")
    assert kudos.bot is not None
    await kudos.bot.app.activity.flush()
    # what was counted before is written; what came after the opt-out is not
    assert await totals(kudos.bot.db, kudos.guild_id, kudos.members["bob"]) == (1, 0)


async def test_the_leaderboard_names_an_erased_member_without_a_broken_mention(kudos: Harness) -> None:
    await credit(kudos, "alice", 30, "a1")
    await credit(kudos, "bob", 10, "b1")
    assert "was erased" in await forget(kudos, "alice")
    board = await kudos.member("bob").slash("leaderboard")
    text = board.embeds[0]["description"]
    assert "🥇 erased member — 30 points" in text
    assert f"🥈 <@{kudos.members['bob']}> — 10 points" in text
    assert "<@-" not in text
