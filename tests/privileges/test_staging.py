"""First-post mentoring end to end (issue #26): a new member's first help post is locked and offered to reviewers
(members with review_first_posts, checked when they press); a reviewer's suggested edit is accepted by the asker
(the post is renamed and opens), another post is passed through, a third opens when the time is up; reviewers
get curation credit when the post is solved. Off by default."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox.harness import ChannelSpec, Harness, MemberSpec, WorldSpec
from tests.contributions._helpers import points, reply_text
from tests.privileges._helpers import give


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.channels.append(ChannelSpec("first-posts"))
    w.members += [MemberSpec("nina", joined_days_ago=2), MemberSpec("noah", joined_days_ago=1)]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {"privileges": {
        "staging_ground": True, "staging_minutes": 60,
        "review_first_posts": {"points": 20, "stage": ""},
    }}}}


def bot_lines(kudos: Harness, channel_id: int) -> list[Any]:
    return [m for m in kudos.emu.messages(channel_id) if m.author_id == kudos.emu.bot_user_id]


def card_of(kudos: Harness, thread_id: int) -> Any:
    cards = [m for m in bot_lines(kudos, kudos.channel_id("first-posts")) if str(thread_id) in m.content]
    assert len(cards) == 1, [m.content for m in bot_lines(kudos, kudos.channel_id("first-posts"))]
    return cards[0]


async def test_a_suggested_edit_is_accepted_and_reviewers_are_credited_when_solved(kudos: Harness) -> None:
    await give(kudos, "bob", 20)  # bob earns review_first_posts
    thread, _ = await kudos.member("nina").post("help pls", in_="help", content="sync fails with error 42")
    kudos.labels["nina post"] = thread.id
    assert kudos.emu.state.channels[thread.id].locked is True
    assert "first post" in bot_lines(kudos, thread.id)[-1].content
    card = card_of(kudos, thread.id)
    refused = await kudos.member("alice").click(card.id, label="Suggest an edit")  # no privilege
    assert "Review first posts" in reply_text(refused) and refused.modal is None
    opened = await kudos.member("bob").click(card.id, label="Suggest an edit")
    assert opened.modal is not None
    sent = await kudos.member("bob").submit_modal(opened, {"Better title": "Sync fails with error 42 after login",
                                                           "Note for the asker": "A precise title gets answers."})
    assert "Sent to the asker" in reply_text(sent)
    dm = kudos.member("nina").dms()[-1]
    assert "Sync fails with error 42 after login" in dm.content and "A precise title" in dm.content
    accepted = await kudos.member("nina").click(dm.id, label="Accept the edit")
    assert "now titled" in "".join(f.content or "" for f in accepted.followups) or "now titled" in reply_text(accepted)
    state = kudos.emu.state.channels[thread.id]
    assert state.name == "Sync fails with error 42 after login" and state.locked is False
    assert "the asker accepted a reviewer's edit" in bot_lines(kudos, thread.id)[-1].content
    # solved later: bob (the reviewer) gets curation credit, carol the answer
    reply = await kudos.member("carol").say("Log out and in again.", in_="nina post")
    marked = await kudos.member("nina").context_menu("Mark as solution", message_id=reply.id)
    assert "Marked" in reply_text(marked)
    assert await points(kudos, "bob", "curation") == 3 and await points(kudos, "carol", "answer") == 10


async def test_pass_timeout_and_posts_not_staged(kudos: Harness) -> None:
    await give(kudos, "bob", 20)
    thread, _ = await kudos.member("nina").post("login loop", in_="help", content="it loops")
    passed = await kudos.member("bob").click(card_of(kudos, thread.id).id, label="Pass it through")
    assert "Passed through" in reply_text(passed)
    assert kudos.emu.state.channels[thread.id].locked is False
    assert f"<@{kudos.members['bob']}> passed it through" in bot_lines(kudos, thread.id)[-1].content
    # only a member's first post is staged
    second, _ = await kudos.member("nina").post("another question", in_="help", content="and this")
    assert kudos.emu.state.channels[second.id].locked is False
    # a long-standing member's post is not staged
    old, _ = await kudos.member("alice").post("alice asks", in_="help", content="q")
    assert kudos.emu.state.channels[old.id].locked is False
    # nobody reviews noah's post: it opens when the time is up (a durable timer, across a restart)
    late, _ = await kudos.member("noah").post("noah asks", in_="help", content="q")
    assert kudos.emu.state.channels[late.id].locked is True
    await kudos.restart()
    await kudos.advance(timedelta(minutes=61))
    assert kudos.emu.state.channels[late.id].locked is False
    assert "the review time is up" in bot_lines(kudos, late.id)[-1].content
