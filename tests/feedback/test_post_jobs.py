"""The forum post of ``/feedback new`` is a durable job written with the draft (``feedback.open_post:<item>``).
End to end through the emulator, on SQLite and PostgreSQL, with Discord failing.

Discord's docs (docs/topics/Opcodes_and_Status_Codes.md): "5XX (SERVER ERROR) The server had an error
processing your request" (retried with back-off); JSON codes 10003 "Unknown channel" (dropped with an audit
line, the reporter told) and 50013 "You lack permissions to perform that action" (the staff log names the
permission).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.feedback.tables import feedback
from bot.platform.tables import audit_log
from bot.sandbox.harness import Harness
from cogs.feedback import posting
from tests.feedback.test_e2e import credits, item, report
from tests.feedback.test_review_jobs import jobs, until_done

THREAD_ROUTE = "POST /channels/{channel_id}/threads"

pytestmark = pytest.mark.usefixtures("quick_discord_retries")


def posts(h: Harness) -> list[Any]:
    forum = h.channel_id("feedback")
    return [c for c in h.emu.state.channels.values() if c.parent_id == forum]


async def items(h: Harness) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(feedback)))


async def dropped(h: Harness) -> list[dict[str, Any]]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return [r.details for r in await conn.execute(
            select(audit_log.c.details).where(audit_log.c.action == "job.dropped"))]


async def test_a_burst_of_500s_ends_with_one_post_and_the_report_published_once(kudos: Harness) -> None:
    outage = kudos.emu.faults.add(route=THREAD_ROUTE, status=500, count=12)
    done = await report(kudos)
    text = done.content or ""
    assert "Thanks! Your feedback #1 is recorded" in text and "on its way" in text, text
    row = await item(kudos)
    assert row.thread_id is None and posts(kudos) == [] and outage.hits > 0  # kept as a draft, with its job
    [job] = await jobs(kudos, "feedback.open_post")
    assert job.status == "pending" and job.dedupe_key == f"feedback.open_post:{row.id}" and "500" in job.last_error

    rounds = await until_done(kudos, "feedback.open_post")
    assert rounds >= 1 and outage.count == 0
    [thread] = posts(kudos)
    assert (await item(kudos)).thread_id == thread.id
    assert (await credits(kudos, "alice"))["feedback_given"][1] == 1  # published (credited) once
    await kudos.advance(timedelta(hours=1))
    assert len(posts(kudos)) == 1


async def test_a_quick_post_answers_with_its_link(kudos: Harness) -> None:
    done = await report(kudos)
    row = await item(kudos)
    assert row.thread_id is not None
    assert done.content == f"Thanks! Your feedback is posted: <#{row.thread_id}>", done.content
    [job] = await jobs(kudos, "feedback.open_post")
    assert job.status == "done" and job.attempts == 1


async def test_a_slow_post_is_on_its_way_and_lands_once(kudos: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    # the module the bot loaded (loading an extension imports it afresh)
    monkeypatch.setattr(sys.modules[posting.__name__], "WAIT_SECONDS", 0.2)
    kudos.emu.faults.slow(THREAD_ROUTE, 1.0)  # real seconds: longer than the interaction waits
    done = await report(kudos)
    text = done.content or ""
    assert "is recorded; its post in <#" in text and "you'll be mentioned there" in text, text
    await asyncio.sleep(1.2)
    await kudos.settle()
    [thread] = posts(kudos)
    assert (await item(kudos)).thread_id == thread.id


async def test_a_forum_gone_at_discord_drops_the_post_and_tells_the_reporter(kudos: Harness) -> None:
    kudos.emu.faults.add(route=THREAD_ROUTE, status=404, code=10003, count=1, message="Unknown Channel")
    done = await report(kudos)
    assert "couldn't be posted" in (done.content or "") and "by DM" in (done.content or ""), done.content
    await kudos.settle()
    [job] = await jobs(kudos, "feedback.open_post")
    assert job.status == "done" and job.attempts == 1
    [details] = await dropped(kudos)
    assert details["event"] == "feedback.open_post" and "10003" in details["reason"]
    assert posts(kudos) == [] and await items(kudos) == []  # nothing half-written: the draft went
    [dm] = [m for m in kudos.member("alice").dms() if "couldn't post your feedback" in m.content]
    assert "Crash when saving" in dm.content and "The app closes" in dm.content  # with their text: nothing lost
    # The DM says the team has been told: the staff log names the report, its reporter and Discord's reason.
    [line] = [m for m in kudos.emu.messages(kudos.channel_id("staff-log")) if "could not be posted" in (m.content or "")]
    assert "Feedback #1" in line.content and "Crash when saving" in line.content and "10003" in line.content
    assert f"<@{kudos.member('alice').id}>" in line.content and line.allowed_mentions == {"parse": []}, line
    await kudos.advance(timedelta(hours=1))
    assert len(kudos.member("alice").dms()) == 1
    assert len([m for m in kudos.emu.messages(kudos.channel_id("staff-log"))
                if "could not be posted" in (m.content or "")]) == 1


async def test_a_missing_permission_for_the_post_is_named_in_the_staff_log(kudos: Harness) -> None:
    kudos.emu.faults.add(route=THREAD_ROUTE, status=403, code=50013, count=1)
    done = await report(kudos)
    assert "couldn't be posted" in (done.content or ""), done.content
    await kudos.settle()
    [job] = await jobs(kudos, "feedback.open_post")
    assert job.status == "failed" and job.attempts == 1  # not retried: a moderator has to act
    staff = "\n".join(m.content or "" for m in kudos.emu.messages(kudos.channel_id("staff-log")))
    assert "open the forum post of feedback #1" in staff and "missing permissions" in staff, staff
    assert "Send Messages" in staff, staff
    assert posts(kudos) == [] and await items(kudos) == []
    assert [m for m in kudos.member("alice").dms() if "couldn't post your feedback" in m.content]


async def test_a_rerun_after_a_crash_between_post_and_publish_finds_the_post(
        kudos: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    assert kudos.bot is not None
    service = kudos.bot.app.feedback
    real = service.publish
    calls: list[int] = []

    async def crash_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the worker died after Discord made the post")
        return await real(*args, **kwargs)

    monkeypatch.setattr(service, "publish", crash_once)
    done = await report(kudos)
    assert "on its way" in (done.content or ""), done.content
    [first] = posts(kudos)  # Discord has the post; the item doesn't know it yet
    assert (await item(kudos)).thread_id is None

    await until_done(kudos, "feedback.open_post")
    assert len(calls) == 2
    assert [p.id for p in posts(kudos)] == [first.id]  # found, not posted again
    row = await item(kudos)
    assert row.thread_id == first.id and row.status_message_id == first.id
    assert (await credits(kudos, "alice"))["feedback_given"][1] == 1
