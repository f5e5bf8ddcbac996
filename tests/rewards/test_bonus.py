"""Bonus-point rewards end to end: credited once through the ledger, explained, no loops, exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.ledger.tables import contributions
from bot.rewards.tables import grants
from bot.sandbox.harness import Harness, RoleSpec, WorldSpec


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.roles.append(RoleSpec("Regular"))
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {"rewards": [
        {"name": "helper-bonus", "trigger": {"kind": "answer", "count": 2}, "bonus_points": 15,
         "bonus_kind": "beta"},
        # reached only thanks to the bonus: 2 answers (20) + 15 = 35
        {"name": "regular", "trigger": {"points": 30}, "role": "Regular"},
        # repeatable without a cooldown and paying points itself: its own bonus must not re-earn it
        {"name": "busy", "trigger": {"points": 25}, "repeatable": True, "bonus_points": 1, "bonus_kind": "beta"},
    ]}}}


async def answer(h: Harness, name: str, n: int) -> None:
    assert h.bot is not None
    await h.bot.app.ledger.credit(h.guild_id, h.members[name], "answer", source_key=f"answer:{name}:{n}",
                                       actor_id=None)
    await h.settle()


async def ledger_rows(h: Harness, name: str) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(contributions).where(contributions.c.user_id == h.members[name])
                                       .order_by(contributions.c.id)))


async def grant_rows(h: Harness, name: str, action: str) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(grants).where(grants.c.user_id == h.members[name],
                                                            grants.c.action == action).order_by(grants.c.id)))


async def test_bonus_points_land_once_with_a_reason_and_never_loop(kudos: Harness) -> None:
    await answer(kudos, "alice", 1)
    await answer(kudos, "alice", 2)
    await kudos.advance(timedelta(minutes=1))
    rows = await ledger_rows(kudos, "alice")
    bonus = [r for r in rows if r.source_key.startswith("reward:")]
    assert sorted((r.reason, r.points) for r in bonus) == [("bonus: busy", 1), ("bonus: helper-bonus", 15)]
    # (busy's own bonus point did not earn busy again, and again, ...)
    assert "Regular" in kudos.member("alice").roles()  # a rule reached through bonus points
    assert [g.status for g in await grant_rows(kudos, "alice", "points")] == ["delivered", "delivered"]
    # a real contribution later earns the repeatable rule again, once
    await answer(kudos, "alice", 3)
    await kudos.advance(timedelta(minutes=1))
    busy = [r for r in await ledger_rows(kudos, "alice") if r.reason == "bonus: busy"]
    assert len(busy) == 2
    explain = await kudos.member("sam").slash("contrib explain", member=kudos.members["alice"])
    text = " ".join(e.get("description") or "" for e in explain.embeds)
    assert explain.ephemeral and "+15 beta" in text and "bonus: helper-bonus" in text


async def test_bonus_points_exactly_once_across_a_crash_and_restart(kudos: Harness) -> None:
    assert kudos.bot is not None
    svc = kudos.bot.app.rewards
    real = svc.delivered
    crashed: list[int] = []

    async def crash_after_credit(grant: Any, **kwargs: Any) -> bool:
        if grant.action == "points" and grant.rule_name == "helper-bonus" and not crashed:
            crashed.append(grant.id)  # the points are in the ledger; the process dies before its bookkeeping
            raise asyncio.CancelledError
        return await real(grant, **kwargs)

    svc.delivered = crash_after_credit  # type: ignore[method-assign]
    await answer(kudos, "bob", 1)
    await answer(kudos, "bob", 2)
    assert crashed
    await kudos.restart()
    await kudos.advance(timedelta(minutes=3))  # the dead process's claim goes stale and is resumed
    bonus = [r for r in await ledger_rows(kudos, "bob") if r.reason == "bonus: helper-bonus"]
    assert len(bonus) == 1 and bonus[0].source_key == f"reward:{crashed[0]}"
    statuses = {g.rule_name: g.status for g in await grant_rows(kudos, "bob", "points")}
    assert statuses == {"helper-bonus": "delivered", "busy": "delivered"}
    await kudos.restart()
    await kudos.advance(timedelta(minutes=3))
    assert len([r for r in await ledger_rows(kudos, "bob") if r.source_key.startswith("reward:")]) == 2
