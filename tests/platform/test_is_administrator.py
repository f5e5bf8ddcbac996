"""``bot.core.checks.is_administrator`` (the feedback thread hot path's cheap check) agrees with discord.py's
``Member.guild_permissions.administrator`` for every kind of member, on members a real client cached."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import pytest

from bot.core.checks import is_administrator
from bot.sandbox.harness import Harness, MemberSpec, RoleSpec, WorldSpec
from tests.conftest import running_harness

ADMINISTRATOR = 1 << 3
MANAGE_ROLES = 1 << 28


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    spec = WorldSpec(roles=[RoleSpec("Admin", ADMINISTRATOR), RoleSpec("Manager", MANAGE_ROLES), RoleSpec("Plain")],
                     channels=WorldSpec.default().channels,
                     members=[MemberSpec("admin", ["Admin"]), MemberSpec("manager", ["Manager"]),
                              MemberSpec("both", ["Plain", "Admin"]), MemberSpec("plain", ["Plain"]),
                              MemberSpec("none")])
    async with running_harness("sqlite", partial(Harness, spec, {}), tmp_path) as harness:
        yield harness


async def test_is_administrator_matches_guild_permissions(world: Harness) -> None:
    h = world
    assert h.bot is not None
    guild = h.bot.get_guild(h.guild_id)
    assert guild is not None and len(guild.members) >= 6
    seen = {}
    for member in guild.members:
        assert is_administrator(member) == member.guild_permissions.administrator, member.name
        seen[member.id] = is_administrator(member)
    named = {name: seen[uid] for name, uid in h.members.items() if uid in seen}
    assert named == {"admin": True, "manager": False, "both": True, "plain": False, "none": False}
    assert seen[guild.owner_id] is True  # the owner holds every permission without a role
