"""Rewards over a pool's budget wait for staff: persistent Approve / Reject buttons in the staff log."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.rewards.tables import grants, perk_codes
from bot.sandbox.harness import Harness, MemberSpec, WorldSpec

CODES = ["ACME-BETA-0001", "ACME-BETA-0002", "ACME-BETA-0003", "ACME-BETA-0004"]


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.members.append(MemberSpec("erin", roles=["Staff"]))
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "budget": 1, "budget_period_days": 30, "low_stock_warning": 0}],
        "rewards": [{"name": "helper", "trigger": {"kind": "answer", "count": 1}, "perk_pool": "storage"}],
    }}}


async def earn(h: Harness, name: str) -> None:
    assert h.bot is not None
    await h.bot.app.ledger.credit(h.guild_id, h.members[name], "answer", source_key=f"answer:{name}",
                                       actor_id=None)
    await h.settle()


def approval_message(h: Harness, name: str) -> Any:
    found = [m for m in h.emu.messages(h.channel_id("staff-log"))
             if f"<@{h.members[name]}>" in (m.content or "") and "waits for approval" in (m.content or "")]
    assert len(found) == 1, [m.content for m in h.emu.messages(h.channel_id("staff-log"))]
    return found[0]


async def perk_grant(h: Harness, name: str) -> Any:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        rows = list(await conn.execute(select(grants).where(grants.c.user_id == h.members[name],
                                                            grants.c.action == "perk")))
    assert len(rows) == 1
    return rows[0]


def codes_in(h: Harness, name: str) -> list[str]:
    text = " ".join(e.get("description") or "" for m in h.member(name).dms() for e in m.embeds)
    return [c for c in CODES if c in text]


async def test_staff_approve_and_reject_with_persistent_buttons(kudos: Harness) -> None:
    sam = kudos.member("sam")
    added = await sam.slash("perks add-codes", pool="storage", codes=" ".join(CODES))
    assert "Added" in (added.content or "")
    await earn(kudos, "alice")
    assert len(codes_in(kudos, "alice")) == 1  # within the budget: no approval needed
    await earn(kudos, "bob")
    await earn(kudos, "carol")
    assert codes_in(kudos, "bob") == [] and codes_in(kudos, "carol") == []
    bob_msg, carol_msg = approval_message(kudos, "bob"), approval_message(kudos, "carol")
    assert all(c not in (bob_msg.content or "") for c in CODES)
    held = await perk_grant(kudos, "bob")
    assert held.status == "pending" and held.hold == "approval"

    # a plain member (or a moderator) can't approve, not even their own reward
    refused = await kudos.member("bob").click(bob_msg.id, label="Approve")
    assert refused.ephemeral and "Only staff" in (refused.content or "")
    refused = await kudos.member("mia").click(bob_msg.id, label="Approve")
    assert refused.ephemeral and "Only staff" in (refused.content or "")
    assert (await perk_grant(kudos, "bob")).hold == "approval"
    assert codes_in(kudos, "bob") == []

    # the buttons are DynamicItems: they still work after a restart
    await kudos.restart()
    approved, again = await asyncio.gather(sam.click(bob_msg.id, label="Approve"),
                                           kudos.member("erin").click(bob_msg.id, label="Approve"))
    await kudos.settle()
    answers = sorted([approved.content or "", again.content or ""])
    assert sum("approved by" in a for a in answers) == 1, answers  # two clicks at once: one approval
    assert any("not waiting for approval" in a for a in answers), answers  # the other: told, not applied
    edited = kudos.emu.message(bob_msg.id)
    assert "approved by" in (edited.content or "") and not edited.components  # buttons gone
    assert len(codes_in(kudos, "bob")) == 1 and len(kudos.member("bob").dms()) == 1
    assert (await perk_grant(kudos, "bob")).status == "delivered"

    rejected = await sam.click(carol_msg.id, label="Reject")
    assert "rejected by" in (rejected.content or "")
    carol = await perk_grant(kudos, "carol")
    assert carol.status == "revoked" and carol.hold is None
    await kudos.restart()
    assert codes_in(kudos, "carol") == [] and kudos.member("carol").dms() == []
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        assigned = list(await conn.execute(select(perk_codes.c.assigned_to).where(
            perk_codes.c.assigned_to.is_not(None))))
    assert sorted(r[0] for r in assigned) == sorted([kudos.members["alice"], kudos.members["bob"]])
    history = await sam.slash("rewards history", member=kudos.members["carol"])
    assert "revoked" in (history.content or "") and "rejected by staff" in (history.content or "")
