"""A merge in Kudos links the issues, end to end on both databases (the real bot, `/feedback status
status:duplicate of:N` by staff, the loopback GitHub stand-in):

- the duplicate follows an issue and the original none: the original takes the issue (and its one summary
  comment, edited with the merged votes); a later ``issues.closed`` ships the original;
- both follow different issues: one comment on the duplicate's issue names the original's ``owner/repo#n``
  (GitHub cross-links the two from it);
- either way the ``github.link`` audit line names the staff member who merged (not 0, GitHub's actor)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.platform.tables import audit_log
from bot.sandbox.harness import Harness
from tests.feedback.test_e2e import item, report
from tests.github.payloads import closed
from tests.github.standin import GitHubStandIn
from tests.github.test_receiver import REPO, deliver
from tests.github.test_summary import gh, standin  # noqa: F401  (the fixtures: token auth, stand-in)

SECOND = {"Title": "Saving a file quits the app", "Details": "Same here", "Steps to reproduce":
          "1. Save\nVersion: 2.4.1"}


async def link_audits(h: Harness) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(audit_log).where(audit_log.c.action == "github.link")
                                       .order_by(audit_log.c.id)))


async def test_a_merged_duplicate_hands_its_issue_and_summary_comment_to_the_original(
        gh: Harness, standin: GitHubStandIn) -> None:  # noqa: F811
    h = gh
    assert h.bot is not None
    await report(h)  # #1 (alice), no issue
    await report(h, who="bob", values=SECOND)  # #2 (bob), linked to issue 1
    original, dup = await item(h, 1), await item(h, 2)
    await h.bot.app.github.link(h.guild_id, dup.id, f"{REPO}#1", actor_id=h.members["sam"])
    await h.member("carol").click(h.emu.message(dup.thread_id).id, label="Me too")
    await h.advance(timedelta(seconds=1))
    [comment_id] = standin.comments  # the duplicate's summary comment: 1 vote

    answer = await h.member("sam").slash("feedback status", status="duplicate", item=dup.id, of=original.id)
    assert answer.ephemeral, answer.content
    await h.advance(timedelta(seconds=1))
    link = await h.bot.app.github.link_of(original.id)
    assert link is not None and link.ref == "codertocat/hello-world#1" and link.summary_comment == str(comment_id)
    [audit] = [a for a in await link_audits(h) if a.target_id == original.id]
    assert audit.actor_id == h.members["sam"] and audit.details["merged_from"] == dup.id
    # The same comment is edited to the original's count (carol's vote and bob moved over), no second one.
    assert [c.method for c in standin.calls] == ["POST", "PATCH"] and len(standin.comments) == 1
    merged = (await item(h, original.id)).vote_count
    assert merged >= 2 and f"{merged} members" in standin.comments[comment_id]["body"]
    assert f"feedback #{original.id}" in standin.comments[comment_id]["body"]

    # The issue now moves the original: closed as completed ships it (the duplicate stays a duplicate).
    assert await deliver(h, closed(), delivery="m-1") == (200, {"outcome": "changed"})
    assert (await item(h, original.id)).status == "shipped"
    assert (await item(h, dup.id)).status == "duplicate"


async def test_merging_items_of_two_issues_cross_links_them_on_github(gh: Harness, standin: GitHubStandIn) -> None:  # noqa: F811
    h = gh
    assert h.bot is not None
    await report(h)
    await report(h, who="bob", values=SECOND)
    original, dup = await item(h, 1), await item(h, 2)
    await h.bot.app.github.link(h.guild_id, original.id, f"{REPO}#1", actor_id=h.members["sam"])
    await h.bot.app.github.link(h.guild_id, dup.id, f"{REPO}#7", actor_id=h.members["sam"])
    await h.member("sam").slash("feedback status", status="duplicate", item=dup.id, of=original.id)
    await h.advance(timedelta(seconds=1))
    notes = [c for c in standin.calls if c.path == "/repos/codertocat/hello-world/issues/7/comments"]
    assert len(notes) == 1
    assert notes[0].body["body"] == (f"**Kudos:** feedback #{dup.id} was merged in Discord into feedback "
                                     f"#{original.id}, which is tracked in codertocat/hello-world#1. "
                                     "Votes and updates continue there.")
    assert (await h.bot.app.github.link_of(original.id)).ref == "codertocat/hello-world#1"  # type: ignore[union-attr]
    merge_audit = (await link_audits(h))[-1]
    assert merge_audit.actor_id == h.members["sam"]
    assert merge_audit.details == {"issue": "codertocat/hello-world#7", "tracked_as": "codertocat/hello-world#1",
                                   "merged_from": dup.id}
    # The note is one job: a restart and more time send no second comment.
    await h.restart()
    await h.advance(timedelta(minutes=10))
    assert len([c for c in standin.calls if c.path.endswith("/issues/7/comments")]) == 1
