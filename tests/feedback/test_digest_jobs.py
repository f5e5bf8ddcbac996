"""The weekly feedback digest: the cron job writes one post job per guild (``feedback.digest_post``), each
retried and classified by the platform's one path (``bot.core.effect_errors.end_job``). On SQLite and
PostgreSQL, with Discord failing.

Discord's docs (docs/topics/Opcodes_and_Status_Codes.md): "5XX (SERVER ERROR) The server had an error
processing your request" (retried with back-off); JSON codes 10003 "Unknown channel" (dropped with an audit
line) and 50013 "You lack permissions to perform that action" (the staff log names the permission).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.platform.tables import audit_log
from bot.sandbox.harness import Harness
from tests.feedback.test_e2e import report
from tests.feedback.test_review import bot_config, review_message, world  # noqa: F401 - fixtures
from tests.feedback.test_review_jobs import MESSAGE_ROUTE, jobs, until_done

pytestmark = pytest.mark.usefixtures("quick_discord_retries")

EVENT = "feedback.digest_post"


def digests(h: Harness) -> list[Any]:
    return [m for m in h.emu.messages(h.channel_id("staff-log"))
            if m.embeds and m.embeds[0].get("title") == "Feedback this week"]


async def an_idea(kudos: Harness) -> None:
    await report(kudos, type_="idea", values={"Title": "Dark mode", "Details": "d"})
    await kudos.member("sam").click(review_message(kudos).id, label="Approve")
    await kudos.settle()


async def test_the_digest_survives_a_burst_of_500s_and_is_posted_once(kudos: Harness) -> None:
    await an_idea(kudos)
    outage = kudos.emu.faults.add(route=MESSAGE_ROUTE, status=500, count=7)
    await kudos.advance(timedelta(days=7, hours=1))
    assert outage.hits > 0 and digests(kudos) == []
    [job] = await jobs(kudos, EVENT)
    assert job.status == "pending" and job.dedupe_key.startswith(f"{EVENT}:{kudos.guild_id}:")
    await until_done(kudos, EVENT)
    [digest] = digests(kudos)
    fields = {f["name"]: f["value"] for f in digest.embeds[0]["fields"]}
    assert "Dark mode" in fields["Oldest without a staff answer (1)"]
    await kudos.advance(timedelta(days=1))
    assert len(digests(kudos)) == 1 and len(await jobs(kudos, EVENT)) == 1


async def test_a_staff_log_gone_at_discord_drops_the_digest_with_an_audit_line(kudos: Harness) -> None:
    await an_idea(kudos)
    kudos.emu.faults.add(route=MESSAGE_ROUTE, status=404, code=10003, count=1, message="Unknown Channel")
    await kudos.advance(timedelta(days=7, hours=1))
    [job] = await jobs(kudos, EVENT)
    assert job.status == "done" and job.attempts == 1
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        details = [r.details for r in await conn.execute(select(audit_log.c.details)
                                                         .where(audit_log.c.action == "job.dropped"))]
    assert [d["event"] for d in details] == [EVENT] and "10003" in details[0]["reason"]
    assert digests(kudos) == []


async def test_a_missing_permission_for_the_digest_is_named_in_the_staff_log(kudos: Harness) -> None:
    await an_idea(kudos)
    kudos.emu.faults.add(route=MESSAGE_ROUTE, status=403, code=50013, count=1)
    await kudos.advance(timedelta(days=7, hours=1))
    [job] = await jobs(kudos, EVENT)
    assert job.status == "failed" and job.attempts == 1  # not retried: a moderator has to act
    staff = "\n".join(m.content or "" for m in kudos.emu.messages(kudos.channel_id("staff-log")))
    assert "post the weekly feedback digest" in staff and "missing permissions" in staff, staff
    assert digests(kudos) == []
