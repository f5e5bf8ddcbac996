"""``/announce post`` goes out through a durable job (``announce.post``), written with the post's slot and
due now or at the chosen time: a Discord outage delays the post, never loses or doubles it; a missing
permission is told to the staff log. End to end through the emulator.

Discord's docs (docs/topics/Opcodes_and_Status_Codes.md, "HTTP Response Codes"): "5XX (SERVER ERROR) The
server had an error processing your request (these are rare)"; JSON error code 50013 "You lack permissions to
perform that action".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.announcements.tables import announcements
from bot.platform.tables import timers
from bot.sandbox.harness import Harness
from tests.announcements.test_e2e import announce, pings, posts, rows, world  # noqa: F401 - fixture

MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"


pytestmark = pytest.mark.usefixtures("quick_discord_retries")


async def post_jobs(h: Harness) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(timers).where(timers.c.event == "announce.post").order_by(timers.c.id)))


async def until_done(h: Harness, rounds: int = 8) -> int:
    for n in range(rounds):
        if all(j.status != "pending" for j in await post_jobs(h)):
            return n
        await h.advance(timedelta(minutes=5))  # longer than any back-off step used here (30, 60, 120 s)
    raise AssertionError(f"still pending: {[(j.dedupe_key, j.attempts, j.last_error) for j in await post_jobs(h)]}")


async def test_a_post_during_an_outage_goes_out_once_discord_answers(kudos: Harness) -> None:
    outage = kudos.emu.faults.add(route=MESSAGE_ROUTE, status=500, count=15)
    done = await announce(kudos)
    assert done.ephemeral and not done.failed and "Discord isn't answering" in (done.content or ""), done.content
    assert outage.hits > 0 and posts(kudos) == []
    (row,) = await rows(kudos, announcements)
    assert row.status == "scheduled"
    (job,) = await post_jobs(kudos)
    assert job.status == "pending" and job.attempts == 1 and "500" in (job.last_error or "")

    rounds = await until_done(kudos)
    assert outage.count == 0 and rounds >= 2
    (post,) = posts(kudos)  # once
    assert post.embeds[0]["title"] == "Dark mode" and post.embeds[0]["description"] == "Dark mode is here."
    (row,) = await rows(kudos, announcements)
    assert row.status == "posted" and row.message_id == post.id and row.thread_id == post.id
    assert [j.status for j in await post_jobs(kudos)] == ["done"]
    await kudos.advance(timedelta(hours=1))
    assert len(posts(kudos)) == 1


async def test_a_scheduled_post_survives_an_outage_at_its_time(kudos: Harness) -> None:
    done = await announce(kudos, text="Coming soon", title="Teaser", at="2h")
    assert "goes out" in (done.content or "")
    outage = kudos.emu.faults.add(route=MESSAGE_ROUTE, status=500, count=10)
    await kudos.advance(timedelta(hours=2, minutes=1))
    assert posts(kudos) == [] and outage.hits > 0
    (row,) = await rows(kudos, announcements)
    assert row.status == "scheduled"  # not given up on
    await until_done(kudos)
    (post,) = posts(kudos)
    assert post.embeds[0]["title"] == "Teaser"
    assert (await rows(kudos, announcements))[0].status == "posted"


async def test_a_missing_permission_is_told_to_the_staff_log(kudos: Harness) -> None:
    done = await announce(kudos, text="Coming soon", title="Teaser", at="1h")
    assert "goes out" in (done.content or "")
    kudos.emu.faults.add(route=MESSAGE_ROUTE, status=403, code=50013, count=1)
    await kudos.advance(timedelta(hours=1, minutes=1))
    assert posts(kudos) == []
    (row,) = await rows(kudos, announcements)
    assert row.status == "failed"
    (job,) = await post_jobs(kudos)
    assert job.status == "failed" and job.attempts == 1  # not retried: retrying can't help
    staff_log = [m.content or "" for m in kudos.emu.messages(kudos.channel_id("staff-log"))]
    assert any("missing permissions" in line and "announcement #" in line for line in staff_log), staff_log


async def test_a_changes_post_during_an_outage_goes_out_once_with_its_mentions(kudos: Harness) -> None:
    """The "what we changed because of you" post is a durable job too (``announce.changes``, written with its
    slot): *Post it* during an outage saves it, and it goes out once, mentioning exactly its members, when
    Discord answers. A feedback title in it is member text, escaped like every echo."""
    from bot.betas.tables import betas
    from bot.feedback.tables import feedback

    sam = kudos.member("sam")
    opened = await sam.slash("beta create", name="Photos v2")
    await sam.submit_modal(opened, {"Description": "Try it"})
    (beta,) = await rows(kudos, betas)
    alice = kudos.members["alice"]
    now = kudos.clock.now()
    assert kudos.bot is not None
    async with kudos.bot.db.begin() as conn:
        await conn.execute(feedback.insert().values(
            guild_id=kudos.guild_id, beta_id=beta.id, reporter_id=alice, type="idea",
            title="x](https://evil.example/phish) [y", status="shipped", created_at=now, updated_at=now))
    await sam.slash("beta close", name="Photos v2")
    preview = await sam.slash("announce changes", beta="Photos v2")
    before = len(posts(kudos))
    outage = kudos.emu.faults.add(route=MESSAGE_ROUTE, status=500, count=15)
    done = await sam.click(preview.message.id, label="Post it")
    assert "Discord isn't answering" in (done.content or ""), done.content
    assert outage.hits > 0 and len(posts(kudos)) == before
    for _ in range(8):
        if len(posts(kudos)) > before and outage.count == 0:
            break
        await kudos.advance(timedelta(minutes=5))
    assert outage.count == 0
    changes = [p for p in posts(kudos)[before:] if "what we changed" in (p.embeds[0]["description"] or "").lower()]
    (post,) = changes  # once
    assert post.content == f"<@{alice}>" and pings(post) == {"parse": [], "users": [alice]}
    assert "](https://evil.example" not in post.embeds[0]["description"], post.embeds[0]["description"]
    async with kudos.bot.db.connect() as conn:
        statuses = [j.status for j in await conn.execute(select(timers).where(timers.c.event == "announce.changes"))]
    assert statuses == ["done"]
    again = await sam.click(preview.message.id, label="Post it")
    assert "out already" in (again.content or "")
