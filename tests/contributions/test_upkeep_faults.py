"""The auto-close of a solved post and the daily ring report are durable jobs ended through the platform's one
classification (``bot.core.effect_errors.end_job``). End to end through the emulator, on SQLite and PostgreSQL,
with Discord failing.

Discord's docs (docs/topics/Opcodes_and_Status_Codes.md): "5XX (SERVER ERROR) The server had an error
processing your request" (retried with back-off); JSON codes 10003 "Unknown channel" (dropped with an audit
line) and 50013 "You lack permissions to perform that action" (the staff log names the permission).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.platform.tables import audit_log, timers
from bot.sandbox.harness import Harness
from tests.contributions._helpers import post_with_reply

EDIT_CHANNEL = "PATCH /channels/{channel_id}"
GET_CHANNEL = "GET /channels/{channel_id}"
MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"

pytestmark = pytest.mark.usefixtures("quick_discord_retries")


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {"solutions": {"close_after_hours": 1},
                                   "ledger": {"ring_min_exchanges": 4},
                                   "caps": {"thanks_pair_cooldown_hours": 0, "thanks_given_per_day": 10,
                                            "thanks_received_from_same_giver_per_week": 10}}}}


async def jobs(h: Harness, event: str) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(timers).where(timers.c.event == event).order_by(timers.c.id)))


async def dropped(h: Harness) -> list[dict[str, Any]]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return [r.details for r in await conn.execute(select(audit_log.c.details)
                                                      .where(audit_log.c.action == "job.dropped"))]


def staff_log(h: Harness) -> list[Any]:
    return [m for m in h.emu.messages(h.channel_id("staff-log")) if m.author_id == h.emu.bot_user_id]


async def solved(kudos: Harness) -> Any:
    thread, reply = await post_with_reply(kudos, "alice", "bob")
    inter = await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    assert not inter.failed
    await kudos.settle()
    return thread


async def until_done(h: Harness, event: str, rounds: int = 8) -> None:
    for _ in range(rounds):
        if all(j.status != "pending" for j in await jobs(h, event)):
            return
        await h.advance(timedelta(minutes=5))  # longer than each back-off step (30, 60, 120 s)
    raise AssertionError(f"still pending: {[(j.attempts, j.last_error) for j in await jobs(h, event)]}")


# ------------------------------------------------------------------ the auto-close (archive) of a solved post

async def test_the_close_survives_a_burst_of_500s_and_closes_the_post(kudos: Harness) -> None:
    thread = await solved(kudos)
    outage = kudos.emu.faults.add(route=EDIT_CHANNEL, status=500, count=7)
    await kudos.advance(timedelta(hours=1, minutes=1))
    assert outage.hits > 0 and kudos.emu.state.channels[thread.id].archived is False  # Discord is down
    [job] = await jobs(kudos, "contrib_close_solved")
    assert job.status == "pending" and "500" in (job.last_error or "")
    await until_done(kudos, "contrib_close_solved")
    assert outage.count == 0 and kudos.emu.state.channels[thread.id].archived is True
    [job] = await jobs(kudos, "contrib_close_solved")
    assert job.status == "done"


async def test_a_post_gone_at_discord_drops_the_close_with_an_audit_line(kudos: Harness) -> None:
    await solved(kudos)
    kudos.emu.faults.add(route=GET_CHANNEL, status=404, code=10003, count=1, message="Unknown Channel")
    await kudos.advance(timedelta(hours=1, minutes=1))
    [job] = await jobs(kudos, "contrib_close_solved")
    assert job.status == "done" and job.attempts == 1
    [line] = [d for d in await dropped(kudos) if d["event"] == "contrib_close_solved"]
    assert "10003" in line["reason"] and "close the solved post" in line["reason"]


async def test_a_missing_manage_threads_for_the_close_is_named_in_the_staff_log(kudos: Harness) -> None:
    thread = await solved(kudos)
    kudos.emu.faults.add(route=EDIT_CHANNEL, status=403, code=50013, count=1)
    await kudos.advance(timedelta(hours=1, minutes=1))
    [job] = await jobs(kudos, "contrib_close_solved")
    assert job.status == "failed" and job.attempts == 1  # not retried: a moderator has to act
    staff = "\n".join(m.content or "" for m in staff_log(kudos))
    assert f"close the solved post {thread.id}" in staff and "Manage Threads" in staff, staff
    assert kudos.emu.state.channels[thread.id].archived is False


# ------------------------------------------------------------------ the daily reciprocal-ring report

async def ring(kudos: Harness) -> None:
    """alice and bob thank each other, three times each way (a reciprocal ring)."""
    assert kudos.bot is not None
    ledger = kudos.bot.app.contributions.ledger
    a, b = kudos.members["alice"], kudos.members["bob"]
    for n in range(3):
        await ledger.credit(kudos.guild_id, b, "thanks", source_key=f"thanks:{a}:{n}", actor_id=a, reason="ty")
        await ledger.credit(kudos.guild_id, a, "thanks", source_key=f"thanks:{b}:{n}", actor_id=b, reason="ty")


def ring_reports(h: Harness) -> list[Any]:
    return [m for m in staff_log(h) if m.embeds and m.embeds[0].get("title") == "Possible reciprocal kudos"]


async def test_the_ring_report_survives_a_burst_of_500s_and_is_posted_once(kudos: Harness) -> None:
    await ring(kudos)
    outage = kudos.emu.faults.add(route=MESSAGE_ROUTE, status=500, count=7)
    await kudos.advance(timedelta(days=1))
    assert outage.hits > 0 and ring_reports(kudos) == []
    [job] = await jobs(kudos, "contrib_ring_report")
    assert job.status == "pending" and job.dedupe_key.startswith(f"contrib-ring-report:{kudos.guild_id}:")
    await until_done(kudos, "contrib_ring_report")
    [report] = ring_reports(kudos)
    alice, bob = kudos.members["alice"], kudos.members["bob"]
    assert f"<@{alice}> → <@{bob}>: 3" in report.embeds[0]["description"]
    await kudos.advance(timedelta(days=1))  # the next sweep: the ring was reported this week
    assert len(ring_reports(kudos)) == 1


async def test_a_staff_log_gone_at_discord_drops_the_ring_report_with_an_audit_line(kudos: Harness) -> None:
    await ring(kudos)
    kudos.emu.faults.add(route=MESSAGE_ROUTE, status=404, code=10003, count=1, message="Unknown Channel")
    await kudos.advance(timedelta(days=1))
    [job] = await jobs(kudos, "contrib_ring_report")
    assert job.status == "done" and job.attempts == 1
    [line] = [d for d in await dropped(kudos) if d["event"] == "contrib_ring_report"]
    assert "10003" in line["reason"]
    assert ring_reports(kudos) == []


async def test_a_missing_permission_for_the_ring_report_is_named(kudos: Harness) -> None:
    await ring(kudos)
    kudos.emu.faults.add(route=MESSAGE_ROUTE, status=403, code=50013, count=1)
    await kudos.advance(timedelta(days=1))
    [job] = await jobs(kudos, "contrib_ring_report")
    assert job.status == "failed" and job.attempts == 1
    staff = "\n".join(m.content or "" for m in staff_log(kudos))
    assert "post the reciprocal-kudos report" in staff and "missing permissions" in staff, staff
    assert ring_reports(kudos) == []
