"""The receipt sent when credit held for new-member probation is released: once, with the right numbers,
across restarts, retried after a failed send without touching the release, and never when receipts are off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.contributions import RELEASE_RECEIPT
from bot.platform.tables import timers
from bot.sandbox.harness import Harness, MemberSpec, WorldSpec
from tests.contributions._helpers import ledger_rows, points

MESSAGES = "POST /channels/{channel_id}/messages"


@pytest.fixture
def world() -> WorldSpec:
    spec = WorldSpec.default()
    spec.members += [MemberSpec("newbie", joined_days_ago=1), MemberSpec("shy", joined_days_ago=2, dms_open=False)]
    return spec


def _config(receipts: str) -> dict[str, Any]:
    return {"guilds": {"default": {
        "ledger": {"receipts": receipts},
        "caps": {"probation_days": 7, "thanks_pair_cooldown_hours": 0},
    }}}


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return _config("dm")


async def hold_credit(kudos: Harness, name: str) -> None:
    """Three held contributions, 14 points: two thanks (2 each) and a staff-given answer (10)."""
    await kudos.member("alice").slash("thanks", member=kudos.members[name])
    await kudos.member("bob").slash("thanks", member=kudos.members[name])
    given = await kudos.member("sam").slash("contrib give", member=kudos.members[name], kind="answer",
                                            reason="helped in voice chat")
    assert "held until" in (given.content or ""), given.content
    assert [r.status for r in await ledger_rows(kudos, name)] == ["pending"] * 3
    assert await points(kudos, name) == 0


def released_dms(kudos: Harness, name: str) -> list[str]:
    return [m.content for m in kudos.member(name).dms() if "Kudos released" in (m.content or "")]


async def receipt_timers(kudos: Harness) -> list[Any]:
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        return list(await conn.execute(select(timers).where(timers.c.event == RELEASE_RECEIPT)))


async def test_release_sends_one_receipt_with_the_numbers(kudos: Harness) -> None:
    await hold_credit(kudos, "newbie")
    assert released_dms(kudos, "newbie") == []
    await kudos.advance(timedelta(days=6, hours=1))  # probation (joined 1 day ago, 7 days) is over
    assert await points(kudos, "newbie") == 14
    assert released_dms(kudos, "newbie") == [
        "**Kudos released** in Acme Community: Your new-member probation ended: +14 points released "
        "(3 contributions). You now have 14 points."]
    dm = next(m for m in kudos.member("newbie").dms() if "Kudos released" in (m.content or ""))
    assert dm.allowed_mentions == {"parse": []}
    await kudos.restart()  # a restart neither releases nor sends it again
    await kudos.advance(timedelta(days=2))  # the daily sweep runs the release again: nothing left to release
    assert len(released_dms(kudos, "newbie")) == 1
    assert await points(kudos, "newbie") == 14
    assert [t.status for t in await receipt_timers(kudos)] == ["done"]
    assert kudos.bot is not None and await kudos.bot.app.ledger.totals_consistent(kudos.guild_id)


async def test_a_failed_send_is_retried_and_the_release_stands(kudos: Harness) -> None:
    await hold_credit(kudos, "newbie")
    await hold_credit(kudos, "shy")
    await kudos.advance(timedelta(days=5, hours=1))  # shy joined a day earlier: released first
    assert await points(kudos, "shy") == 14 and await points(kudos, "newbie") == 0
    fault = kudos.emu.faults.add(MESSAGES, status=400, count=1)  # newbie's receipt DM fails once
    await kudos.advance(timedelta(days=1))
    assert fault.hits == 1
    assert await points(kudos, "newbie") == 14 and await points(kudos, "shy") == 14  # released once, both
    assert len(released_dms(kudos, "newbie")) == 0
    states = sorted((t.payload["user_id"] == kudos.members["shy"], t.status, t.attempts)
                    for t in await receipt_timers(kudos))
    # newbie's receipt waits for a retry; shy's DMs are closed: dropped (logged) like every receipt, not retried
    assert states == [(False, "pending", 1), (True, "done", 1)]
    await kudos.restart()
    await kudos.advance(timedelta(hours=1))  # the retry
    assert len(released_dms(kudos, "newbie")) == 1 and "+14 points released" in released_dms(kudos, "newbie")[0]
    await kudos.advance(timedelta(days=2))
    assert len(released_dms(kudos, "newbie")) == 1
    assert await points(kudos, "newbie") == 14 and await points(kudos, "shy") == 14
    assert [r.status for r in await ledger_rows(kudos, "newbie")] == ["counted"] * 3
    assert kudos.bot is not None and await kudos.bot.app.ledger.totals_consistent(kudos.guild_id)


@pytest.mark.parametrize("bot_config", [_config("off"), _config("ephemeral")])
async def test_no_release_receipt_unless_receipts_are_dms(kudos: Harness) -> None:
    await hold_credit(kudos, "newbie")
    await kudos.advance(timedelta(days=6, hours=1))
    assert await points(kudos, "newbie") == 14
    assert released_dms(kudos, "newbie") == [] and kudos.member("newbie").dms() == []
    assert await receipt_timers(kudos) == []
