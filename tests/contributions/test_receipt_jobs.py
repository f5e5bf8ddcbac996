"""Receipt DMs are durable jobs written with their credit: a Discord outage or a stopped bot delays them, never
loses or doubles them, and closed DMs end them with an audit line instead of retries (end to end through the
emulator, on both databases).

What the emulator answers follows Discord's ``developers/topics/opcodes-and-status-codes.mdx``: "5xx (SERVER
ERROR) | The server had an error processing your request (these are rare)." (retried); JSON codes "50007 |
Cannot send messages to this user" and "50278 | Cannot send messages to this user due to having no mutual
guilds" (the job is dropped: retrying cannot help).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.platform.tables import audit_log, timers
from bot.sandbox.harness import Harness, MemberSpec, WorldSpec

MESSAGES = "POST /channels/{channel_id}/messages"
RECEIPT = "contrib.receipt"


pytestmark = pytest.mark.usefixtures("quick_discord_retries")


@pytest.fixture
def world() -> WorldSpec:
    spec = WorldSpec.default()
    spec.members += [MemberSpec("shy", dms_open=False), MemberSpec("gone")]
    return spec


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {"ledger": {"receipts": "dm"}, "caps": {"thanks_pair_cooldown_hours": 0}}}}


async def receipt_jobs(h: Harness) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(timers).where(timers.c.event == RECEIPT).order_by(timers.c.id)))


async def drops(h: Harness) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(audit_log).where(audit_log.c.action == "job.dropped")))


def receipts(h: Harness, who: str) -> list[str]:
    return [m.content for m in h.member(who).dms() if "You earned kudos" in (m.content or "")]


async def until_delivered(h: Harness, rounds: int = 8) -> int:
    """Advance the clock past each back-off until no receipt job is pending; returns the rounds it took."""
    for n in range(rounds):
        if all(j.status != "pending" for j in await receipt_jobs(h)):
            return n
        await h.advance(timedelta(minutes=5))  # longer than the back-off steps used here (30, 60 s)
    raise AssertionError(f"still pending: {[(j.dedupe_key, j.attempts, j.last_error) for j in await receipt_jobs(h)]}")


async def test_a_receipt_survives_a_burst_of_500s_and_arrives_once(kudos: Harness) -> None:
    # discord.py tries each request five times: 12 errors fail the first two sends; the third goes through.
    outage = kudos.emu.faults.add(route=MESSAGES, status=500, count=12)
    inter = await kudos.member("alice").slash("thanks", member=kudos.members["bob"], reason="fixed my sync")
    assert "Thanks sent" in (inter.content or ""), inter.content
    assert receipts(kudos, "bob") == [] and outage.hits == 5
    [job] = await receipt_jobs(kudos)
    assert job.dedupe_key.startswith(f"contrib.receipt:{kudos.guild_id}:")
    assert job.status == "pending" and job.attempts == 1 and "500" in (job.last_error or "")

    rounds = await until_delivered(kudos)
    assert rounds == 2 and outage.count == 0
    assert len(receipts(kudos, "bob")) == 1 and "fixed my sync" in receipts(kudos, "bob")[0]
    [job] = await receipt_jobs(kudos)
    assert job.status == "done" and job.attempts == 3
    await kudos.advance(timedelta(hours=2))  # nothing more goes out later
    assert len(receipts(kudos, "bob")) == 1
    assert await drops(kudos) == []


async def test_a_receipt_written_before_the_bot_stopped_goes_out_after_the_restart(kudos: Harness) -> None:
    """The credit commits with its receipt job; the bot stops before it runs any job. The new process
    finds the job in the table and sends the receipt, once."""
    assert kudos.bot is not None
    await kudos.bot.scheduler.stop()  # the bot is going down: it runs no more jobs
    inter = await kudos.member("alice").slash("thanks", member=kudos.members["bob"], reason="restart the sync")
    assert "Thanks sent" in (inter.content or "")
    assert receipts(kudos, "bob") == []
    assert [(j.status, j.attempts) for j in await receipt_jobs(kudos)] == [("pending", 0)]

    await kudos.restart()
    await until_delivered(kudos)  # due at start, before the gateway sent the guild: one short back-off
    assert len(receipts(kudos, "bob")) == 1 and "restart the sync" in receipts(kudos, "bob")[0]
    await kudos.restart()
    await kudos.advance(timedelta(hours=1))
    assert len(receipts(kudos, "bob")) == 1
    assert [j.status for j in await receipt_jobs(kudos)] == ["done"]


async def test_a_receipt_taken_over_after_a_crash_is_not_sent_twice(kudos: Harness) -> None:
    """A crash between the send and the bookkeeping leaves the job 'running' under a dead worker; once its
    claim is stale another worker takes it over, finds the DM already in the channel and does not resend."""
    await kudos.member("alice").slash("thanks", member=kudos.members["bob"], reason="one receipt only")
    assert len(receipts(kudos, "bob")) == 1
    assert kudos.bot is not None
    async with kudos.bot.db.begin() as conn:  # the state a crash right after the send leaves behind
        await conn.execute(update(timers).where(timers.c.event == RECEIPT)
                           .values(status="running", claimed_by="dead-worker", claimed_at=kudos.clock.now(),
                                   finished_at=None))
    await kudos.advance(timedelta(minutes=10))  # past the claim timeout (300 s)
    assert [(j.status, j.attempts) for j in await receipt_jobs(kudos)] == [("done", 2)]
    assert len(receipts(kudos, "bob")) == 1


async def test_closed_dms_and_departed_members_end_the_job_with_an_audit_line(kudos: Harness) -> None:
    assert kudos.bot is not None
    public_before = {c: len(kudos.emu.messages(c)) for c in kudos.emu.state.channels}
    shy = await kudos.member("alice").slash("thanks", member=kudos.members["shy"], reason="closed dms")
    assert "Thanks sent" in (shy.content or "") and not shy.failed
    # "gone" is credited while still a member, and leaves before the bot gets to the receipt (50278)
    await kudos.bot.scheduler.stop()
    await kudos.member("alice").slash("thanks", member=kudos.members["gone"], reason="left")
    await kudos.member("gone").leave()
    await kudos.restart()
    await kudos.advance(timedelta(minutes=5))  # the job due at start waited for the guild once

    jobs = {j.payload["user_id"]: j for j in await receipt_jobs(kudos)}
    assert {u: (j.status, j.last_error) for u, j in jobs.items()} == {
        kudos.members["shy"]: ("done", None), kudos.members["gone"]: ("done", None)}
    assert jobs[kudos.members["shy"]].attempts == 1  # refused once, never retried
    reasons = {d.details["key"]: d.details["reason"] for d in await drops(kudos)}
    assert set(reasons) == {j.dedupe_key for j in jobs.values()}
    assert "50007" in reasons[jobs[kudos.members["shy"]].dedupe_key]
    assert "50278" in reasons[jobs[kudos.members["gone"]].dedupe_key]
    await kudos.advance(timedelta(hours=3))
    refused = [r for r in kudos.emu.request_log if r.key == MESSAGES and r.status == 403]
    assert len(refused) == 2  # one attempt each: no retries, no spam
    assert kudos.member("shy").dms() == [] and kudos.member("gone").dms() == []
    # and no public "couldn't DM you" instead: the member sees the entry in /profile
    assert {c: len(kudos.emu.messages(c)) for c in public_before} == public_before
