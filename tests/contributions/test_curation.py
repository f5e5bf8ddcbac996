"""Curation: "Feature this post" (curators by role or by points) and the starboard."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.harness import Harness, MemberSpec, WorldSpec
from tests.contributions._helpers import capture_events, featured_rows, ledger_rows, points, reply_text


@pytest.fixture
def world() -> WorldSpec:
    spec = WorldSpec.default()
    spec.members += [MemberSpec("dan"), MemberSpec("newbie", account_age_days=2)]
    return spec


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "ledger": {"receipts": "dm"},
        "curation": {"starboard_threshold": 3, "starboard_min_account_age_days": 7},
    }}}


def showcase_cards(kudos: Harness) -> list[Any]:
    return [m for m in kudos.emu.messages(kudos.channel_id("showcase")) if m.author_id == kudos.emu.bot_user_id]


async def test_curator_features_a_post(kudos: Harness) -> None:
    events = capture_events(kudos)
    post = await kudos.member("bob").say("I built a timelapse rig with the Acme camera @everyone", in_="general")
    inter = await kudos.member("carol").context_menu("Feature this post", message_id=post.id)
    assert "Featured in" in reply_text(inter)
    cards = showcase_cards(kudos)
    assert len(cards) == 1
    card = cards[0]
    embed = card.embeds[0]
    assert embed["url"].endswith(f"/{post.id}") and "timelapse rig" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["By"] == f"<@{kudos.members['bob']}>" and fields["Featured"] == f"by <@{kudos.members['carol']}>"
    assert embed["author"]["name"] == "bob"
    buttons = [c for row in card.components for c in row.get("components", [])]
    assert buttons[0]["url"].endswith(f"/{post.id}")
    assert card.allowed_mentions == {"parse": []}  # echoing member text never pings
    assert await points(kudos, "bob", "creation") == 8
    assert await points(kudos, "carol", "curation") == 3
    assert [(e.name, e.user_id) for e in events] == [("post_featured", kudos.members["bob"])]
    rows = await featured_rows(kudos)
    assert [(r.message_id, r.via, r.featured_by, r.showcase_message_id) for r in rows] == [
        (post.id, "curator", kudos.members["carol"], card.id)]
    assert any("You earned kudos" in m.content for m in kudos.member("bob").dms())
    again = await kudos.member("sam").context_menu("Feature this post", message_id=post.id)
    assert "already featured" in reply_text(again)
    assert len(showcase_cards(kudos)) == 1 and len(await ledger_rows(kudos)) == 2


async def test_forum_post_card_uses_the_post_title(kudos: Harness) -> None:
    thread, starter = await kudos.member("bob").post("My desk setup", in_="help", content="Photos inside")
    await kudos.member("carol").context_menu("Feature this post", message_id=starter.id)
    assert showcase_cards(kudos)[0].embeds[0]["title"] == "My desk setup"


async def test_non_curators_and_own_posts_are_refused_curators_by_points_allowed(kudos: Harness) -> None:
    post = await kudos.member("bob").say("my mod", in_="general")
    refused = await kudos.member("alice").context_menu("Feature this post", message_id=post.id)
    assert "Only curators" in reply_text(refused) and "100 points" in reply_text(refused)
    own = await kudos.member("carol").say("my own thing", in_="general")
    mine = await kudos.member("carol").context_menu("Feature this post", message_id=own.id)
    assert "can't feature your own post" in reply_text(mine)
    assert showcase_cards(kudos) == [] and await ledger_rows(kudos) == []
    # 100 points make alice a trusted curator
    await kudos.member("sam").slash("contrib give", member=kudos.members["alice"], kind="beta", points=100,
                                    reason="ran the spring beta")
    ok = await kudos.member("alice").context_menu("Feature this post", message_id=post.id)
    assert "Featured in" in reply_text(ok) and await points(kudos, "alice", "curation") == 3


async def test_showcase_post_failing_credits_nothing(kudos: Harness) -> None:
    post = await kudos.member("bob").say("a great guide", in_="general")
    kudos.emu.faults.add("POST /channels/{channel_id}/messages", status=403, count=1)
    inter = await kudos.member("carol").context_menu("Feature this post", message_id=post.id)
    assert "Discord refused" in reply_text(inter) or "missing" in reply_text(inter)
    assert showcase_cards(kudos) == [] and await ledger_rows(kudos) == [] and await featured_rows(kudos) == []
    ok = await kudos.member("carol").context_menu("Feature this post", message_id=post.id)
    assert "Featured in" in reply_text(ok)


async def test_starboard_counts_distinct_eligible_reactors(kudos: Harness) -> None:
    events = capture_events(kudos)
    post = await kudos.member("alice").say("Sunset shot on the new lens", in_="general")
    robot = kudos.emu.add_member(kudos.guild_id, "robot", bot=True, account_age_days=400)
    await kudos.member("alice").react(post.id, "⭐")  # the author's own star
    await kudos.emu.add_reaction(post.channel_id, post.id, robot.user_id, "⭐")  # a bot
    await kudos.settle()
    await kudos.member("newbie").react(post.id, "⭐")  # a 2-day-old account
    await kudos.member("bob").react(post.id, "⭐")
    await kudos.member("carol").react(post.id, "🔥")  # another emoji
    await kudos.member("dan").react(post.id, "⭐")
    assert showcase_cards(kudos) == [] and await ledger_rows(kudos) == []  # 6 stars, 2 count
    await kudos.member("mia").react(post.id, "⭐")
    cards = showcase_cards(kudos)
    assert len(cards) == 1 and "3 members reacted ⭐" in {f["value"] for f in cards[0].embeds[0]["fields"]}
    assert await points(kudos, "alice", "creation") == 8
    rows = await ledger_rows(kudos)
    assert [(r.kind, r.actor_id) for r in rows] == [("creation", None)]  # no curator credit for a starboard
    assert [e.name for e in events] == ["post_featured"]
    await kudos.member("sam").react(post.id, "⭐")
    assert len(showcase_cards(kudos)) == 1 and len(await ledger_rows(kudos)) == 1
    assert (await featured_rows(kudos))[0].via == "starboard"


async def test_starboard_on_a_post_the_bot_has_not_cached(kudos: Harness) -> None:
    """Stars before a restart and after it add up: a post missing from discord.py's message cache is fetched
    (its stars are read from Discord), a cached one is judged from the cached count without a request."""
    post = await kudos.member("alice").say("Long exposure of the harbour", in_="general")
    await kudos.member("bob").react(post.id, "⭐")
    await kudos.member("dan").react(post.id, "⭐")
    await kudos.restart()  # the message cache starts empty: the post is no longer cached
    assert all(m.id != post.id for m in kudos.bot.cached_messages)
    assert showcase_cards(kudos) == []
    fetches_before = sum(1 for r in kudos.emu.request_log if r.method == "GET" and r.path.endswith(f"/messages/{post.id}"))
    await kudos.member("mia").react(post.id, "⭐")  # the third star counts the two from before the restart
    cards = showcase_cards(kudos)
    assert len(cards) == 1 and "3 members reacted ⭐" in {f["value"] for f in cards[0].embeds[0]["fields"]}
    fetched = sum(1 for r in kudos.emu.request_log if r.method == "GET" and r.path.endswith(f"/messages/{post.id}"))
    assert fetched > fetches_before  # read from Discord, not from the (empty) cache

    cached = await kudos.member("alice").say("Fresh post after the restart", in_="general")
    await kudos.settle()
    assert any(m.id == cached.id for m in kudos.bot.cached_messages)
    mark = len(kudos.emu.request_log)
    await kudos.member("bob").react(cached.id, "⭐")
    await kudos.member("dan").react(cached.id, "⭐")
    assert not [r for r in kudos.emu.request_log[mark:] if r.path.endswith(f"/messages/{cached.id}")
                or f"/messages/{cached.id}/reactions" in r.path]  # below the threshold: no request at all
    await kudos.member("mia").react(cached.id, "⭐")
    assert len(showcase_cards(kudos)) == 2
