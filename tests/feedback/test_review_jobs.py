"""The review queue's cards are durable jobs written with their cause: the card of a held report (with the
report's transaction) and a rejection's outcome on it (with the rejection's). End to end through the
emulator, on SQLite and PostgreSQL, with Discord failing.

Discord's docs (docs/topics/Opcodes_and_Status_Codes.md): "5XX (SERVER ERROR) The server had an error
processing your request" (retried with back-off); JSON codes 10003 "Unknown channel" (dropped with an audit
line) and 50013 "You lack permissions to perform that action" (the staff log names the permission).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.feedback.tables import feedback
from bot.platform.tables import audit_log, timers
from bot.sandbox.harness import Harness
from tests.feedback.test_e2e import item, report
from tests.feedback.test_review import bot_config, world  # noqa: F401 - fixtures

MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"
EDIT_ROUTE = "PATCH /channels/{channel_id}/messages/{message_id}"

pytestmark = pytest.mark.usefixtures("quick_discord_retries")


def cards(h: Harness) -> list[Any]:
    return [m for m in h.emu.messages(h.channel_id("feedback-review")) if m.author_id == h.emu.bot_user_id]


async def jobs(h: Harness, event: str) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(timers).where(timers.c.event == event).order_by(timers.c.id)))


async def until_done(h: Harness, event: str, rounds: int = 8) -> int:
    for n in range(rounds):
        if all(j.status != "pending" for j in await jobs(h, event)):
            return n
        await h.advance(timedelta(minutes=5))  # longer than each back-off step (30, 60, 120 s)
    raise AssertionError(f"still pending: {[(j.attempts, j.last_error) for j in await jobs(h, event)]}")


async def test_the_review_card_survives_a_burst_of_500s_and_is_posted_once(kudos: Harness) -> None:
    outage = kudos.emu.faults.add(route=MESSAGE_ROUTE, status=500, count=12)
    done = await report(kudos)
    assert "waiting for a quick review" in (done.content or ""), done.content  # the report is kept
    row = await item(kudos)
    assert row.status == "pending_review" and row.review_message_id is None
    assert cards(kudos) == [] and outage.hits > 0
    [job] = await jobs(kudos, "feedback.review_post")
    assert job.status == "pending" and job.dedupe_key == f"feedback.review_post:{row.id}" and "500" in job.last_error

    rounds = await until_done(kudos, "feedback.review_post")
    assert rounds >= 1 and outage.count == 0
    [card] = cards(kudos)
    assert card.embeds[0]["title"].startswith(f"Review #{row.id}")
    assert (await item(kudos)).review_message_id == card.id
    await kudos.advance(timedelta(hours=1))
    assert len(cards(kudos)) == 1  # nothing more goes out later
    approved = await kudos.member("sam").click(card.id, label="Approve")
    assert not approved.failed and (await item(kudos)).thread_id is not None


async def test_a_rejection_shows_on_the_card_after_an_outage_once(kudos: Harness) -> None:
    await report(kudos, type_="idea", values={"Title": "Buy my stuff", "Details": "spam"})
    [card] = cards(kudos)
    outage = kudos.emu.faults.add(route=EDIT_ROUTE, status=500, count=10)
    opened = await kudos.member("sam").click(card.id, label="Reject")
    done = await kudos.member("sam").submit_modal(opened, {"Reason": "Off topic"})
    assert done.ephemeral and "rejected" in (done.content or "")
    assert "Rejected by" not in (kudos.emu.message(card.id).embeds[0]["footer"]["text"])  # Discord is down
    assert outage.hits > 0
    await until_done(kudos, "feedback.review_outcome")
    footer = kudos.emu.message(card.id).embeds[0]["footer"]["text"]
    assert "Rejected by" in footer and "Off topic" in footer
    assert kudos.emu.message(card.id).components == []
    edits = [r for r in kudos.emu.request_log if r.method == "PATCH" and r.path.endswith(f"/messages/{card.id}")
             and r.status == 200]
    assert len(edits) == 1
    dms = kudos.member("alice").dms()
    assert len(dms) == 1 and "Off topic" in dms[0].content  # the reporter told once, outage or not


async def test_an_approval_whose_post_comes_late_links_the_post_on_the_card(kudos: Harness) -> None:
    """Discord fails the forum post at approval (5xx, retried with back-off): the card says the post is on its
    way; when the retried post is made, the card links it (the same outcome the approval shows at once)."""
    await report(kudos)
    [card] = cards(kudos)
    outage = kudos.emu.faults.add(route="POST /channels/{channel_id}/threads", status=500, count=8)
    approved = await kudos.member("sam").click(card.id, label="Approve")
    assert not approved.failed and outage.hits > 0
    assert "on its way" in kudos.emu.message(card.id).embeds[0]["footer"]["text"]
    assert kudos.emu.message(card.id).components == []
    await until_done(kudos, "feedback.open_post")
    await until_done(kudos, "feedback.review_outcome")
    row = await item(kudos)
    assert row.thread_id is not None
    footer = kudos.emu.message(card.id).embeds[0]["footer"]["text"]
    assert footer == f"Approved by sam: https://discord.com/channels/{kudos.guild_id}/{row.thread_id}", footer


async def test_an_approval_whose_post_fails_for_good_says_so_on_the_card(kudos: Harness) -> None:
    """Discord fails the forum post at approval and at every retry (5xx until the attempts are used): the draft
    goes, its reporter gets their text back by DM, and the card that said "on its way" says the post could not
    be made (the review-outcome job written with the discard carries the card's ids)."""
    await report(kudos)
    row = await item(kudos)
    [card] = cards(kudos)
    outage = kudos.emu.faults.add(route="POST /channels/{channel_id}/threads", status=500, count=1000)
    approved = await kudos.member("sam").click(card.id, label="Approve")
    assert not approved.failed and outage.hits > 0
    assert "on its way" in kudos.emu.message(card.id).embeds[0]["footer"]["text"]
    await until_done(kudos, "feedback.open_post", rounds=12)
    await until_done(kudos, "feedback.review_outcome")
    assert kudos.emu.threads(kudos.channel_id("feedback")) == []  # no post was made
    embed = kudos.emu.message(card.id).embeds[0]
    assert embed["footer"]["text"] == ("Approved by sam, but its post could not be made (see the staff log); "
                                       "the reporter was told"), embed["footer"]["text"]
    assert embed["title"].startswith(f"Review #{row.id}")  # the report as the card showed it
    assert kudos.emu.message(card.id).components == []
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        assert list(await conn.execute(select(feedback.c.id).where(feedback.c.id == row.id))) == []
    dms = kudos.member("alice").dms()
    assert len(dms) == 1 and "couldn't post your feedback" in dms[0].content, [d.content for d in dms]


async def test_a_review_channel_gone_at_discord_drops_the_card_with_an_audit_line(kudos: Harness) -> None:
    kudos.emu.faults.add(route=MESSAGE_ROUTE, status=404, code=10003, count=1, message="Unknown Channel")
    done = await report(kudos)
    assert "review" in (done.content or "")
    [job] = await jobs(kudos, "feedback.review_post")
    assert job.status == "done" and job.attempts == 1
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        dropped = list(await conn.execute(select(audit_log.c.details).where(audit_log.c.action == "job.dropped")))
    assert [d.details["event"] for d in dropped] == ["feedback.review_post"]
    assert "10003" in dropped[0].details["reason"]


async def test_a_missing_permission_for_the_card_is_named_in_the_staff_log(kudos: Harness) -> None:
    kudos.emu.faults.add(route=MESSAGE_ROUTE, status=403, code=50013, count=1)
    await report(kudos)
    [job] = await jobs(kudos, "feedback.review_post")
    assert job.status == "failed" and job.attempts == 1  # not retried: a moderator has to act
    staff = "\n".join(m.content or "" for m in kudos.emu.messages(kudos.channel_id("staff-log")))
    assert "post feedback #1 for review" in staff and "missing permissions" in staff, staff
    assert cards(kudos) == []


async def test_no_review_channel_is_refused_before_anything_is_written(kudos: Harness) -> None:
    from bot.emulator.world_channels import delete_channel

    review = kudos.channel_id("feedback-review")
    await delete_channel(kudos.emu, kudos.emu.state.channels[review])  # a moderator deleted it (CHANNEL_DELETE)
    await kudos.settle()
    assert kudos.bot is not None and kudos.bot.get_channel(review) is None
    done = await report(kudos)
    assert "review channel is missing" in (done.content or ""), done.content
    assert await jobs(kudos, "feedback.review_post") == []
    async with kudos.bot.db.connect() as conn:
        assert (await conn.execute(select(feedback.c.id))).all() == []  # no report was recorded


# ------------------------------------------------------------------ the item embed's vote count (a job per vote burst)

EMBED_WORLD_CONFIG: dict[str, Any] = {}


class TestVoteEmbed:
    """Votes write the embed's edit as a job with the vote (``feedback.embed:<item>:<run>``): one pending per
    item, so a burst of votes during an outage is one edit once Discord is back, showing every vote."""

    @pytest.fixture
    def bot_config(self) -> dict[str, Any]:
        return EMBED_WORLD_CONFIG

    async def test_votes_during_a_burst_of_500s_show_on_the_embed_with_one_edit(self, kudos: Harness) -> None:
        from tests.feedback.test_e2e import embed_field, starter

        await report(kudos)
        row = await item(kudos)
        outage = kudos.emu.faults.add(route=EDIT_ROUTE, status=500, count=10)
        for name in ("bob", "carol", "mia"):
            vote = await kudos.member(name).click(row.thread_id, label="Me too")
            assert "Counted" in (vote.content or ""), vote.content
        assert outage.hits > 0
        assert embed_field(starter(kudos, row.thread_id), "Votes") == "0"  # Discord is still down
        runs = await jobs(kudos, "feedback.embed")
        assert [j.status for j in runs] == ["pending"]  # the later votes rode on the first one's edit
        assert runs[0].dedupe_key.startswith(f"feedback.embed:{row.id}:")
        await until_done(kudos, "feedback.embed")
        assert embed_field(starter(kudos, row.thread_id), "Votes") == "3"
        edits = [r for r in kudos.emu.request_log if r.method == "PATCH"
                 and r.path.endswith(f"/messages/{row.status_message_id}") and r.status == 200]
        assert len(edits) == 1
