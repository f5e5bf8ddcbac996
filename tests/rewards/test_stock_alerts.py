"""Perk pool alerts end to end (issue #20, item 2): "running low" and "out of codes" are two alerts, each with
the number of members waiting, and a member left waiting hears that their code is on its way."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.harness import Harness, MemberSpec, WorldSpec

CODES = ["STOCK-CODE-0001", "STOCK-CODE-0002", "STOCK-CODE-0003", "STOCK-CODE-0004"]


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.members += [MemberSpec("dave", dms_open=False)]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "low_stock_warning": 2}],
        "rewards": [{"name": "first-answer", "trigger": {"kind": "answer", "count": 1}, "perk_pool": "storage",
                     "dm": "Thanks! Your code: {code}"}],
    }}}


async def answer(h: Harness, name: str) -> None:
    assert h.bot is not None
    await h.bot.app.ledger.credit(h.guild_id, h.members[name], "answer", source_key=f"answer:{name}", actor_id=None)
    await h.settle()


def staff_log(h: Harness) -> list[str]:
    return [m.content or "" for m in h.emu.messages(h.channel_id("staff-log"))]


def dm_texts(h: Harness, name: str) -> list[str]:
    return [str(e.get("description") or "") for m in h.member(name).dms() for e in m.embeds]


async def test_low_then_empty_alerts_with_the_members_waiting(kudos: Harness) -> None:
    reply = await kudos.member("sam").slash("perks add-codes", pool="storage", codes=" ".join(CODES[:2]))
    assert "Added 2" in (reply.content or "")
    await answer(kudos, "alice")  # 1 code left < 2: running low
    low = [t for t in staff_log(kudos) if "running low" in t]
    assert low == ["Perk pool **storage** is running low (codes left: 1; members waiting for a code: 0)."]
    await answer(kudos, "bob")  # the last code: no second "running low" in this dip
    assert len([t for t in staff_log(kudos) if "running low" in t]) == 1
    assert not [t for t in staff_log(kudos) if "out of codes" in t]
    await answer(kudos, "carol")  # nothing left: carol waits, and staff hear it (it used to be silent here)
    empty = [t for t in staff_log(kudos) if "out of codes" in t]
    assert empty == ["Perk pool **storage** is out of codes (members waiting for a code: 1). Their rewards "
                     "wait until `/perks add-codes` restocks it."]
    # carol is told her code is on its way, by DM and in /perks mine
    assert [t for t in dm_texts(kudos, "carol") if "on its way" in t] == [
        "You earned a code from **storage**: it is on its way. The pool is being restocked, and I'll send it to "
        "you as soon as it is (`/perks mine` shows it then)."]
    mine = await kudos.member("carol").slash("perks mine")
    assert "**storage**: your code is on its way" in (mine.content or "")
    # dave (DMs closed) waits too: /perks mine tells him; his closed DMs are no failure for staff
    await answer(kudos, "dave")
    assert "on its way" in ((await kudos.member("dave").slash("perks mine")).content or "")
    assert not [t for t in staff_log(kudos) if "failed" in t]
    assert len([t for t in staff_log(kudos) if "out of codes" in t]) == 1  # one alert per dip
    # a restock delivers the waiting codes, and the new dip alerts again
    reply = await kudos.member("sam").slash("perks add-codes", pool="storage", codes=" ".join(CODES[2:]))
    assert "Added 2" in (reply.content or "")
    assert sum(c in t for t in dm_texts(kudos, "carol") for c in CODES[2:]) == 1
    assert len([t for t in staff_log(kudos) if "running low" in t]) == 2
    mine = await kudos.member("carol").slash("perks mine")
    assert any(c in (mine.content or "") for c in CODES[2:]) and "on its way" not in (mine.content or "")
    assert "#" not in (mine.content or "")  # pool names, never code ids
