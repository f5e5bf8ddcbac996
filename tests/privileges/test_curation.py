"""Feedback curation by earned privileges end to end (issue #26): ``/feedback retype`` (tag_feedback, or staff)
changes a report's type and its forum tag; ``/feedback propose-merge`` (propose_merge) posts a staff card whose
Merge runs the normal staff merge and credits the proposer with curation, capped per day; "Not a duplicate"
closes it for good. Who may act is checked when they act."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.feedback import Draft
from bot.feedback.tables import feedback, feedback_merge_proposals
from bot.sandbox.harness import Harness
from tests.contributions._helpers import ledger_rows, points, reply_text, tag_names
from tests.privileges._helpers import audit_rows, give, held


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {"privileges": {"merge_credits_per_day": 1, "tag_feedback": {"points": 20},
                                                  "propose_merge": {"points": 20}}}}}


async def idea(kudos: Harness, who: str, title: str) -> int:
    """A report posted the way /feedback new posts it (through the cog, not the form)."""
    assert kudos.bot is not None
    guild = kudos.bot.get_guild(kudos.guild_id)
    assert guild is not None
    _text, item_id = await kudos.bot.effects.feedback.post_draft(
        guild, kudos.members[who], Draft("idea", title, f"{title}, please"), None)
    await kudos.settle()
    return int(item_id)


async def item_row(kudos: Harness, item_id: int) -> Any:
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        return (await conn.execute(select(feedback).where(feedback.c.id == item_id))).one()


async def proposals(kudos: Harness) -> list[Any]:
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        return list(await conn.execute(select(feedback_merge_proposals).order_by(feedback_merge_proposals.c.id)))


def cards(kudos: Harness) -> list[Any]:
    return [m for m in kudos.emu.messages(kudos.channel_id("staff-log"))
            if m.author_id == kudos.emu.bot_user_id and "Merge proposal" in m.content]


def embed_type(kudos: Harness, thread_id: int) -> str:
    starter = kudos.emu.message(thread_id)
    return next(f["value"] for f in starter.embeds[0]["fields"] if f["name"] == "Type")


async def test_retype_needs_the_privilege_and_moves_the_tag(kudos: Harness) -> None:
    item_id = await idea(kudos, "alice", "Dark mode")
    thread_id = (await item_row(kudos, item_id)).thread_id
    assert "Idea" in tag_names(kudos, thread_id)
    refused = await kudos.member("bob").slash("feedback retype", item=item_id, type="question")
    assert "Tag feedback" in reply_text(refused)
    assert (await item_row(kudos, item_id)).type == "idea"
    await give(kudos, "bob", 20)  # bob earns tag_feedback
    assert (await held(kudos, "bob"))["tag_feedback"][0] is True
    done = await kudos.member("bob").slash("feedback retype", item=item_id, type="question")
    assert "is now Question (it was Idea)" in reply_text(done), reply_text(done)
    assert (await item_row(kudos, item_id)).type == "question"
    tags = tag_names(kudos, thread_id)
    assert "Question" in tags and "Idea" not in tags and "New" in tags  # the status tag stays
    assert embed_type(kudos, thread_id) == "Question"
    same = await kudos.member("bob").slash("feedback retype", item=item_id, type="question")
    assert "already of that type" in reply_text(same)
    # staff need no privilege; a revoked privilege is refused at once
    back = await kudos.member("sam").slash("feedback retype", item=item_id, type="idea")
    assert "is now Idea" in reply_text(back)
    assert "Idea" in tag_names(kudos, thread_id) and "Question" not in tag_names(kudos, thread_id)
    await kudos.member("mia").slash("privilege revoke", member=kudos.members["bob"], privilege="tag_feedback",
                                    reason="tag wars")
    again = await kudos.member("bob").slash("feedback retype", item=item_id, type="bug")
    assert "Tag feedback" in reply_text(again) and (await item_row(kudos, item_id)).type == "idea"
    moves = [(r.actor_id, r.details) for r in await audit_rows(kudos, "feedback.retype")]
    assert moves == [(kudos.members["bob"], {"from": "idea", "to": "question"}),
                     (kudos.members["sam"], {"from": "question", "to": "idea"})]


async def test_a_proposed_merge_is_confirmed_by_staff_and_credited_within_the_cap(kudos: Harness) -> None:
    original = await idea(kudos, "alice", "Dark mode")
    dup = await idea(kudos, "carol", "Night theme")
    refused = await kudos.member("bob").slash("feedback propose-merge", item=dup, into=original)
    assert "Propose merges" in reply_text(refused) and cards(kudos) == []
    await give(kudos, "bob", 20)  # bob earns propose_merge
    proposed = await kudos.member("bob").slash("feedback propose-merge", item=dup, into=original)
    assert f"merging #{dup} into #{original}" in reply_text(proposed), reply_text(proposed)
    twice = await kudos.member("bob").slash("feedback propose-merge", item=dup, into=original)
    assert "already waiting for staff" in reply_text(twice)
    [card] = cards(kudos)
    assert f"<@{kudos.members['bob']}> thinks [#{dup} “Night theme”]" in card.content
    assert f"duplicate of [#{original} “Dark mode”]" in card.content
    # the buttons check the staff role on the press
    denied = await kudos.member("alice").click(card.id, label="Merge")
    assert "staff" in reply_text(denied).lower() and (await item_row(kudos, dup)).status == "new"
    merged = await kudos.member("sam").click(card.id, label="Merge")
    assert not merged.failed, reply_text(merged)
    row = await item_row(kudos, dup)
    assert row.status == "duplicate" and row.duplicate_of == original
    assert (await item_row(kudos, original)).vote_count == 1  # carol's report counts as a vote there
    card = kudos.emu.message(card.id)
    assert "Merged by" in card.content and "Curation credit for" in card.content and not card.components
    assert await points(kudos, "bob", "curation") == 3
    assert [r.source_key for r in await ledger_rows(kudos, "bob") if r.kind == "curation"] == ["merge:1"]
    assert "Merged into" in kudos.emu.messages((await item_row(kudos, dup)).thread_id)[-1].content  # the status line
    # a second confirmed merge the same day: merged, not credited (merge_credits_per_day = 1)
    third = await idea(kudos, "carol", "Darker theme")
    await kudos.member("bob").slash("feedback propose-merge", item=third, into=original)
    await kudos.member("sam").click(cards(kudos)[-1].id, label="Merge")
    assert (await item_row(kudos, third)).status == "duplicate"
    assert "Curation credit for" not in kudos.emu.message(cards(kudos)[-1].id).content
    assert await points(kudos, "bob", "curation") == 3
    # the next day the cap is fresh
    await kudos.advance(timedelta(days=1))
    fourth = await idea(kudos, "alice", "Black background")
    await kudos.member("bob").slash("feedback propose-merge", item=fourth, into=original)
    await kudos.member("sam").click(cards(kudos)[-1].id, label="Merge")
    assert await points(kudos, "bob", "curation") == 6
    assert [(p.state, p.credited) for p in await proposals(kudos)] == [("merged", True), ("merged", False),
                                                                       ("merged", True)]
    confirmed = [r.details["credited"] for r in await audit_rows(kudos, "feedback.merge_confirmed")]
    assert confirmed == [True, False, True]


async def test_not_a_duplicate_closes_the_proposal_for_good(kudos: Harness) -> None:
    original = await idea(kudos, "alice", "Dark mode")
    other = await idea(kudos, "carol", "Export to PDF")
    await give(kudos, "bob", 20)
    await kudos.member("bob").slash("feedback propose-merge", item=other, into=original)
    [card] = cards(kudos)
    kept = await kudos.member("sam").click(card.id, label="Not a duplicate")
    assert not kept.failed, reply_text(kept)
    assert "Not a duplicate, said" in kudos.emu.message(card.id).content
    assert (await item_row(kudos, other)).status == "new" and await points(kudos, "bob", "curation") == 0
    assert not kudos.emu.message(card.id).components  # no Merge left to press
    again = await kudos.member("bob").slash("feedback propose-merge", item=other, into=original)
    assert "not a duplicate" in reply_text(again)
    self_merge = await kudos.member("bob").slash("feedback propose-merge", item=other, into=other)
    assert "itself" in reply_text(self_merge)
    assert [p.state for p in await proposals(kudos)] == ["declined"]
    assert [r.action for r in await audit_rows(kudos, "feedback.merge_")] == ["feedback.merge_proposed",
                                                                               "feedback.merge_declined"]


async def test_a_proposal_merged_with_feedback_status_is_settled_and_its_card_closed(kudos: Harness) -> None:
    """Staff merge the proposed report with /feedback status instead of the card: the proposal is merged too,
    the proposer credited as by the card (the report went where they said), and the card loses its buttons."""
    original = await idea(kudos, "alice", "Dark mode")
    dup = await idea(kudos, "carol", "Night theme")
    elsewhere = await idea(kudos, "alice", "Export to PDF")
    other = await idea(kudos, "carol", "PDF export")
    await give(kudos, "bob", 20)
    await kudos.member("bob").slash("feedback propose-merge", item=dup, into=original)
    await kudos.member("bob").slash("feedback propose-merge", item=other, into=original)
    first, second = cards(kudos)

    done = await kudos.member("sam").slash("feedback status", status="duplicate", item=dup, of=original)
    assert not done.failed, reply_text(done)
    card = kudos.emu.message(first.id)
    assert f"Merged by <@{kudos.members['sam']}>: #{dup} into #{original}" in card.content, card.content
    assert "Curation credit for" in card.content and not card.components
    assert await points(kudos, "bob", "curation") == 3

    # merged somewhere else than proposed: settled, not credited
    await kudos.advance(timedelta(days=1))  # a fresh daily cap, so the missing credit is the target's doing
    await kudos.member("sam").slash("feedback status", status="duplicate", item=other, of=elsewhere)
    card = kudos.emu.message(second.id)
    assert f"#{other} into #{elsewhere}" in card.content and "Curation credit" not in card.content
    assert not card.components and await points(kudos, "bob", "curation") == 3
    assert [(p.state, p.credited) for p in await proposals(kudos)] == [("merged", True), ("merged", False)]
    settled = [r.details for r in await audit_rows(kudos, "feedback.merge_confirmed")]
    assert [(d["credited"], d["by"]) for d in settled] == [(True, "status"), (False, "status")]
