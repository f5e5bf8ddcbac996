"""The discussion thread of a beta announcement: when the post job cannot open it, the post stands and the
``betas.thread`` job (written with the post) opens it, retried and classified by the platform's one path
(``bot.core.effect_errors.end_job``), once: a retry finds a thread opened before. On SQLite and PostgreSQL.

Discord's docs (docs/resources/Channel.md, "Start Thread from Message": "The id of the created thread will be
the same as the id of the source message"; docs/topics/Opcodes_and_Status_Codes.md: 5XX retried, 10003
"Unknown channel" dropped with an audit line, 50013 "You lack permissions to perform that action" named in
the staff log).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.betas.tables import betas
from bot.platform.tables import audit_log, timers
from bot.sandbox.harness import Harness
from tests.betas.test_e2e import announcement, bot_config, create, world  # noqa: F401 - fixtures

THREAD_ROUTE = "POST /channels/{channel_id}/messages/{message_id}/threads"
INTRO = "Questions and first impressions of **Photos v2** go here"

pytestmark = pytest.mark.usefixtures("quick_discord_retries")


async def jobs(h: Harness, event: str) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(timers).where(timers.c.event == event).order_by(timers.c.id)))


async def beta_row(h: Harness) -> Any:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return (await conn.execute(select(betas))).one()


async def until_done(h: Harness, event: str, rounds: int = 8) -> None:
    for _ in range(rounds):
        if all(j.status != "pending" for j in await jobs(h, event)):
            return
        await h.advance(timedelta(minutes=5))  # longer than each back-off step
    raise AssertionError(f"still pending: {[(j.attempts, j.last_error) for j in await jobs(h, event)]}")


def threads(h: Harness) -> list[Any]:
    return h.emu.threads(h.channel_id("announcements"))


async def test_a_burst_of_500s_on_the_thread_leaves_the_post_and_the_thread_job_opens_it_once(
        kudos: Harness) -> None:
    # discord.py tries each call 5 times: the post job's try and the thread job's first one fail
    outage = kudos.emu.faults.add(route=THREAD_ROUTE, status=500, count=12)
    done = await create(kudos, capacity=10)
    assert "is announced" in (done.content or ""), done.content  # the post stands
    post = announcement(kudos)
    row = await beta_row(kudos)
    assert row.status == "open" and row.announcement_message_id == post.id and row.thread_id is None
    assert outage.hits > 0 and threads(kudos) == []
    [job] = await jobs(kudos, "betas.thread")
    assert job.dedupe_key.startswith("betas.thread:")
    await until_done(kudos, "betas.thread")
    assert outage.count == 0
    [thread] = threads(kudos)
    assert thread.id == post.id and (await beta_row(kudos)).thread_id == thread.id
    intros = [m for m in kudos.emu.messages(thread.id) if INTRO in (m.content or "")]
    assert len(intros) == 1
    [job] = await jobs(kudos, "betas.thread")
    assert job.status == "done"


async def test_a_thread_opened_before_is_found_and_not_opened_again(kudos: Harness) -> None:
    """The thread went up but the post job did not hear it (a 500 on its opening line): the job finds the
    thread by the message's id and sends the opening line once."""
    kudos.emu.faults.add(route=THREAD_ROUTE, status=500, count=10)  # the post job's try and the job's first one
    await create(kudos, capacity=10)
    post = announcement(kudos)
    assert threads(kudos) == []
    assert kudos.bot is not None
    # a moderator (or a lost answer) opened the thread meanwhile: the job must not try to open another
    channel = kudos.bot.get_channel(kudos.channel_id("announcements"))
    await channel.get_partial_message(post.id).create_thread(name="Photos v2 · discussion")  # type: ignore[union-attr]
    await until_done(kudos, "betas.thread")
    [thread] = threads(kudos)
    assert (await beta_row(kudos)).thread_id == thread.id == post.id
    assert len([m for m in kudos.emu.messages(thread.id) if INTRO in (m.content or "")]) == 1
    refused = [r for r in kudos.emu.request_log if r.method == "POST" and r.path.endswith("/threads")
               and r.status >= 400 and r.status != 500]
    assert refused == []  # no second "create thread" Discord would refuse


async def test_an_announcement_channel_gone_drops_the_thread_job_with_an_audit_line(kudos: Harness) -> None:
    kudos.emu.faults.add(route=THREAD_ROUTE, status=404, code=10003, count=2, message="Unknown Channel")
    await create(kudos, capacity=10)
    [job] = await jobs(kudos, "betas.thread")
    await until_done(kudos, "betas.thread")
    [job] = await jobs(kudos, "betas.thread")
    assert job.status == "done" and job.attempts == 1
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        details = [r.details for r in await conn.execute(select(audit_log.c.details)
                                                         .where(audit_log.c.action == "job.dropped"))]
    assert [d["event"] for d in details] == ["betas.thread"] and "10003" in details[0]["reason"]
    assert (await beta_row(kudos)).thread_id is None


async def test_a_missing_permission_for_the_thread_is_named_in_the_staff_log(kudos: Harness) -> None:
    kudos.emu.faults.add(route=THREAD_ROUTE, status=403, code=50013, count=2)
    await create(kudos, capacity=10)
    await until_done(kudos, "betas.thread")
    [job] = await jobs(kudos, "betas.thread")
    assert job.status == "failed" and job.attempts == 1  # not retried: a moderator has to act
    staff = "\n".join(m.content or "" for m in kudos.emu.messages(kudos.channel_id("staff-log")))
    assert "open the discussion thread of the Photos v2 beta" in staff and "missing permissions" in staff, staff
    assert threads(kudos) == []
