"""Ladder role groups end to end: replace mode keeps only the highest role earned, stacked mode keeps all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.rewards.tables import grants
from bot.sandbox.harness import Harness, RoleSpec, WorldSpec

PUT_ROLE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
DELETE_ROLE = "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
TIERS = ["Bronze", "Silver", "Gold"]


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.roles += [RoleSpec(name) for name in (*TIERS, "Regular", "Veteran")]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    tier = {"role_group": "tier", "replace_in_group": True}
    return {"guilds": {"default": {"rewards": [
        # listed highest first: the order of the rules must not matter
        {"name": "gold", "trigger": {"points": 60}, "role": "Gold", **tier},
        {"name": "silver", "trigger": {"points": 40}, "role": "Silver", "demote": True, **tier},
        {"name": "bronze", "trigger": {"points": 20}, "role": "Bronze", **tier},
        {"name": "regular", "trigger": {"points": 20}, "role": "Regular", "role_group": "badges"},
        {"name": "veteran", "trigger": {"points": 40}, "role": "Veteran", "role_group": "badges"},
    ]}}}


async def credit(h: Harness, name: str, points: int, key: str) -> Any:
    assert h.bot is not None
    result = await h.bot.app.ledger.credit(h.guild_id, h.members[name], "answer", source_key=key,
                                                actor_id=None, points=points)
    await h.settle()
    return result


def role_puts(h: Harness, user: str, role: str) -> int:
    path_end = f"/members/{h.members[user]}/roles/{h.role_id(role)}"
    return sum(1 for r in h.emu.requests(PUT_ROLE) if r.path.endswith(path_end))


async def group_grants(h: Harness, user: str) -> dict[str, list[str]]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        rows = list(await conn.execute(select(grants).where(grants.c.user_id == h.members[user],
                                                            grants.c.action == "role_add").order_by(grants.c.id)))
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.rule_name, []).append(row.status)
    return out


def tiers(h: Harness, user: str) -> list[str]:
    return [r for r in h.member(user).roles() if r in TIERS]


async def test_replace_mode_moves_up_the_ladder_once_across_a_restart(kudos: Harness) -> None:
    await credit(kudos, "alice", 20, "a1")
    assert tiers(kudos, "alice") == ["Bronze"]
    await kudos.restart()
    await credit(kudos, "alice", 20, "a2")
    assert tiers(kudos, "alice") == ["Silver"]  # reaching silver took bronze away
    await kudos.restart()
    for i in range(3):  # more activity above both thresholds: no ping-pong between the tier roles
        await credit(kudos, "alice", 5, f"a3-{i}")
    await kudos.advance(timedelta(minutes=5))
    assert tiers(kudos, "alice") == ["Silver"]
    assert role_puts(kudos, "alice", "Bronze") == 1 and role_puts(kudos, "alice", "Silver") == 1
    assert await group_grants(kudos, "alice") == {
        "bronze": ["revoked"], "silver": ["delivered"], "regular": ["delivered"], "veteran": ["delivered"]}
    # stacked mode keeps both badges
    assert {"Regular", "Veteran"} <= set(kudos.member("alice").roles())
    history = await kudos.member("sam").slash("rewards history", member=kudos.members["alice"])
    assert "bronze" in (history.content or "") and "silver" in (history.content or "")


async def test_crossing_several_rungs_at_once_gives_only_the_highest(kudos: Harness) -> None:
    await credit(kudos, "bob", 65, "b1")
    await kudos.advance(timedelta(minutes=5))
    assert tiers(kudos, "bob") == ["Gold"]
    assert role_puts(kudos, "bob", "Bronze") == 0 and role_puts(kudos, "bob", "Silver") == 0
    await credit(kudos, "bob", 5, "b2")
    assert tiers(kudos, "bob") == ["Gold"]
    got = await group_grants(kudos, "bob")
    assert got["gold"] == ["delivered"]
    assert got.get("silver", []) in ([], ["revoked"]) and got.get("bronze", []) in ([], ["revoked"])
    assert {"Regular", "Veteran"} <= set(kudos.member("bob").roles())  # stacked: both


async def test_demoted_from_a_rung_falls_back_to_the_one_below(kudos: Harness) -> None:
    await credit(kudos, "carol", 20, "c1")
    result = await credit(kudos, "carol", 20, "c2")
    assert tiers(kudos, "carol") == ["Silver"]
    assert kudos.bot is not None
    await kudos.bot.app.ledger.reverse(kudos.guild_id, result.contribution_id, actor_id=None,
                                            reason="test: points taken back")
    await kudos.settle()
    assert tiers(kudos, "carol") == ["Silver"]  # hysteresis: not at once
    await kudos.advance(timedelta(days=13))
    assert tiers(kudos, "carol") == ["Silver"]
    await kudos.advance(timedelta(days=1, minutes=5))
    assert tiers(kudos, "carol") == ["Bronze"]  # 20 points still earn bronze
    assert any("removed" in (e.get("description") or "") for m in kudos.member("carol").dms() for e in m.embeds)
    await kudos.restart()
    await credit(kudos, "carol", 1, "c3")
    assert tiers(kudos, "carol") == ["Bronze"]
    assert role_puts(kudos, "carol", "Bronze") == 2  # given, replaced, given back: once each time
