"""Staff rights are checked when the action happens: a staff member who opens a form (or a preview with a
button) and loses the Staff role before submitting is refused, and nothing is posted or applied.

Discord sends the member, with their roles at that moment, in every interaction: "member: guild member data
for the invoking user, including permissions" (docs/interactions/receiving-and-responding.mdx, Interaction
Object), so the bot checks the roles of the submit or press itself, not those of the command that began it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.announcements.tables import announcements
from bot.betas.tables import betas
from bot.rewards.tables import grants
from bot.sandbox.harness import Harness, RoleSpec, WorldSpec

REFUSED = "Only staff members can use this"


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.roles += [RoleSpec("Week Pass")]
    return w


async def rows(h: Harness, table: Any) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(table)))


def bot_posts(h: Harness, channel: str) -> list[Any]:
    return [m for m in h.emu.messages(h.channel_id(channel)) if m.author_id == h.emu.bot_user_id]


async def test_announce_post_form_submitted_after_losing_staff_posts_nothing(kudos: Harness) -> None:
    sam = kudos.member("sam")
    opened = await sam.slash("announce post")
    assert opened.modal is not None, opened.content
    await sam.set_roles([])
    done = await sam.submit_modal(opened, {"Title (optional)": "Dark mode", "Text": "Dark mode is here."})
    assert done.ephemeral and REFUSED in (done.content or ""), done.content
    assert bot_posts(kudos, "announcements") == []
    assert await rows(kudos, announcements) == []
    # with the role back, the same form goes through: the refusal was the role, nothing else
    await sam.set_roles(["Staff"])
    again = await sam.slash("announce post")
    posted = await sam.submit_modal(again, {"Title (optional)": "Dark mode", "Text": "Dark mode is here."})
    assert "is posted in" in (posted.content or ""), posted.content
    assert len(bot_posts(kudos, "announcements")) == 1


async def test_beta_create_form_submitted_after_losing_staff_announces_nothing(kudos: Harness) -> None:
    sam = kudos.member("sam")
    opened = await sam.slash("beta create", name="Photos v2")
    assert opened.modal is not None, opened.content
    await sam.set_roles([])
    done = await sam.submit_modal(opened, {"Description": "Try the new photo uploader."})
    assert done.ephemeral and REFUSED in (done.content or ""), done.content
    assert bot_posts(kudos, "announcements") == []
    assert await rows(kudos, betas) == []


async def test_rewards_sync_apply_pressed_after_losing_staff_applies_nothing(kudos: Harness) -> None:
    assert kudos.bot is not None
    for i in range(2):
        await kudos.bot.app.ledger.credit(kudos.guild_id, kudos.members["bob"], "answer", source_key=f"answer:b:{i}",
                                          actor_id=None)
    await kudos.settle()
    sam = kudos.member("sam")
    await sam.slash("rewards rule add", name="two-answers", trigger="kind:answer:2", role=kudos.role_id("Week Pass"))
    preview = await sam.slash("rewards sync", rule="two-answers")
    assert "1 member would get" in (preview.content or ""), preview.content
    await sam.set_roles([])
    applied = await sam.click(preview.message.id, label="Apply")
    assert applied.ephemeral and REFUSED in (applied.content or ""), applied.content
    await kudos.settle()
    assert "Week Pass" not in kudos.member("bob").roles()
    assert [g for g in await rows(kudos, grants) if g.rule_name == "two-answers"] == []
