"""Earning a reward again after a demotion (issue #20, items 1 and 7), end to end on the emulator.

Per grant kind: the role comes back when the member climbs over the threshold again; a perk code is not handed
out twice; bonus points are not paid twice. The member's DMs name the role and the server, never a rule or
grant id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.rewards.tables import grants, perk_codes
from bot.sandbox.harness import Harness, RoleSpec, WorldSpec

CODES = ["TRUST-CODE-0001", "TRUST-CODE-0002", "TRUST-CODE-0003"]


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.roles += [RoleSpec("Trusted")]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "low_stock_warning": 0}],
        "rewards": [
            {"name": "trusted-20", "trigger": {"points": 20}, "role": "Trusted", "demote": True,
             "perk_pool": "storage", "bonus_points": 5, "dm": "Welcome to the trusted circle! Code: {code}"},
        ],
    }}}


async def credit(h: Harness, name: str, points: int, key: str) -> Any:
    assert h.bot is not None
    result = await h.bot.app.ledger.credit(h.guild_id, h.members[name], "answer", source_key=key,
                                           actor_id=None, points=points)
    await h.settle()
    return result


async def member_grants(h: Harness, name: str) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(grants).where(grants.c.user_id == h.members[name])
                                       .order_by(grants.c.id)))


def dm_texts(h: Harness, name: str) -> list[str]:
    return [str(e.get("description") or "") for m in h.member(name).dms() for e in m.embeds]


def dm_footers(h: Harness, name: str) -> list[str]:
    return [str((e.get("footer") or {}).get("text") or "") for m in h.member(name).dms() for e in m.embeds]


async def next_reward(h: Harness, name: str) -> str:
    reply = await h.member(name).slash("profile")
    fields = {f["name"]: f["value"] for f in reply.embeds[0].get("fields", [])}
    return str(fields.get("Next reward", ""))


async def test_a_demoted_role_comes_back_but_the_code_and_the_bonus_do_not(kudos: Harness) -> None:
    reply = await kudos.member("sam").slash("perks add-codes", pool="storage", codes=" ".join(CODES))
    assert "Added" in (reply.content or "")
    first = await credit(kudos, "carol", 20, "c1")
    carol = kudos.member("carol")
    assert "Trusted" in carol.roles()
    assert len(dm_texts(kudos, "carol")) == 1 and "TRUST-CODE" in dm_texts(kudos, "carol")[0]
    assert kudos.bot is not None
    assert (await kudos.bot.app.ledger.profile(kudos.guild_id, kudos.members["carol"])).total_points == 25

    # below the line (90% of 20) for demote_after_days: the role goes, with a DM naming the role
    await kudos.bot.app.ledger.reverse(kudos.guild_id, first.contribution_id, actor_id=None, reason="test")
    await kudos.settle()
    await kudos.advance(timedelta(days=14, minutes=5))
    assert "Trusted" not in carol.roles()
    demotion = dm_texts(kudos, "carol")[-1]
    assert "**Trusted** role was removed" in demotion
    assert "can be earned again" in demotion and "reach 20 points again" in demotion
    assert "trusted-20" not in demotion  # the rule's id is internal
    # /profile offers the role again (not "All rewards earned"), and only the role
    shown = await next_reward(kudos, "carol")
    assert "All rewards earned" not in shown
    assert "(again)" in shown and "code" not in shown and "bonus" not in shown and "5/20 points" in shown

    # climbing back over the threshold gives the role again; no second code, no second bonus
    second = await credit(kudos, "carol", 15, "c2")
    assert "Trusted" in carol.roles()
    rows = await member_grants(kudos, "carol")
    assert sorted((r.action, r.status) for r in rows) == [
        ("perk", "delivered"), ("points", "delivered"), ("role_add", "delivered"), ("role_add", "revoked"),
        ("role_remove", "delivered")]
    async with kudos.bot.db.connect() as conn:
        handed = list(await conn.execute(select(perk_codes.c.id).where(perk_codes.c.assigned_to.is_not(None))))
    assert len(handed) == 1
    assert (await kudos.bot.app.ledger.profile(kudos.guild_id, kudos.members["carol"])).total_points == 20
    assert sum("TRUST-CODE" in t for t in dm_texts(kudos, "carol")) == 1
    # every DM's footer is the server's name: no "reward #<id>"
    assert dm_footers(kudos, "carol") and all("#" not in f for f in dm_footers(kudos, "carol"))
    assert all(f == kudos.emu.state.guilds[kudos.guild_id].name for f in dm_footers(kudos, "carol"))

    # demoted again: the role can be earned a third time (the second earning was its role alone)
    await kudos.bot.app.ledger.reverse(kudos.guild_id, second.contribution_id, actor_id=None, reason="test")
    await kudos.settle()
    await kudos.advance(timedelta(days=14, minutes=5))
    assert "Trusted" not in carol.roles()
    await credit(kudos, "carol", 15, "c4")
    assert "Trusted" in carol.roles()
    assert len([r for r in await member_grants(kudos, "carol") if r.action == "perk"]) == 1
