"""One member can't flood the feedback forum or farm points with junk reports (issue #19, item 2).

Twenty junk reports were all accepted before: 20 forum threads and 100 points. Now ``feedback_given`` is capped
by default (``caps.points_per_kind_per_day``, 15 points a day), one member opens at most
``feedback.reports_per_day`` (5) reports a UTC day (the 6th ``/feedback new`` is refused, ephemerally, before
its form opens, and no thread is made), and a second report with the same title (case and spaces aside) within
a day is refused with a link to the first one's thread."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.feedback.tables import feedback
from bot.ledger.tables import contributions
from bot.sandbox.harness import Harness


@pytest.fixture
def bot_config() -> dict[str, Any]:
    # These reports are alike on purpose ("Junk 1", "Junk 2"): "Is it one of these?" would stop them before the
    # limits are reached (it has its own tests, tests/feedback/test_similar_e2e.py).
    return {"guilds": {"default": {"search": {"suggest": False}}}}


def _threads_in(h: Harness, forum: str) -> list[Any]:
    forum_id = h.channel_id(forum)
    return [c for c in h.emu.state.channels.values() if c.parent_id == forum_id]


async def _given_points(h: Harness, who: str) -> int:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        c = contributions.c
        return int((await conn.execute(select(func.coalesce(func.sum(c.points), 0)).where(
            c.user_id == h.members[who], c.kind == "feedback_given"))).scalar_one())


async def _reports(h: Harness) -> int:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(feedback))).scalar_one())


async def _try_report(h: Harness, who: str, title: str) -> Any:
    """``/feedback new`` and, when the form opens, submit it; returns the last reply."""
    opened = await h.member(who).slash("feedback new", type="idea")
    if opened.modal is None:
        return opened
    return await h.member(who).submit_modal(opened, {"Title": title, "Details": "junk"})


async def test_twenty_junk_reports_give_five_threads_and_capped_points(kudos: Harness) -> None:
    replies = [await _try_report(kudos, "alice", f"Junk {n}") for n in range(20)]
    posted = [r for r in replies if "posted" in (r.content or "")]
    refused = [r for r in replies if r not in posted]
    assert len(posted) == 5 and len(refused) == 15
    assert all(r.ephemeral and r.modal is None and "5 reports today" in (r.content or "") for r in refused)
    assert len(_threads_in(kudos, "feedback")) == 5 and await _reports(kudos) == 5
    assert await _given_points(kudos, "alice") == 15  # 5 reports of 5 points, capped at 15 a day
    # another member is not limited by alice's reports
    assert "posted" in ((await _try_report(kudos, "bob", "Junk 0")).content or "")
    # the next UTC day she may report again
    await kudos.advance(timedelta(days=1))
    assert "posted" in ((await _try_report(kudos, "alice", "Junk 20")).content or "")
    assert len(_threads_in(kudos, "feedback")) == 7


async def test_the_same_title_twice_in_a_day_is_refused_with_a_link_to_the_first(kudos: Harness) -> None:
    first = await _try_report(kudos, "alice", "Dark mode please")
    assert "posted" in (first.content or "")
    [thread] = _threads_in(kudos, "feedback")
    again = await _try_report(kudos, "alice", "  dark   MODE please ")
    assert again.ephemeral and "same title" in (again.content or "")
    assert f"<#{thread.id}>" in (again.content or "")  # a link to her earlier report's thread
    assert len(_threads_in(kudos, "feedback")) == 1 and await _reports(kudos) == 1
    # another member may ask for the same thing; so may alice a day later
    assert "posted" in ((await _try_report(kudos, "bob", "Dark mode please")).content or "")
    await kudos.advance(timedelta(hours=25))
    assert "posted" in ((await _try_report(kudos, "alice", "Dark mode please")).content or "")
    assert len(_threads_in(kudos, "feedback")) == 3
