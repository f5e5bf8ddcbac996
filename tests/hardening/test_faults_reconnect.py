"""A full gateway reconnect that lost events: the catch-up (cogs/catchup.py) does what they would have, once.

While the bot is away (its session invalidated, so no RESUME can replay anything) members open a feedback
post and a help post, star a message past the starboard threshold, and leave and rejoin (one straight in, one through
membership screening). After the reconnect each is captured exactly once; a second catch-up, another full
reconnect and a RESUME change nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.catchup.tables import catchup_marks
from bot.contributions.tables import featured_posts, help_posts
from bot.platform.tables import audit_log
from tests.hardening.conftest import CODES, hardening_config
from tests.hardening.scenario import credit_answers, feedback_rows, load_codes, member_grants, rows
from tests.hardening.support import COUNTS, HardenedHarness

STAR = "⭐"


@pytest.fixture
def bot_config() -> dict[str, Any]:
    cfg = hardening_config()
    cfg["guilds"]["default"]["curation"] = {"starboard_threshold": 2}
    return cfg


async def away(h: HardenedHarness) -> int:
    """Drop the session (no RESUME possible) and hold the gateway: events from now on are lost."""
    identifies = h.emu.gateway.identifies
    await h.emu.disconnect(resume=False, hold=True)
    COUNTS["faults injected"] += 1
    return identifies


async def back(h: HardenedHarness, identifies: int) -> None:
    h.emu.release_gateway()
    await h.emu.wait_until_connected()
    await h.settle()
    assert h.emu.gateway.identifies == identifies + 1  # a new session, not a RESUME


def snapshot(h: HardenedHarness, thread_id: int) -> dict[str, int]:
    bot_id = h.emu.bot_user_id
    return {
        "thread messages": sum(1 for m in h.emu.messages(thread_id) if m.author_id == bot_id),
        "showcase cards": sum(1 for m in h.emu.messages(h.channel_id("showcase")) if m.author_id == bot_id),
        "alice dms": len(h.member("alice").dms()),
    }


async def test_full_reconnect_catches_up_posts_stars_and_rejoins_once(hk: HardenedHarness) -> None:
    h = hk
    assert h.bot is not None
    guild = h.bot.get_guild(h.guild_id)
    await load_codes(h, CODES[:4])
    await credit_answers(h, "alice", 3)
    await credit_answers(h, "bob", 3)
    star = h.role_id("Helper Star")
    assert star in h.emu.member_roles(h.guild_id, h.members["alice"])
    post = await h.member("m00").say("My first photo edit", in_="general")
    await h.member("carol").react(post.id, STAR)  # one star: below the threshold of 2
    catchup = h.bot.get_cog("CatchUp")
    assert catchup is not None

    identifies = await away(h)
    thread, _ = await h.emu.create_forum_post(h.channel_id("feedback"), h.members["m01"], "Export to PDF",
                                              "Would love a PDF export", tags=["Idea"])
    question, _ = await h.emu.create_forum_post(h.channel_id("help"), h.members["m04"], "Sync fails", "Help?")
    for who in ("m02", "m03"):
        await h.emu.add_reaction(post.channel_id, post.id, h.members[who], STAR)
    for who in ("alice", "bob"):  # leaving drops their roles; they come back while the bot is still away
        h.emu.remove_member(h.guild_id, h.members[who])
    h.emu.rejoin_member(h.guild_id, h.members["alice"])
    h.emu.rejoin_member(h.guild_id, h.members["bob"], pending=True)  # still in membership screening
    await back(h, identifies)

    # the missed forum post is a feedback item, tagged and with its buttons, once
    items = [r for r in await feedback_rows(h) if r.thread_id == thread.id]
    assert len(items) == 1 and items[0].reporter_id == h.members["m01"], items
    assert items[0].status_message_id is not None
    # the help post counts for the answer rate
    assert len(await rows(h, help_posts, help_posts.c.thread_id == question.id)) == 1
    # the message that crossed the starboard threshold while away is featured, once
    featured = await rows(h, featured_posts, featured_posts.c.message_id == post.id)
    assert len(featured) == 1 and featured[0].via == "starboard", featured
    # alice rejoined: her earned role is back, her perk code is not sent again
    assert star in h.emu.member_roles(h.guild_id, h.members["alice"])
    role = next(g for g in await member_grants(h, "alice") if g.action == "role_add")
    redelivered = await rows(h, audit_log, audit_log.c.action == "reward.redeliver",
                             audit_log.c.target_id == h.members["alice"])
    assert role.status == "delivered" and [r.details["reason"] for r in redelivered] == [
        "member rejoined (while I was away)"], redelivered
    # bob is still in screening: nothing yet; once through it, the live path gives the role back
    assert star not in h.emu.member_roles(h.guild_id, h.members["bob"])
    await h.emu.complete_screening(h.guild_id, h.members["bob"])
    await h.settle()
    assert star in h.emu.member_roles(h.guild_id, h.members["bob"])
    before = snapshot(h, thread.id)
    assert before["thread messages"] == 1 and before["showcase cards"] == 1 and before["alice dms"] == 1, before

    # nothing doubles: the catch-up again, another full reconnect, then a RESUME (which does not catch up)
    assert guild is not None
    again = await catchup.catch_up(h.bot.get_guild(h.guild_id))  # type: ignore[attr-defined]
    assert again == {"feedback posts": 0, "starred posts": 0, "help posts": 0}, again
    await back(h, await away(h))
    runs = catchup.runs  # type: ignore[attr-defined]
    await h.emu.disconnect(resume=True)
    await h.emu.wait_until_connected()
    await h.settle()
    assert h.emu.gateway.resumes >= 1 and catchup.runs == runs  # type: ignore[attr-defined]
    assert snapshot(h, thread.id) == before
    assert len([r for r in await feedback_rows(h) if r.thread_id == thread.id]) == 1
    assert len(await rows(h, featured_posts, featured_posts.c.message_id == post.id)) == 1
    await h.assert_invariants()


async def test_catch_up_is_bounded_by_the_mark(hk: HardenedHarness) -> None:
    """Stars on a message from before the mark's look-back window are not searched for."""
    h = hk
    assert h.bot is not None
    await h.member("m00").say("hello", in_="general")
    await h.settle()
    async with h.bot.db.connect() as conn:
        mark = (await conn.execute(select(catchup_marks.c.last_message_id))).scalar_one()
    assert mark >= 1  # the first live message saved the mark
    identifies = await away(h)
    await h.emu.add_reaction(h.channel_id("general"), (await h.member("m01").say("x", in_="general")).id,
                             h.members["m02"], STAR)
    requests = len(h.emu.request_log)
    await back(h, identifies)
    reads = [r for r in h.emu.request_log[requests:]
             if r.method == "GET" and r.route == "/channels/{channel_id}/messages"]
    # only channels with messages since the mark's look-back are read (general here), never the others
    assert reads and all(r.path.endswith(f"/channels/{h.channel_id('general')}/messages") for r in reads), reads
