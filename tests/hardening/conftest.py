"""Hardening fixtures: the real bot on the emulator, with invariants checked by the tests themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest

from bot.sandbox.harness import MemberSpec, RoleSpec, WorldSpec
from tests.conftest import running_harness
from tests.hardening.support import HardenedHarness

CODES = [f"ACME-HARD-{i:04d}" for i in range(1, 21)]


def hardening_world(members: int = 10) -> WorldSpec:
    w = WorldSpec.default()
    w.roles += [RoleSpec("Helper Star"), RoleSpec("Photos Beta"), RoleSpec("Week Pass"), RoleSpec("Beta Alumni")]
    w.members += [MemberSpec("dave", dms_open=False)]
    w.members += [MemberSpec(f"m{i:02d}") for i in range(members)]
    return w


def hardening_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "description": "500 MB", "low_stock_warning": 1}],
        "rewards": [
            {"name": "helper", "trigger": {"kind": "answer", "count": 3}, "role": "Helper Star",
             "perk_pool": "storage", "dm": "Thanks for helping! Your storage code: {code}"},
            {"name": "joiner", "trigger": {"event": "beta_joined"}, "role": "Week Pass", "role_duration_days": 7},
        ],
        "betas": {"announcement_debounce_seconds": 0.2, "alumni_role": "Beta Alumni"},
        "reward_delivery": {"reconcile": "readd"},
    }}}


@pytest.fixture
def world() -> WorldSpec:
    return hardening_world()


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return hardening_config()


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {}


@pytest.fixture(params=["sqlite", "postgres"])
async def hk(request, world, bot_config, emulator_options, tmp_path) -> AsyncIterator[HardenedHarness]:  # type: ignore[no-untyped-def]
    """The hardening harness on a temp SQLite file, then on PostgreSQL (skipped without KUDOS_TEST_POSTGRES_URL)."""
    make = partial(HardenedHarness, world, bot_config, emulator_options=emulator_options)
    async with running_harness(request.param, make, tmp_path) as harness:
        yield harness


@pytest.fixture
async def hk_sqlite(world, bot_config, emulator_options, tmp_path) -> AsyncIterator[HardenedHarness]:  # type: ignore[no-untyped-def]
    """SQLite only (scenarios about SQLite itself: locks, a full disk, backups)."""
    harness = HardenedHarness(world, bot_config, workdir=tmp_path, emulator_options=emulator_options)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
