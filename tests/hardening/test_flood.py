"""Limits per member on interactions (bot.core.flood), end to end: a flood of clicks by one member is answered
"slow down" (then not at all) without touching the database, another member is still answered, and Discord's 10062 "Unknown
interaction" is one log line.

Discord: "Interaction tokens are valid for 15 minutes [...] you must send an initial response within 3
seconds of receiving the event. If the 3 second deadline is exceeded, the token will be invalidated."
(docs/interactions/receiving-and-responding.mdx, Responding to an Interaction); an invalid token is answered
``10062 Unknown interaction`` (docs/topics/opcodes-and-status-codes.mdx, JSON Error Codes).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.core.flood import SLOW_DOWN, TokenBuckets
from bot.feedback.tables import feedback_followers
from bot.sandbox.harness import Harness

CALLBACK = "POST /interactions/{interaction_id}/{interaction_token}/callback"
BUG = {"Title": "Crash when saving", "Details": "The app closes", "Steps to reproduce": "1. Save\nVersion: 2.4.1"}
FLOOD = 61  # odd: Follow toggles, so had every click gone through, bob would end up following


@pytest.fixture
def bot_config() -> dict[str, Any]:
    # The shipped limit (config.example.toml); the test harness otherwise widens it (its clock stands still).
    return {"bot": {"interaction_burst": 10, "interaction_refill_per_second": 1.0}}


async def feedback_thread(h: Harness) -> int:
    opened = await h.member("alice").slash("feedback new", type="bug")
    assert opened.modal is not None, opened.content
    await h.member("alice").submit_modal(opened, BUG)
    thread = next(c for c in h.emu.state.channels.values() if c.parent_id == h.channel_id("feedback"))
    return thread.id


async def follows(h: Harness) -> int:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(feedback_followers))).scalar_one())


async def test_a_flood_of_clicks_is_told_to_slow_down_and_others_are_still_answered(kudos: Harness) -> None:
    assert kudos.bot is not None
    thread = await feedback_thread(kudos)
    bob, carol = kudos.members["bob"], kudos.member("carol")
    clicks = [kudos.emu.click(thread, bob, label="Follow") for _ in range(FLOOD)]
    *answers, profile = await asyncio.gather(*clicks, carol.slash("profile"))
    await kudos.settle()
    assert not profile.failed and "points" in profile.embeds[0]["fields"][0]["value"]
    slowed = [a for a in answers if a.content == SLOW_DOWN]
    # The fake clock stands still: exactly the burst (10) got through and every other click was refused; the
    # refused were answered "slow down" up to five times the burst (50), the one past that got no answer.
    assert len(slowed) == 50 and sum(a.failed for a in answers) == FLOOD - 10 - 50 == 1
    assert all(a.ephemeral and a.response_type == 4 for a in slowed)
    assert all(a.response.get("allowed_mentions") == {"parse": []} for a in slowed)
    assert (kudos.bot.gate.refused, kudos.bot.gate.unanswered) == (FLOOD - 10, 1)
    assert await follows(kudos) == 0  # ten toggles went through, the refused ones never reached the database
    # the bucket refills with time: ten seconds later bob is answered normally again
    await kudos.advance(timedelta(seconds=10))
    later = await kudos.member("bob").click(thread, label="Follow")
    assert "Following" in (later.content or "") and await follows(kudos) == 1


async def test_refused_interactions_do_no_database_work(kudos: Harness) -> None:
    """The refused clicks never reach a handler: the statements the bot sends while bob floods are those
    of the admitted clicks only (a click that got through costs the same as ten of them did)."""
    assert kudos.bot is not None
    thread = await feedback_thread(kudos)
    bob = kudos.members["bob"]
    statements: list[str] = []
    engine = kudos.bot.db.engine.sync_engine

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "setting_versions" not in statement:  # the settings watcher's poll (every 0.5 s) is no click's work
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        await asyncio.gather(*(kudos.emu.click(thread, bob, label="Follow") for _ in range(10)))
        await kudos.settle()
        admitted = len(statements)
        statements.clear()
        refused = await asyncio.gather(*(kudos.emu.click(thread, bob, label="Follow") for _ in range(40)))
        await kudos.settle()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert admitted > 0
    assert all(r.content == SLOW_DOWN for r in refused)
    assert statements == []


async def test_unknown_interaction_is_one_warning_line_without_traceback(
        kudos: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """The interaction expired before the bot answered: Discord refuses the answer with 10062, and so would it
    refuse the error reply. The log gets one warning line for it, no stack trace, no error."""
    fault = kudos.emu.faults.add(CALLBACK, status=404, code=10062, message="Unknown interaction", count=5)
    with caplog.at_level(logging.WARNING):
        rec = await kudos.member("carol").slash("profile")
    assert rec.failed and fault.hits >= 1
    mine = [r for r in caplog.records if r.name.startswith(("bot.", "cogs.", "discord."))]
    assert [r.levelno for r in mine] == [logging.WARNING], [r.getMessage() for r in mine]
    (line,) = mine
    assert "10062" in line.getMessage() and "expired" in line.getMessage()
    assert f"user={kudos.members['carol']}" in line.getMessage() and "command='profile'" in line.getMessage()
    assert line.exc_info is None and not line.exc_text


def test_token_bucket_refills_with_time_up_to_the_burst() -> None:
    buckets = TokenBuckets(3, 0.5, max_keys=2)
    assert [buckets.take("a", 100.0) for _ in range(4)] == [True, True, True, False]
    assert not buckets.take("a", 101.0)  # half a token back
    assert buckets.take("a", 102.0) and not buckets.take("a", 102.0)
    assert buckets.tokens("a", 1000.0) == 3  # never more than the burst
    assert buckets.take("b", 1500.0)
    assert buckets.take("c", 2000.0)  # at max_keys: the refilled buckets ("a", "b") are forgotten to make room
    assert len(buckets) == 1 and buckets.tokens("a", 2000.0) == 3
