"""Rewards dispatch: 10,000 role grants against the emulator with the role route rate-limited.

The role route's bucket (per guild) allows ``LIMIT`` requests per ``WINDOW`` seconds; the global limit is
lifted so the role bucket is what binds. The least time the limits allow for N requests is
``(ceil(N / LIMIT) - 1) * WINDOW`` (the first window's requests go at once). Goals: measured ≤ 1.15x that
minimum, and fewer than 1% of role requests answered 429.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.common import Result
from bot.emulator.ratelimit import RateLimitConfig
from bot.rewards.tables import grants
from bot.sandbox.harness import Harness, MemberSpec, RoleSpec, WorldSpec

ROUTE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
GRANTS = int(os.environ.get("KUDOS_BENCH_GRANTS", "10000"))
LIMIT, WINDOW = 100, 0.5  # 200 role requests per second: 10,000 grants in ~50 s at best
ROLES = 10


async def run() -> list[Result]:
    members = math.ceil(GRANTS / ROLES)
    world = WorldSpec(
        roles=[RoleSpec(f"Reward {i}") for i in range(ROLES)],
        channels=WorldSpec.default().channels,
        members=[MemberSpec(f"m{i}") for i in range(members)],
    )
    limits = RateLimitConfig(per_route={ROUTE: (LIMIT, WINDOW)}, global_limit=(1_000_000, 1.0))
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(world, workdir=Path(tmp), emulator_options={"ratelimits": limits})
        await h.start()
        try:
            assert h.bot is not None
            svc = h.bot.app.rewards
            role_ids = [h.role_id(f"Reward {i}") for i in range(ROLES)]
            cog = h.bot.get_cog("Rewards")
            svc.on_grants = None  # queue everything first, then measure the dispatch alone
            user_ids = list(h.members.values())
            n = 0
            async with h.bot.db.begin() as conn:
                for user_id in user_ids:
                    for role_id in role_ids:
                        if n == GRANTS:
                            break
                        await svc.queue_grant(conn, guild_id=h.guild_id, user_id=user_id, action="role_add",
                                              payload={"role_id": role_id}, dedupe_key=f"bench:{user_id}:{role_id}",
                                              rule_name="bench", notify=False)
                        n += 1
            before = len(h.emu.requests(ROUTE))
            hits_before = len(h.emu._limiter.hits) if h.emu._limiter else 0
            started = time.perf_counter()
            cog.dispatcher.kick()
            await cog.dispatcher.wait_idle()
            elapsed = time.perf_counter() - started
            async with h.bot.db.connect() as conn:
                delivered = (await conn.execute(select(func.count()).select_from(grants)
                                                .where(grants.c.status == "delivered"))).scalar_one()
            requests = len(h.emu.requests(ROUTE)) - before
            hits = (len(h.emu._limiter.hits) if h.emu._limiter else 0) - hits_before
        finally:
            svc.on_grants = None
            await h.stop()
    minimum = (math.ceil(GRANTS / LIMIT) - 1) * WINDOW
    share = 100.0 * hits / max(requests, 1)
    assert delivered == GRANTS, f"only {delivered} of {GRANTS} grants delivered"
    return [
        Result(f"rewards: dispatch {GRANTS} role grants", elapsed, minimum, "s",
               f"minimum at {LIMIT}/{WINDOW}s", goal="≤ 1.15x"),
        Result("rewards: role requests drawing a 429", share, 1.0, "%", "goal 1%",
               goal=f"< 1% ({hits} of {requests})"),
    ]
