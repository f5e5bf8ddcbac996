"""The "what we changed because of you" post lists the GitHub issues shipped in a release, end to end on both
databases: a beta's item linked to an issue, GitHub's signed ``issues.closed`` (completed, milestone ``v1.0``)
ships it, the beta closes, and ``/announce changes`` posts the issue linked (no embed) under its release."""

from __future__ import annotations

from sqlalchemy import select

from bot.betas.tables import betas
from bot.feedback.tables import feedback
from bot.sandbox.harness import Harness
from tests.announcements.test_e2e import posts
from tests.feedback.test_e2e import item, report
from tests.github.payloads import closed
from tests.github.test_receiver import REPO, deliver, gh  # noqa: F401  (the fixture)


async def test_the_changes_post_lists_the_issue_github_shipped_in_v1(gh: Harness) -> None:  # noqa: F811
    h = gh
    assert h.bot is not None
    sam = h.member("sam")
    opened = await sam.slash("beta create", name="Photos v2")
    await sam.submit_modal(opened, {"Description": "Try it"})
    async with h.bot.db.begin() as conn:
        beta_id = (await conn.execute(select(betas.c.id))).scalar_one()
    await report(h)
    row = await item(h)
    async with h.bot.db.begin() as conn:  # the report was given in the beta (its feedback button does this)
        await conn.execute(feedback.update().where(feedback.c.id == row.id).values(beta_id=beta_id))
    await sam.slash("feedback link", item=row.id, issue=f"{REPO}#1")
    assert await deliver(h, closed(), delivery="rel-1") == (200, {"outcome": "changed"})
    assert (await item(h)).version == "v1.0"
    await sam.slash("beta close", name="Photos v2")
    preview = await sam.slash("announce changes", beta="Photos v2")
    link = "[codertocat/hello-world#1](<https://github.com/codertocat/hello-world/issues/1>)"
    assert preview.ephemeral and link in (preview.content or ""), preview.content
    before = len(posts(h))
    await sam.click(preview.message.id, label="Post it")
    post = posts(h)[before]
    text = post.embeds[0]["description"]
    assert "Shipped on GitHub:\n• in **v1.0**: " + link in text
    assert f"<@{h.members['alice']}>" in (post.content or "") + text
