"""Hysteresis at the boundary, end to end (issue #26): a member hovering between the keep line and the gain line
keeps the privilege through many daily judgements and credits without a second DM; once below the keep line it is
lost (one DM), and coming back above the keep line is not enough: it takes the full requirement again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.privileges.tables import privilege_moves
from bot.sandbox.harness import Harness
from tests.contributions._helpers import ledger_rows
from tests.privileges._helpers import give, held, privilege_dms


@pytest.fixture
def bot_config() -> dict[str, Any]:
    # mark_solution at 20 points over 100 days, kept down to 16 (20 % margin).
    return {"guilds": {"default": {"privileges": {"window_days": 100, "keep_margin_percent": 20,
                                                  "mark_solution": {"points": 20}}}}}


async def moves(kudos: Harness) -> list[tuple[bool, str]]:
    assert kudos.bot is not None
    pm = privilege_moves.c
    async with kudos.bot.db.connect() as conn:
        rows = await conn.execute(select(pm.gained, pm.cause).where(
            pm.user_id == kudos.members["bob"], pm.privilege == "mark_solution").order_by(pm.id))
        return [(bool(g), str(c)) for g, c in rows]


async def credit(kudos: Harness, points: int) -> int:
    """Hand credit for bob; returns its ledger entry."""
    await give(kudos, "bob", points)
    return int((await ledger_rows(kudos, "bob"))[-1].id)


async def reverse(kudos: Harness, entry: int) -> None:
    undone = await kudos.member("sam").slash("contrib revoke", entry=entry, reason="test reversal")
    assert not undone.failed, undone.content


async def test_no_flapping_between_the_keep_and_the_gain_line(kudos: Harness) -> None:
    a = await credit(kudos, 4)
    b = await credit(kudos, 16)  # 20 over the window: gained
    assert (await held(kudos, "bob"))["mark_solution"] == (True, "")
    await reverse(kudos, a)  # 16, the keep line: judged at once, kept
    await kudos.advance(timedelta(days=5))  # five daily judgements at 16
    c = await credit(kudos, 3)  # 19
    await kudos.advance(timedelta(days=3))
    await reverse(kudos, c)  # 16 again
    assert (await held(kudos, "bob"))["mark_solution"] == (True, "")
    assert await moves(kudos) == [(True, "window")] and len(privilege_dms(kudos, "bob")) == 1

    # one point below the keep line: lost, once
    await credit(kudos, 15)  # 31
    await reverse(kudos, b)  # 15
    assert (await held(kudos, "bob"))["mark_solution"] == (False, "")
    # back above the keep line, below the gain line: not regained, however many days pass
    await credit(kudos, 4)  # 19
    await kudos.advance(timedelta(days=2))
    assert (await held(kudos, "bob"))["mark_solution"] == (False, "")
    await credit(kudos, 1)  # 20: the full requirement again
    assert (await held(kudos, "bob"))["mark_solution"] == (True, "")
    assert await moves(kudos) == [(True, "window"), (False, "window"), (True, "window")]
    dms = privilege_dms(kudos, "bob")
    assert [d.split(":")[0] for d in dms] == ["**New privilege", "**Privilege paused", "**New privilege"]
