"""The beta announcement's refresh edit is a durable job: written with the join or leave that changed the
count, one pending per announcement (later clicks ride on it), retried by error class. End to end through
the emulator.

Discord's docs (docs/topics/Opcodes_and_Status_Codes.md, "HTTP Response Codes"): "5XX (SERVER ERROR) The
server had an error processing your request (these are rare)" — a transient failure, so the edit is retried
with back-off, not given up.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.betas.tables import betas
from bot.platform.tables import timers
from bot.sandbox.harness import Harness
from tests.betas.test_e2e import announcement, bot_config, create, field, world  # noqa: F401 - fixtures

EDIT_ROUTE = "PATCH /channels/{channel_id}/messages/{message_id}"


pytestmark = pytest.mark.usefixtures("quick_discord_retries")


async def refresh_jobs(h: Harness) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        rows = await conn.execute(select(timers).where(timers.c.event == "betas.refresh").order_by(timers.c.id))
        return list(rows)


def edits_of(h: Harness, message_id: int) -> int:
    """Edits of the message Discord accepted."""
    return sum(1 for r in h.emu.request_log if r.method == "PATCH" and r.path.endswith(f"/messages/{message_id}")
               and r.status == 200)


async def until_done(h: Harness, rounds: int = 8) -> int:
    """Advance the clock past each back-off until no refresh job is pending; returns the rounds it took."""
    for n in range(rounds):
        if all(j.status != "pending" for j in await refresh_jobs(h)):
            return n
        await h.advance(timedelta(minutes=5))  # longer than any back-off step used here (30, 60, 120 s)
    raise AssertionError(f"still pending: {[(j.dedupe_key, j.attempts, j.last_error) for j in await refresh_jobs(h)]}")


async def test_the_spots_edit_survives_a_burst_of_500s_and_arrives_once(kudos: Harness) -> None:
    await create(kudos, capacity=10)
    post = announcement(kudos)
    accepted = edits_of(kudos, post.id)
    outage = kudos.emu.faults.add(route=EDIT_ROUTE, status=500, count=15)

    joined = await kudos.member("alice").click(post.id, label="Join")
    await asyncio.sleep(0.4)  # past betas.announcement_debounce_seconds
    await kudos.settle()

    assert "You're in" in (joined.content or "")
    assert outage.hits > 0 and outage.count > 0  # Discord is still down: the edit did not go out yet
    assert "**10** of 10 spots left" in field(kudos.emu.message(post.id), "Spots")
    jobs = await refresh_jobs(kudos)
    assert [(j.status, j.attempts) for j in jobs] == [("pending", 1)] and "500" in (jobs[0].last_error or "")

    rounds = await until_done(kudos)
    assert outage.count == 0 and rounds >= 2
    assert "**9** of 10 spots left" in field(kudos.emu.message(post.id), "Spots")
    assert [j.status for j in await refresh_jobs(kudos)] == ["done"]
    assert edits_of(kudos, post.id) - accepted == 1
    await kudos.advance(timedelta(hours=1))  # nothing more goes out later
    assert edits_of(kudos, post.id) - accepted == 1


async def test_thirty_clicks_during_an_outage_ride_on_one_edit(kudos: Harness) -> None:
    """Each join and leave is its own transaction; the first writes the edit job, and while it waits out its
    back-off every later click finds it pending and writes none (nor tries Discord again before its time)."""
    await create(kudos, capacity=30)
    post = announcement(kudos)
    accepted = edits_of(kudos, post.id)
    outage = kudos.emu.faults.add(route=EDIT_ROUTE, status=500, count=10_000)
    clickers = [kudos.member(f"m{i:02d}") for i in range(15)]
    for member in clickers:
        assert "You're in" in ((await member.click(post.id, label="Join")).content or "")
    for member in clickers:
        assert "left" in ((await member.click(post.id, label="Leave")).content or "")
    await asyncio.sleep(0.4)
    await kudos.settle()
    tried = outage.hits
    assert tried <= 10  # one try of the edit (discord.py's own retries included), not one per click
    jobs = await refresh_jobs(kudos)
    assert [j.status for j in jobs] == ["pending"], [(j.status, j.attempts) for j in jobs]

    kudos.emu.faults.clear()  # Discord is back
    await until_done(kudos)
    assert edits_of(kudos, post.id) - accepted == 1  # 30 clicks, one edit
    assert "**30** of 30 spots left" in field(kudos.emu.message(post.id), "Spots")
    assert len(await refresh_jobs(kudos)) == 1


async def test_a_burst_of_thirty_join_and_leave_clicks_is_a_few_edits(kudos: Harness) -> None:
    await create(kudos, capacity=30)
    post = announcement(kudos)
    accepted = edits_of(kudos, post.id)
    members = [kudos.member(f"m{i:02d}") for i in range(15)]
    await asyncio.gather(*(m.click(post.id, label="Join") for m in members))
    await asyncio.gather(*(m.click(post.id, label="Leave") for m in members))
    await asyncio.sleep(0.4)
    await kudos.settle()
    assert 1 <= edits_of(kudos, post.id) - accepted <= 4  # 30 clicks
    assert len(await refresh_jobs(kudos)) <= 4
    assert "**30** of 30 spots left" in field(kudos.emu.message(post.id), "Spots")


async def test_the_announcement_post_survives_a_burst_of_500s_and_goes_out_once(kudos: Harness) -> None:
    outage = kudos.emu.faults.add(route="POST /channels/{channel_id}/messages", status=500, count=15)
    done = await create(kudos, capacity=10)
    assert done.ephemeral and not done.failed, done.content
    assert "is created" in (done.content or "") and "Discord isn't answering" in (done.content or ""), done.content
    assert outage.hits > 0
    assert not [m for m in kudos.emu.messages(kudos.channel_id("announcements")) if m.embeds]
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        jobs = list(await conn.execute(select(timers).where(timers.c.event == "betas.announce")))
    assert [(j.status, j.attempts) for j in jobs] == [("pending", 1)]
    for _ in range(8):
        await kudos.advance(timedelta(minutes=5))
        if outage.count == 0 and [m for m in kudos.emu.messages(kudos.channel_id("announcements")) if m.embeds]:
            break
    post = announcement(kudos)
    assert "**10** of 10 spots left" in field(post, "Spots")
    assert len([m for m in kudos.emu.messages(kudos.channel_id("announcements")) if m.embeds]) == 1  # once
    joined = await kudos.member("alice").click(post.id, label="Join")  # the beta opened with its post
    assert "You're in" in (joined.content or ""), joined.content


async def test_the_welcome_of_a_promoted_member_survives_a_burst_of_500s(kudos: Harness) -> None:
    await create(kudos, capacity=1)
    post = announcement(kudos)
    await kudos.member("alice").click(post.id, label="Join")
    waiting = await kudos.member("bob").click(post.id, label="Join")
    assert "waitlist" in (waiting.content or "")
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        (thread_id,) = (await conn.execute(select(betas.c.thread_id))).one()
    outage = kudos.emu.faults.add(route="POST /channels/{channel_id}/messages", status=500, count=10)
    await kudos.member("alice").click(post.id, label="Leave")
    assert outage.hits > 0
    for _ in range(8):
        await kudos.advance(timedelta(minutes=5))
    pings = [m for m in kudos.emu.messages(thread_id) if "spot opened up" in (m.content or "")]
    assert len(pings) == 1, [m.content for m in kudos.emu.messages(thread_id)]
    assert pings[0].content.startswith(f"<@{kudos.members['bob']}>")
    assert [int(u) for u in pings[0].allowed_mentions["users"]] == [kudos.members["bob"]]
    async with kudos.bot.db.connect() as conn:
        jobs = list(await conn.execute(select(timers).where(timers.c.event == "betas.welcome")))
    assert [j.status for j in jobs] == ["done"] and jobs[0].attempts >= 2


async def test_an_edit_of_a_deleted_announcement_is_dropped_with_an_audit_line(kudos: Harness) -> None:
    """Discord's docs (docs/topics/Opcodes_and_Status_Codes.md, JSON error codes): 10008 "Unknown message":
    the target is gone, so the edit is not retried; the audit log says what was dropped."""
    from bot.emulator.world_messages import delete_message_model
    from bot.platform.tables import audit_log

    await create(kudos, capacity=10)
    post = announcement(kudos)
    await delete_message_model(kudos.emu, kudos.emu.message(post.id))
    await kudos.settle()
    done = await kudos.member("sam").slash("beta edit", name="Photos v2", capacity=20)
    assert "Updated" in (done.content or "") and not done.failed, done.content
    (job,) = await refresh_jobs(kudos)
    assert job.status == "done" and job.attempts == 1
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        dropped = list(await conn.execute(select(audit_log).where(audit_log.c.action == "job.dropped",
                                                                  audit_log.c.target_id == job.id)))
    assert len(dropped) == 1 and "10008" in dropped[0].details["reason"], dropped


async def test_an_edit_refused_for_a_missing_permission_is_told_to_the_staff_log(kudos: Harness) -> None:
    """Discord's docs (JSON error codes): 50013 "You lack permissions to perform that action": retrying can't
    help, so the job fails at once and the staff log names what is missing."""
    await create(kudos, capacity=10)
    kudos.emu.faults.add(route=EDIT_ROUTE, status=403, code=50013, count=1)
    await kudos.member("sam").slash("beta edit", name="Photos v2", capacity=20)
    (job,) = await refresh_jobs(kudos)
    assert job.status == "failed" and job.attempts == 1
    staff_log = [m.content or "" for m in kudos.emu.messages(kudos.channel_id("staff-log"))]
    assert any("update the announcement of the Photos v2 beta" in line and "missing permissions" in line
               for line in staff_log), staff_log


async def test_the_welcome_reopens_an_archived_discussion_thread(kudos: Harness) -> None:
    """threads.mdx: a thread archives after ``auto_archive_duration`` minutes without activity, and sending in
    an archived thread is refused (50083); the bot owns the discussion thread, so it may reopen it."""
    await create(kudos, capacity=1)
    post = announcement(kudos)
    await kudos.member("alice").click(post.id, label="Join")
    await kudos.member("bob").click(post.id, label="Join")
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        (thread_id,) = (await conn.execute(select(betas.c.thread_id))).one()
    archived = await kudos.emu.advance(days=8)  # longer than the thread's auto_archive_duration (one week)
    assert thread_id in {t.id for t in archived}
    await kudos.member("alice").click(post.id, label="Leave")
    pings = [m for m in kudos.emu.messages(thread_id) if "spot opened up" in (m.content or "")]
    assert len(pings) == 1 and pings[0].content.startswith(f"<@{kudos.members['bob']}>")
    assert not kudos.emu.state.channels[thread_id].archived
    async with kudos.bot.db.connect() as conn:
        jobs = list(await conn.execute(select(timers).where(timers.c.event == "betas.welcome")))
    assert [(j.status, j.attempts) for j in jobs] == [("done", 1)]
