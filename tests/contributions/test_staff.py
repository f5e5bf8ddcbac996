"""Guides, staff tools (/contrib give|revoke|history|explain, audited), /profile and /leaderboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.ledger import ContributionEvent
from bot.platform.tables import audit_log
from bot.sandbox.harness import ChannelSpec, Harness, WorldSpec
from tests.contributions._helpers import ledger_rows, points, post_with_reply, reply_text


@pytest.fixture
def world() -> WorldSpec:
    spec = WorldSpec.default()
    spec.channels.append(ChannelSpec("guides", "forum", ["Guide"]))
    return spec


def _config() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"guilds": {"default": {
        "creation": {"channels": ["guides"]},
        "seasons": [{"id": "now", "starts": now - timedelta(days=10), "ends": now + timedelta(days=80)}],
    }}}


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return _config()


async def audit_actions(kudos: Harness) -> list[tuple[str, int | None, int | None]]:
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        rows = await conn.execute(select(audit_log).order_by(audit_log.c.id))
        return [(r.action, r.actor_id, r.target_id) for r in rows]


async def test_guide_approval(kudos: Harness) -> None:
    thread, starter = await kudos.member("bob").post("Setting up RAW export", in_="guides", content="Step 1 …")
    denied = await kudos.member("alice").context_menu("Approve guide", message_id=starter.id)
    assert "Only staff" in reply_text(denied)
    ok = await kudos.member("sam").context_menu("Approve guide", message_id=starter.id)
    assert ok.ephemeral and "Guide approved" in reply_text(ok) and "+8 creation" in reply_text(ok)
    rows = await ledger_rows(kudos, "bob")
    assert [(r.kind, r.points, r.actor_id, r.thread_id) for r in rows] == [
        ("creation", 8, kudos.members["sam"], thread.id)]
    await kudos.member("mia").set_roles(["Staff"])
    again = await kudos.member("mia").context_menu("Approve guide", message_id=starter.id)
    assert "already approved" in reply_text(again)
    elsewhere = await kudos.member("bob").say("my guide in general", in_="general")
    wrong = await kudos.member("sam").context_menu("Approve guide", message_id=elsewhere.id)
    assert "guide channels" in reply_text(wrong)
    _, own = await kudos.member("sam").post("Staff guide", in_="guides", content="…")
    mine = await kudos.member("sam").context_menu("Approve guide", message_id=own.id)
    assert "own guide" in reply_text(mine)
    assert len(await ledger_rows(kudos)) == 1


async def test_contrib_give_revoke_and_audit(kudos: Harness) -> None:
    assert kudos.bot is not None
    changes: list[Any] = []

    async def hook(conn: Any, event: Any) -> None:
        changes.append((event.action, event.user_id, event.points, event.total_points))

    kudos.bot.app.bus.subscribe(ContributionEvent, hook)
    refused = await kudos.member("alice").slash("contrib give", member=kudos.members["bob"], kind="beta",
                                               reason="x")
    assert "Only staff" in reply_text(refused)
    given = await kudos.member("sam").slash("contrib give", member=kudos.members["bob"], kind="feedback_given", points=15,
                                            reason="great bug report")
    assert given.ephemeral and "+15 feedback_given" in reply_text(given)
    entry = (await ledger_rows(kudos, "bob"))[0]
    assert (entry.points, entry.actor_id, entry.reason) == (15, kudos.members["sam"], "great bug report")
    self_give = await kudos.member("sam").slash("contrib give", member=kudos.members["sam"], kind="beta",
                                                reason="me")
    assert "yourself" in reply_text(self_give)
    revoked = await kudos.member("sam").slash("contrib revoke", entry=entry.id, reason="duplicate report")
    assert f"Reversed entry #{entry.id}" in reply_text(revoked)
    assert await points(kudos, "bob") == 0
    assert [r.points for r in await ledger_rows(kudos, "bob")] == [15, -15]
    # the reversal reached the contribution hooks (how rewards re-evaluate), inside the ledger transaction
    assert changes == [("credit", kudos.members["bob"], 15, 15), ("reverse", kudos.members["bob"], -15, 0)]
    twice = await kudos.member("sam").slash("contrib revoke", entry=entry.id, reason="again")
    assert "already reversed" in reply_text(twice)
    actions = await audit_actions(kudos)
    assert ("contrib.give", kudos.members["sam"], kudos.members["bob"]) in actions
    assert ("ledger.reverse", kudos.members["sam"], kudos.members["bob"]) in actions


async def test_contrib_history_and_explain(kudos: Harness) -> None:
    thread, reply = await post_with_reply(kudos, "alice", "bob")
    await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    history = await kudos.member("sam").slash("contrib history", member=kudos.members["bob"])
    text = history.embeds[0]["description"]
    assert f"+10 answer in #help 'sync fails', accepted by <@{kudos.members['alice']}>" in text
    link = f"https://discord.com/channels/{kudos.guild_id}/{thread.id}/{reply.id}"
    explained = await kudos.member("sam").slash("contrib explain", member=kudos.members["bob"], message=link)
    body = explained.embeds[0]["description"]
    assert "+10 answer" in body and "accepted as the solution by" in body
    other = await kudos.member("bob").say("unrelated", in_="general")
    none = await kudos.member("sam").slash("contrib explain", member=kudos.members["bob"], message=str(other.id))
    assert "No record" in none.embeds[0]["description"]
    bad = await kudos.member("sam").slash("contrib explain", member=kudos.members["bob"], message="yesterday")
    assert "message link" in reply_text(bad)
    actions = [a for a, _, _ in await audit_actions(kudos)]
    assert actions.count("contrib.history") == 1 and actions.count("contrib.explain") == 2
    denied = await kudos.member("bob").slash("contrib history", member=kudos.members["bob"])
    assert "Only staff" in reply_text(denied)


async def test_profile_shows_points_stage_progress_and_receipts(kudos: Harness) -> None:
    _, reply = await post_with_reply(kudos, "alice", "bob")
    await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    await kudos.member("alice").slash("thanks", member=kudos.members["bob"], reason="patient help")
    await kudos.restart()
    shown = await kudos.member("alice").slash("profile", member=kudos.members["bob"])
    assert shown.ephemeral
    embed = shown.embeds[0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["title"] == "bob's kudos"
    assert fields["Points"].startswith("**12** points · 12 this season (now)")
    assert "answer: **10** (1)" in fields["By kind"] and "thanks: **2** (1)" in fields["By kind"]
    assert fields["Stage"].startswith("**consumer**\nNext: curator ▰▱▱▱▱▱▱▱▱▱ 12%")
    assert "1 more curation credit or 88 more points" in fields["Stage"]
    latest = fields["Latest"].splitlines()
    assert latest[0] == f"+2 thanks in #general, from <@{kudos.members['alice']}> — “patient help”"
    assert latest[1] == f"+10 answer in #help 'sync fails', accepted by <@{kudos.members['alice']}>"
    mine = await kudos.member("carol").slash("profile")
    assert "Nothing yet." in {f["value"] for f in mine.embeds[0]["fields"]}


async def test_leaderboard_periods_and_kinds(kudos: Harness) -> None:
    await kudos.member("sam").slash("contrib give", member=kudos.members["carol"], kind="creation", points=30,
                                    reason="old guide")
    await kudos.advance(timedelta(days=8))
    _, reply = await post_with_reply(kudos, "alice", "bob")
    await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    await kudos.member("bob").slash("thanks", member=kudos.members["alice"])
    board = await kudos.member("bob").slash("leaderboard")
    assert not board.ephemeral
    lines = board.embeds[0]["description"].splitlines()
    assert lines == [f"🥇 <@{kudos.members['carol']}> — 30 points", f"🥈 <@{kudos.members['bob']}> — 10 points",
                     f"🥉 <@{kudos.members['alice']}> — 2 points"]
    week = await kudos.member("bob").slash("leaderboard", period="week")
    assert week.embeds[0]["title"] == "Top contributors — this week"
    assert week.embeds[0]["description"].splitlines()[0] == f"🥇 <@{kudos.members['bob']}> — 10 points"
    answers = await kudos.member("bob").slash("leaderboard", period="all", kind="answer")
    assert answers.embeds[0]["description"] == f"🥇 <@{kudos.members['bob']}> — 10 points"
    season = await kudos.member("bob").slash("leaderboard", period="season")
    assert season.embeds[0]["title"].endswith("(now)") and "30 points" in season.embeds[0]["description"]
    await kudos.advance(timedelta(days=90))  # the season is over: history stays, no season board
    ended = await kudos.member("bob").slash("leaderboard", period="season")
    assert ended.ephemeral and "No season is running" in reply_text(ended)
    assert await points(kudos, "carol") == 30


async def test_refusals_are_worded_for_the_askers_role(kudos: Harness) -> None:
    """A staff command refused: a plain member is told to ask a moderator; a moderator (who is one) is told to
    ask a staff member; a curator hears their role doesn't include it. Nothing is credited."""
    options = {"member": kudos.members["alice"], "kind": "answer", "reason": "nice"}
    plain = reply_text(await kudos.member("bob").slash("contrib give", **options))
    assert "Only staff members can use this." in plain and "Ask a moderator if you think you should." in plain
    moderator = reply_text(await kudos.member("mia").slash("contrib give", **options))
    assert "Only staff members can use this." in moderator and "ask a moderator" not in moderator.lower()
    assert "Moderators aren't staff here: ask a staff member or a server admin" in moderator
    curator = reply_text(await kudos.member("carol").slash("contrib give", **options))
    assert "Your curator role doesn't include it: ask a moderator" in curator
    assert await ledger_rows(kudos, "alice") == []
