"""A database that makes the bot wait past Discord's 3 seconds: the interaction is deferred in time, then answered.

SQLite's write lock is held by another connection for 4 s (under the 5 s busy timeout, so the writes succeed
once it is released). Without the automatic defer of :mod:`bot.core.interactions` every one of these
interactions would fail in the emulator, which enforces the 3-second rule.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.feedback.tables import feedback
from tests.hardening.conftest import hardening_config
from tests.hardening.scenario import feedback_rows, report_bug, rows
from tests.hardening.support import COUNTS, HardenedHarness

LOCK_SECONDS = 4.0


@pytest.fixture
def bot_config() -> dict[str, Any]:
    cfg = hardening_config()
    cfg["guilds"]["default"]["feedback"] = {"review_queue": True, "review_channel": "staff-log"}
    return cfg


def review_message(h: HardenedHarness, item_id: int) -> Any:
    return next(m for m in h.emu.messages(h.channel_id("staff-log"))
                if m.author_id == h.emu.bot_user_id and m.embeds and f"#{item_id}" in str(m.embeds[0]))


async def test_db_locked_4s_command_button_and_modal_are_deferred_then_answered(hk_sqlite: HardenedHarness) -> None:
    h = hk_sqlite
    await report_bug(h, "alice", "Crash when saving")
    await report_bug(h, "bob", "Crash when exporting")
    first, second = sorted(await feedback_rows(h), key=lambda r: r.id)
    approved = await h.member("sam").click(review_message(h, first.id).id, label="Approve")
    assert not approved.failed, approved.content
    item = (await rows(h, feedback, feedback.c.id == first.id))[0]
    assert item.status_message_id is not None
    form = await h.member("sam").click(review_message(h, second.id).id, label="Reject")
    assert form.modal is not None, form.content

    with h.sqlite_write_lock(LOCK_SECONDS):
        COUNTS["faults injected"] += 1
        started = asyncio.get_running_loop().time()
        thanks, vote, reject = await asyncio.gather(
            h.member("alice").slash("thanks", member=h.members["bob"], reason="helped me"),
            h.member("carol").click(item.status_message_id, label="Me too"),
            h.member("sam").submit_modal(form, {"Reason": "Not reproducible"}),
        )
        waited = asyncio.get_running_loop().time() - started
    assert waited >= 3.0, waited  # the answers really came after Discord's 3 seconds

    # the slash command: deferred ephemerally ("thinking"), the thinking message became the real answer
    assert not thanks.failed and thanks.response_type == 5 and thanks.ephemeral, thanks
    assert "Thanks" in (thanks.content or ""), thanks.content
    # the button and the modal (opened from a message): a silent deferred update, then the private answer
    for rec, expect in ((vote, "counted: 1 member"), (reject, "rejected")):
        assert not rec.failed and rec.response_type == 6, rec
        assert rec.ephemeral and expect in (rec.content or "").lower(), rec.content
    assert "went wrong" not in " ".join(r.content or "" for r in (thanks, vote, reject))
    rejected = (await rows(h, feedback, feedback.c.id == second.id))[0]
    assert rejected.status == "rejected"
    await h.assert_invariants()


async def test_postgres_table_locked_4s_public_command_defers_publicly(hk: HardenedHarness) -> None:
    """On PostgreSQL an ``ACCESS EXCLUSIVE`` lock (a migration or a ``VACUUM FULL`` by hand) blocks even reads:
    ``/leaderboard``, which answers publicly, is deferred publicly and its answer replaces the "thinking"."""
    h = hk
    if h.database_url.startswith("sqlite"):
        pytest.skip("SQLite's readers are not blocked by a writer (WAL); the SQLite test above holds its write lock")
    await h.member("alice").slash("thanks", member=h.members["bob"], reason="warm-up")
    engine = create_async_engine(h.database_url)
    taken = asyncio.Event()

    async def hold() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("LOCK TABLE member_stats IN ACCESS EXCLUSIVE MODE"))
            taken.set()
            await asyncio.sleep(LOCK_SECONDS)

    holder = asyncio.create_task(hold())
    try:
        await asyncio.wait_for(taken.wait(), 5)
        COUNTS["faults injected"] += 1
        board, profile = await asyncio.gather(h.member("bob").slash("leaderboard"), h.member("bob").slash("profile"))
    finally:
        await holder
        await engine.dispose()
    assert not board.failed and board.response_type == 5 and not board.ephemeral, board
    assert board.embeds and "Top contributors" in board.embeds[0]["title"], board.embeds
    assert not profile.failed and profile.response_type == 5 and profile.ephemeral, profile
    assert profile.embeds, profile
    await h.assert_invariants()
