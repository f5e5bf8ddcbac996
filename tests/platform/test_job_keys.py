"""Typed timer-series keys: cancelling one series cancels exactly its own timers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.platform.clock import FakeClock
from bot.platform.db import Database
from bot.platform.jobs import store
from bot.platform.jobs.keys import BetaClose, BetaNudge, BetaNudges
from bot.platform.tables import timers


async def _statuses(db: Database) -> dict[str, str]:
    async with db.connect() as conn:
        rows = await conn.execute(select(timers.c.dedupe_key, timers.c.status))
        return {key: status for key, status in rows}


async def _add(db: Database, clock: FakeClock, key: str) -> None:
    async with db.begin() as conn:
        await store.create(conn, event="x", payload={}, due_at=clock.now() + timedelta(hours=1), now=clock.now(),
                           dedupe_key=key)


async def test_a_member_series_does_not_cancel_a_member_whose_id_it_prefixes(db: Database, clock: FakeClock) -> None:
    """The string prefix ``betas:nudge:1:23`` also matched ``betas:nudge:1:234``: a member leaving a beta
    cancelled another member's nudge. A series matches its own key or keys that extend it after a ``:``."""
    for key in (BetaNudge(1, 23).dedupe(), BetaNudge(1, 234).dedupe(), BetaNudge(2, 23).dedupe()):
        await _add(db, clock, key)
    async with db.begin() as conn:
        assert await store.cancel_series(conn, BetaNudge(1, 23), now=clock.now()) == 1
    assert await _statuses(db) == {"betas:nudge:1:23": "cancelled", "betas:nudge:1:234": "pending",
                                   "betas:nudge:2:23": "pending"}
    async with db.begin() as conn:
        assert await store.pending_in_series(conn, BetaNudges(1))
        assert await store.cancel_series(conn, BetaNudges(1), now=clock.now()) == 1
        assert not await store.pending_in_series(conn, BetaNudges(1))
        assert await store.pending_in_series(conn, BetaNudges(2))


async def test_occurrences_of_a_series(db: Database, clock: FakeClock) -> None:
    for stamp in ("2026-12-01T10:00:00+00:00", "2026-12-08T10:00:00+00:00"):
        await _add(db, clock, BetaClose(4).at(stamp))
    await _add(db, clock, BetaClose(41).at("2026-12-01T10:00:00+00:00"))
    async with db.begin() as conn:
        assert await store.cancel_series(conn, BetaClose(4), now=clock.now()) == 2
    assert sorted((await _statuses(db)).values()) == ["cancelled", "cancelled", "pending"]


def test_keys_refuse_ambiguous_fields() -> None:
    assert BetaClose(4).at("x") == "betas:close:4:x"
    with pytest.raises(ValueError):
        BetaNudge(1, "2:3").dedupe()  # type: ignore[arg-type]
