"""A status change's Discord side effects are durable jobs: a Discord outage delays them, never loses or
doubles them (end to end through the emulator, on both databases)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.platform.tables import timers
from bot.sandbox.harness import Harness
from tests.feedback.test_e2e import item, mentioned_users, report

MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"


pytestmark = pytest.mark.usefixtures("quick_discord_retries")


async def feedback_jobs(h: Harness) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        # the jobs of status changes (a vote's embed edit, feedback.embed, is the vote's: tests/feedback/test_review_jobs.py;
        # the report's post, feedback.open_post, the report's: tests/feedback/test_post_jobs.py)
        rows = await conn.execute(select(timers).where(
            timers.c.event.like("feedback.%"),
            timers.c.event.not_in(("feedback.embed", "feedback.open_post"))).order_by(timers.c.id))
        return list(rows)


async def until_delivered(h: Harness, rounds: int = 8) -> int:
    """Advance the clock past each back-off until no feedback job is pending; returns the rounds it took."""
    for n in range(rounds):
        if all(j.status != "pending" for j in await feedback_jobs(h)):
            return n
        await h.advance(timedelta(minutes=5))  # longer than any back-off step used here (30, 60, 120 s …)
        await h.settle()
    raise AssertionError(f"still pending: {[(j.dedupe_key, j.attempts, j.last_error) for j in await feedback_jobs(h)]}")


def bot_messages(h: Harness, channel_id: int) -> list[Any]:
    return [m for m in h.emu.messages(channel_id) if m.author_id == h.emu.bot_user_id]


def shipped_dms(h: Harness, who: str) -> list[Any]:
    return [m for m in h.member(who).dms() if "has shipped" in m.content]


async def test_outage_of_500s_during_shipped_delivers_each_effect_once(kudos: Harness) -> None:
    await report(kudos)
    row = await item(kudos)
    await kudos.member("bob").click(row.thread_id, label="Me too")
    await kudos.member("carol").click(row.thread_id, label="Follow")
    before = len(bot_messages(kudos, row.thread_id))
    outage = kudos.emu.faults.add(route=MESSAGE_ROUTE, status=500, count=40)

    done = await kudos.member("sam").slash("feedback status", status="shipped", item=row.id, version="2.5.0")

    assert not done.failed and "Shipped" in (done.content or ""), done.content
    assert "Saved, but" not in (done.content or "") and "couldn't" not in (done.content or "")
    assert (await item(kudos)).status == "shipped"
    assert outage.hits > 0 and outage.count > 0  # Discord is still down: nothing went out yet
    jobs = await feedback_jobs(kudos)
    change = jobs[0].payload["change_id"]
    assert sorted(j.dedupe_key for j in jobs) == sorted(
        [f"feedback.dm:{change}:{kudos.members[w]}" for w in ("alice", "bob", "carol")]
        + [f"feedback.status_line:{row.id}:{change}"])
    assert all(j.status == "pending" and j.attempts == 1 and "500" in (j.last_error or "") for j in jobs)

    rounds = await until_delivered(kudos)
    assert outage.count == 0 and rounds >= 2
    for who in ("alice", "bob", "carol"):
        assert len(shipped_dms(kudos, who)) == 1, who
    new = bot_messages(kudos, row.thread_id)[before:]
    assert [m.content for m in new] == ["Status: **Shipped** in 2.5.0"]
    assert not any("couldn't DM" in m.content for m in kudos.emu.messages(row.thread_id))
    assert all(j.status == "done" for j in await feedback_jobs(kudos))
    # nothing more goes out later
    await kudos.advance(timedelta(hours=2))
    await kudos.settle()
    assert [len(shipped_dms(kudos, w)) for w in ("alice", "bob", "carol")] == [1, 1, 1]
    assert len(bot_messages(kudos, row.thread_id)) == before + 1


async def test_closed_dms_get_one_thread_mention_even_through_an_outage(kudos: Harness) -> None:
    kudos.emu.set_dms_open(kudos.members["bob"], False)
    await report(kudos)
    row = await item(kudos)
    await kudos.member("bob").click(row.thread_id, label="Me too")
    before = len(kudos.emu.messages(row.thread_id))
    outage = kudos.emu.faults.add(route=MESSAGE_ROUTE, status=500, count=12)
    await kudos.member("sam").slash("feedback status", status="shipped", item=row.id, version="3.0")
    await until_delivered(kudos)
    assert outage.count == 0
    new = kudos.emu.messages(row.thread_id)[before:]
    pings = [m for m in new if m.allowed_mentions and m.allowed_mentions.get("users")]
    assert len(pings) == 1, [m.content for m in new]
    assert mentioned_users(pings[0]) == [kudos.members["bob"]] and "couldn't DM you" in pings[0].content
    assert len(shipped_dms(kudos, "alice")) == 1 and shipped_dms(kudos, "bob") == []
    mention = [j for j in await feedback_jobs(kudos) if j.event == "feedback.mention"]
    assert [j.dedupe_key for j in mention] == [f"feedback.mention:item:{row.id}:{kudos.members['bob']}"]


async def test_a_job_taken_over_after_a_crash_does_not_send_again(kudos: Harness) -> None:
    """A crash between the send and the bookkeeping leaves the job 'running' under a dead worker; once its
    claim is stale another worker takes it over. It finds its own message in the channel's recent history
    and does not send it twice (see cogs/feedback/notices.py)."""
    await report(kudos)
    row = await item(kudos)
    await kudos.member("bob").click(row.thread_id, label="Me too")
    await kudos.member("sam").slash("feedback status", status="shipped", item=row.id, version="4.0")
    assert len(shipped_dms(kudos, "alice")) == 1 and len(shipped_dms(kudos, "bob")) == 1
    lines_before = len(bot_messages(kudos, row.thread_id))
    assert kudos.bot is not None
    async with kudos.bot.db.begin() as conn:  # the state a crash right after the sends leaves behind
        await conn.execute(update(timers).where(timers.c.event.in_(["feedback.dm", "feedback.status_line"]))
                           .values(status="running", claimed_by="dead-worker", claimed_at=kudos.clock.now(),
                                   finished_at=None))
    await kudos.advance(timedelta(minutes=10))  # past the claim timeout (300 s)
    await kudos.settle()
    jobs = await feedback_jobs(kudos)
    assert all(j.status == "done" and j.attempts == 2 for j in jobs), [(j.dedupe_key, j.status) for j in jobs]
    assert len(shipped_dms(kudos, "alice")) == 1 and len(shipped_dms(kudos, "bob")) == 1
    assert len(bot_messages(kudos, row.thread_id)) == lines_before
