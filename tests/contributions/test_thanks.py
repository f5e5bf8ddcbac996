"""Peer thanks and the fairness rules: self, daily giving cap, pair cooldown, distinct giver, daily points cap,
probation (held, then released by a durable timer), reciprocal-ring report in the staff log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox.harness import Harness, MemberSpec, WorldSpec
from tests.contributions._helpers import ledger_rows, points, reply_text


@pytest.fixture
def world() -> WorldSpec:
    spec = WorldSpec.default()
    spec.members += [MemberSpec("dan"), MemberSpec("newbie", joined_days_ago=1)]
    return spec


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "ledger": {"receipts": "dm", "ring_min_exchanges": 4},
        "caps": {"thanks_given_per_day": 3, "thanks_pair_cooldown_hours": 24, "probation_days": 7,
                 "points_per_kind_per_day": {"thanks": 4}},
    }}}


async def test_thanks_credits_with_a_receipt(kudos: Harness) -> None:
    inter = await kudos.member("alice").slash("thanks", member=kudos.members["bob"], reason="fixed my <@&1> sync")
    assert inter.ephemeral and "Thanks sent" in reply_text(inter) and "+2 thanks" in reply_text(inter)
    rows = await ledger_rows(kudos, "bob")
    assert [(r.kind, r.points, r.actor_id, r.reason) for r in rows] == [
        ("thanks", 2, kudos.members["alice"], "fixed my <@&1> sync")]
    dm = kudos.member("bob").dms()[-1]
    assert "You earned kudos" in dm.content and "fixed my" in dm.content
    assert dm.allowed_mentions == {"parse": []}


async def test_thank_context_menus(kudos: Harness) -> None:
    by_user = await kudos.member("alice").context_menu("Thank", user_id=kudos.members["bob"])
    assert "+2 thanks" in reply_text(by_user)
    msg = await kudos.member("carol").say("Here's the manual page you need", in_="general")
    by_message = await kudos.member("dan").context_menu("Thank", message_id=msg.id)
    assert "+2 thanks" in reply_text(by_message)
    again = await kudos.member("dan").context_menu("Thank", message_id=msg.id)
    assert "already thanked" in reply_text(again)
    rows = await ledger_rows(kudos)
    assert [(r.user_id, r.message_id) for r in rows] == [(kudos.members["bob"], None), (kudos.members["carol"], msg.id)]


async def test_self_bots_and_departed_members_are_refused(kudos: Harness) -> None:
    own = await kudos.member("alice").slash("thanks", member=kudos.members["alice"])
    assert own.ephemeral and "can't thank yourself" in reply_text(own)
    robot = kudos.emu.add_member(kudos.guild_id, "robot", bot=True)
    await kudos.settle()
    bot_thanks = await kudos.member("alice").slash("thanks", member=robot.user_id)
    assert "Bots don't collect kudos" in reply_text(bot_thanks)
    bob_id = kudos.members["bob"]
    await kudos.member("bob").leave()
    left = await kudos.member("alice").slash("thanks", member=bob_id)
    assert "no longer in this server" in reply_text(left)
    assert await ledger_rows(kudos) == []


async def test_daily_giving_cap(kudos: Harness) -> None:
    for name in ("bob", "carol", "dan"):
        ok = await kudos.member("alice").slash("thanks", member=kudos.members[name])
        assert "+2 thanks" in reply_text(ok)
    capped = await kudos.member("alice").slash("thanks", member=kudos.members["sam"])
    assert capped.ephemeral and "You've given all 3 thanks for today" in reply_text(capped)
    assert await points(kudos, "sam") == 0
    await kudos.advance(timedelta(days=1))
    ok = await kudos.member("alice").slash("thanks", member=kudos.members["sam"])
    assert "+2 thanks" in reply_text(ok)


async def test_pair_cooldown_and_distinct_giver(kudos: Harness) -> None:
    await kudos.member("alice").slash("thanks", member=kudos.members["bob"])
    again = await kudos.member("alice").slash("thanks", member=kudos.members["bob"])
    assert "already thanked" in reply_text(again) and "recently" in reply_text(again)
    await kudos.advance(timedelta(hours=25))
    second = await kudos.member("alice").slash("thanks", member=kudos.members["bob"])
    assert "+2 thanks" in reply_text(second)
    await kudos.advance(timedelta(hours=25))
    third = await kudos.member("alice").slash("thanks", member=kudos.members["bob"])
    assert "Spread the kudos" in reply_text(third)
    assert await points(kudos, "bob") == 4


async def test_daily_points_cap_records_zero_and_says_so(kudos: Harness) -> None:
    await kudos.member("alice").slash("thanks", member=kudos.members["bob"])
    await kudos.member("carol").slash("thanks", member=kudos.members["bob"])
    capped = await kudos.member("dan").slash("thanks", member=kudos.members["bob"])
    assert "cap" in reply_text(capped)
    rows = await ledger_rows(kudos, "bob")
    assert [(r.points, r.status) for r in rows] == [(2, "counted"), (2, "counted"), (0, "capped")]
    assert await points(kudos, "bob") == 4
    assert "without points" in kudos.member("bob").dms()[-1].content


async def test_probation_holds_credit_then_releases_it(kudos: Harness) -> None:
    inter = await kudos.member("alice").slash("thanks", member=kudos.members["newbie"])
    assert "held until" in reply_text(inter)
    rows = await ledger_rows(kudos, "newbie")
    assert [(r.points, r.status) for r in rows] == [(2, "pending")]
    assert await points(kudos, "newbie") == 0
    assert "on hold" in kudos.member("newbie").dms()[-1].content
    profile = await kudos.member("newbie").slash("profile")
    assert "2 on hold" in profile.embeds[0]["fields"][0]["value"]
    await kudos.advance(timedelta(days=5))
    assert await points(kudos, "newbie") == 0
    await kudos.restart()  # the release timer is durable
    await kudos.advance(timedelta(days=1, hours=1))
    assert await points(kudos, "newbie") == 2
    assert [r.status for r in await ledger_rows(kudos, "newbie")] == ["counted"]
    assert kudos.bot is not None and await kudos.bot.app.ledger.totals_consistent(kudos.guild_id)


@pytest.mark.parametrize("bot_config", [{"guilds": {"default": {
    "ledger": {"ring_min_exchanges": 4, "ring_window_days": 30},
    "caps": {"thanks_pair_cooldown_hours": 0},
}}}])
async def test_reciprocal_ring_is_reported_to_staff_log_not_punished(kudos: Harness) -> None:
    for _ in range(2):
        await kudos.member("alice").slash("thanks", member=kudos.members["bob"])
        await kudos.member("bob").slash("thanks", member=kudos.members["alice"])
    await kudos.member("carol").slash("thanks", member=kudos.members["dan"])
    staff_log = kudos.channel_id("staff-log")
    assert kudos.emu.messages(staff_log) == []
    await kudos.advance(timedelta(days=1))
    reports = [m for m in kudos.emu.messages(staff_log) if m.embeds]
    assert len(reports) == 1
    text = reports[0].embeds[0]["description"]
    assert f"<@{kudos.members['alice']}>" in text and f"<@{kudos.members['bob']}>" in text
    assert f"<@{kudos.members['carol']}>" not in text
    assert await points(kudos, "alice") == 4 and await points(kudos, "bob") == 4  # never auto-punished
    await kudos.advance(timedelta(days=1))  # reported once, not every day
    assert len([m for m in kudos.emu.messages(staff_log) if m.embeds]) == 1
