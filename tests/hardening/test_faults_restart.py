"""Crashes at random (seeded) points of grant dispatch, beta close and feedback status changes.

The bot process is killed mid-flight (handlers and deliveries cancelled wherever they are), a new one starts on
the same database, the operation is repeated if it did not take, and the invariants must hold.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from tests.hardening.conftest import CODES
from tests.hardening.scenario import (
    announcement,
    beta_row,
    create_beta,
    credit_answers,
    feedback_rows,
    joined,
    load_codes,
    report_bug,
)
from tests.hardening.support import COUNTS, HardenedHarness

SEEDS = [11, 23, 47]


@pytest.mark.parametrize("seed", SEEDS)
async def test_crash_during_grant_dispatch(hk: HardenedHarness, seed: int) -> None:
    rng = random.Random(seed)
    await load_codes(hk, CODES[:6])
    names = ["alice", "bob", "m00"]
    async def earn() -> None:
        await asyncio.gather(*(credit_answers(hk, n, 3) for n in names), return_exceptions=True)

    work = asyncio.create_task(earn())
    await hk.crash_after_requests(rng, most=10)
    await asyncio.gather(work, return_exceptions=True)  # the credit calls ran on the dead process's services
    for n in names:  # a member's answers recorded before the crash stay; the rest are credited again
        await credit_answers(hk, n, 3)
    COUNTS["faults injected"] += 1
    await hk.assert_invariants()
    for n in names:
        assert "Helper Star" in hk.member(n).roles()
        assert len(hk.member(n).dms()) == 1, [m.embeds for m in hk.member(n).dms()]


@pytest.mark.parametrize("seed", SEEDS)
async def test_crash_during_beta_close(hk: HardenedHarness, seed: int) -> None:
    rng = random.Random(seed)
    await create_beta(hk, capacity=3, cohort_role=hk.role_id("Photos Beta"))
    post = announcement(hk)
    for n in ("alice", "bob", "m00", "m01"):
        await hk.member(n).click(post.id, label="Join")
    beta = await beta_row(hk)
    assert len(await joined(hk, beta.id)) == 3
    close = asyncio.create_task(hk.member("sam").slash("beta close", name="Photos v2"))
    await hk.crash_after_requests(rng, most=12)
    await asyncio.gather(close, return_exceptions=True)
    COUNTS["faults injected"] += 1
    if (await beta_row(hk)).status != "closed":
        again = await hk.member("sam").slash("beta close", name="Photos v2")
        assert not again.failed, again.content
    assert (await beta_row(hk)).status == "closed"
    await hk.assert_invariants()
    for n in ("alice", "bob", "m00"):
        thanks = [m for m in hk.member(n).dms() if "Photos v2" in (m.content or "") + str(m.embeds)]
        assert len(thanks) <= 1, [m.content for m in thanks]


@pytest.mark.parametrize("seed", SEEDS)
async def test_crash_during_feedback_status_change(hk: HardenedHarness, seed: int) -> None:
    rng = random.Random(seed)
    await report_bug(hk, "alice")
    item = (await feedback_rows(hk))[0]
    change = asyncio.create_task(hk.member("sam").slash("feedback status", status="shipped", item=item.id,
                                                        version="1.0"))
    await hk.crash_after_requests(rng, most=8)
    await asyncio.gather(change, return_exceptions=True)
    COUNTS["faults injected"] += 1
    if (await feedback_rows(hk))[0].status != "shipped":
        again = await hk.member("sam").slash("feedback status", status="shipped", item=item.id, version="1.0")
        assert not again.failed, again.content
    row = (await feedback_rows(hk))[0]
    assert row.status == "shipped"
    await hk.assert_invariants()
    shipped = [m for m in hk.member("alice").dms() if "shipped" in ((m.content or "") + str(m.embeds)).lower()]
    assert len(shipped) <= 1
