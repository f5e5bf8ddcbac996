"""A short soak run in CI (make soak runs the 10-minute, 200-member one)."""

from __future__ import annotations

import tempfile

from bench.soak import Soak
from tests.hardening.invariants import describe
from tests.hardening.support import COUNTS


async def test_short_soak_keeps_every_invariant() -> None:
    with tempfile.TemporaryDirectory(prefix="kudos-soak-") as workdir:
        result = await Soak(members=40, seconds=20, seed=5, workdir=workdir).run()
    COUNTS["soak events"] += sum(result.events.values())
    COUNTS["faults injected"] += result.faults
    COUNTS["soak restarts"] += result.crashes
    assert sum(result.events.values()) > 40, result.lines()
    assert result.crashes >= 1 and result.faults >= 1, result.lines()
    assert not result.violations, describe(result.violations)
