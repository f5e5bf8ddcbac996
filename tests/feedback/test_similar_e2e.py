""""Is it one of these?" end to end (issue #23): the real bot on the emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.feedback.tables import (
    feedback,
    feedback_coreporters,
    feedback_drafts,
    feedback_followers,
    feedback_votes,
)
from bot.sandbox.harness import Harness

FIRST = {"Title": "Battery drains overnight", "Details": "My phone loses 40% at night"}
SECOND = {"Title": "Battery drain overnight in standby", "Details": "In standby it drops from *100%* to 60% @everyone"}


async def idea(h: Harness, who: str, values: dict[str, str]) -> Any:
    opened = await h.member(who).slash("feedback new", type="idea")
    assert opened.modal is not None, opened.content
    return await h.member(who).submit_modal(opened, values)


async def count(h: Harness, table: Any, *where: Any) -> int:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


def labels(message: Any) -> list[str]:
    return [c["label"] for row in message.components for c in row["components"]]


async def test_second_report_sees_the_first_and_votes_for_it(kudos: Harness) -> None:
    first = await idea(kudos, "alice", FIRST)
    assert "posted" in (first.content or "")
    forum = kudos.channel_id("feedback")
    assert len(kudos.emu.threads(forum)) == 1

    offered = await idea(kudos, "bob", SECOND)
    assert offered.ephemeral and offered.message is not None
    text = offered.message.content
    assert "Is it one of these?" in text and "#1 · Battery drains overnight" in text and "New · 0 votes" in text
    assert labels(offered.message) == ["Vote for #1", "Post mine anyway"]
    assert (offered.message.allowed_mentions or {}).get("parse") == []
    assert len(kudos.emu.threads(forum)) == 1  # nothing posted yet
    assert await count(kudos, feedback_drafts, feedback_drafts.c.state == "open") == 1

    voted = await kudos.member("bob").click(offered.message.id, label="Vote for #1")
    assert voted.ephemeral and "Nothing new was posted" in (voted.content or "")
    bob = kudos.members["bob"]
    assert len(kudos.emu.threads(forum)) == 1
    assert await count(kudos, feedback) == 1
    assert await count(kudos, feedback_votes, feedback_votes.c.user_id == bob) == 1
    assert await count(kudos, feedback_followers, feedback_followers.c.user_id == bob) == 1
    assert await count(kudos, feedback_coreporters, feedback_coreporters.c.user_id == bob) == 1
    thread = kudos.emu.threads(forum)[0]
    comments = [m for m in kudos.emu.messages(thread.id) if "co-report" in m.content]
    assert len(comments) == 1
    comment = comments[0]
    assert f"<@{bob}>" in comment.content and "Battery drain overnight in standby" in comment.content
    assert "\\*100%\\*" in comment.content and "@everyone" not in comment.content  # member text is escaped
    assert (comment.allowed_mentions or {}).get("parse") == [] and not (comment.allowed_mentions or {}).get("users")
    embed = kudos.emu.message(thread.id).embeds[0]
    assert any(f["value"] == "1" for f in embed.get("fields", []) if "ote" in f["name"]), embed

    again = await kudos.member("bob").click(offered.message.id, label="Post mine anyway")
    assert "already voted" in (again.content or "")
    assert len(kudos.emu.threads(forum)) == 1


async def test_post_mine_anyway_posts_after_a_restart(kudos: Harness) -> None:
    await idea(kudos, "alice", FIRST)
    offered = await idea(kudos, "bob", SECOND)
    assert offered.message is not None and "Is it one of these?" in offered.message.content
    await kudos.restart()  # the draft is kept in the database, the buttons are persistent
    stranger = await kudos.member("alice").click(offered.message.id, label="Post mine anyway")
    assert "belong to the member" in (stranger.content or "")
    posted = await kudos.member("bob").click(offered.message.id, label="Post mine anyway")
    assert "posted" in (posted.content or ""), posted.content
    forum = kudos.channel_id("feedback")
    assert sorted(t.name for t in kudos.emu.threads(forum)) == sorted([FIRST["Title"], SECOND["Title"]])
    assert await count(kudos, feedback_drafts, feedback_drafts.c.state == "posted") == 1
    assert await count(kudos, feedback_votes) == 0


async def test_nothing_similar_posts_at_once(kudos: Harness) -> None:
    await idea(kudos, "alice", FIRST)
    done = await idea(kudos, "bob", {"Title": "Export the leaderboard as CSV", "Details": "For our newsletter"})
    assert "posted" in (done.content or "")
    assert len(kudos.emu.threads(kudos.channel_id("feedback"))) == 2
    assert await count(kudos, feedback_drafts) == 0


# ----------------------------------------------------------------------------------------------- for staff


async def test_staff_see_likely_duplicates_with_scores_in_status_of(kudos: Harness) -> None:
    await idea(kudos, "alice", FIRST)
    thread, _ = await kudos.member("carol").post(SECOND["Title"], in_="feedback", content=SECOND["Details"])
    rec = await kudos.emu.run_autocomplete(kudos.guild_id, thread.id, kudos.members["sam"], "feedback status", "of",
                                           {"status": "duplicate", "of": ""})
    await kudos.settle()
    assert rec.choices is not None
    assert [c["value"] for c in rec.choices] == [1]
    assert rec.choices[0]["name"].startswith("#1 · Battery drains overnight · New · score 0.")
    assert await count(kudos, feedback, feedback.c.status == "duplicate") == 0  # merging stays staff's decision


@pytest.mark.parametrize("bot_config", [{"guilds": {"default": {"feedback": {"review_queue": True}}}}])
async def test_review_queue_lists_likely_duplicates(kudos: Harness) -> None:
    await idea(kudos, "alice", FIRST)
    held = await kudos.member("sam").click(
        next(m for m in kudos.emu.messages(kudos.channel_id("staff-log")) if m.components).id, label="Approve")
    assert not held.failed
    offered = await idea(kudos, "bob", SECOND)
    assert offered.message is not None and "Is it one of these?" in offered.message.content
    await kudos.member("bob").click(offered.message.id, label="Post mine anyway")
    review = [m for m in kudos.emu.messages(kudos.channel_id("staff-log")) if m.embeds and "Review #2" in
              m.embeds[0].get("title", "")]
    assert len(review) == 1
    field = next(f["value"] for f in review[0].embeds[0]["fields"] if f["name"] == "Likely duplicates")
    assert field.startswith("#1 · Battery drains overnight · New · score 0.")


async def test_a_kept_draft_keeps_its_screenshot_until_posted_anyway(kudos: Harness) -> None:
    """The draft held by "Is it one of these?" carries the form's screenshots (feedback_drafts.screenshots);
    *Post mine anyway* posts the report and the image lands in its thread."""
    await idea(kudos, "alice", FIRST)
    png = b"\x89PNG\r\n\x1a\n" + b"\1" * 40
    offered = await idea(kudos, "bob", SECOND | {"Screenshots": [("standby.png", png, "image/png")]})
    assert offered.message is not None and "Is it one of these?" in offered.message.content
    bob = kudos.member("bob")
    await bob.slash("mydata export")  # the kept draft's screenshots are bob's too: in his export, as a list
    [draft] = json.loads(bob.dms()[-1].files[0][1])["feedback_drafts"]
    assert [(s["filename"], s["content_type"]) for s in draft["screenshots"]] == [("standby.png", "image/png")]
    posted = await kudos.member("bob").click(offered.message.id, label="Post mine anyway")
    assert "posted" in (posted.content or ""), posted.content
    thread = next(t for t in kudos.emu.threads(kudos.channel_id("feedback")) if t.name == SECOND["Title"])
    assert [m.files for m in kudos.emu.messages(thread.id) if m.files] == [[("standby.png", png)]]
