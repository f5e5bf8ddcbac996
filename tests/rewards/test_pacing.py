"""The grant dispatcher paces role requests from the rate-limit headers: many grants in flight, no 429."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import pytest
from sqlalchemy import func, select

from bot.emulator.ratelimit import RateLimitConfig
from bot.rewards.tables import grants
from bot.sandbox.harness import Harness, MemberSpec, RoleSpec, WorldSpec
from tests.conftest import running_harness

PUT_ROLE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
LIMIT, WINDOW = 10, 0.5
ROLES, MEMBERS = 2, 50


@pytest.fixture(params=["sqlite", "postgres"])
async def paced(request, tmp_path) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    world = WorldSpec(roles=[RoleSpec(f"Reward {i}") for i in range(ROLES)], channels=WorldSpec.default().channels,
                      members=[MemberSpec(f"m{i}") for i in range(MEMBERS)])
    limits = RateLimitConfig(per_route={PUT_ROLE: (LIMIT, WINDOW)}, global_limit=(1_000_000, 1.0))
    make = partial(Harness, world, {}, emulator_options={"ratelimits": limits})
    async with running_harness(request.param, make, tmp_path) as harness:
        yield harness


async def test_many_role_grants_in_flight_draw_no_429(paced: Harness) -> None:
    h = paced
    assert h.bot is not None
    svc = h.bot.app.rewards
    role_ids = [h.role_id(f"Reward {i}") for i in range(ROLES)]
    async with h.bot.db.begin() as conn:
        for user_id in h.members.values():
            for role_id in role_ids:
                await svc.queue_grant(conn, guild_id=h.guild_id, user_id=user_id, action="role_add",
                                      payload={"role_id": role_id}, dedupe_key=f"pace:{user_id}:{role_id}",
                                      rule_name="pace", notify=False)
    dispatcher = h.bot.get_cog("Rewards").dispatcher  # type: ignore[union-attr]
    assert dispatcher.concurrency > LIMIT  # more grants in flight than one window allows
    dispatcher.kick()
    await dispatcher.wait_idle()
    await h.settle()
    async with h.bot.db.connect() as conn:
        delivered = (await conn.execute(select(func.count()).select_from(grants)
                                        .where(grants.c.status == "delivered"))).scalar_one()
    assert delivered == ROLES * MEMBERS
    role_hits = [key for key, _ in h.emu.ratelimiter.hits if key == PUT_ROLE]
    assert role_hits == []  # discord.py alone, trusting each answer's Remaining, overshoots every window
    assert len(h.emu.requests(PUT_ROLE)) == ROLES * MEMBERS  # one request per grant: nothing retried
    assert all(h.emu.member_roles(h.guild_id, uid) for uid in h.members.values())
