"""The pacer tells a late answer about an ended window from an answer about the current one.

rate-limits.mdx: ``X-RateLimit-Reset`` is the "Epoch time (seconds since 00:00:00 UTC on January 1, 1970) at
which the rate limit resets", so every answer of one window names the same reset, whenever the client reads it.
On a busy event loop an answer can be read a good part of a window late: judged by the time it was read, it
looked like news about the current window, cut the bucket's Remaining to the old window's 0 and moved its reset
early, and the next window's requests then went before Discord's window had ended (CI saw one 429 this way).
"""

from __future__ import annotations

import asyncio
import time

from bot.core.pacing import PacedBucket

WINDOW = 0.2


def _answer(remaining: int, reset_after: float, reset_epoch: float, limit: int = 10) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset-After": f"{reset_after:.3f}", "X-RateLimit-Reset": f"{reset_epoch:.3f}"}


async def test_a_late_answer_about_an_ended_window_is_ignored() -> None:
    loop = asyncio.get_running_loop()
    bucket = PacedBucket()
    ends_epoch = time.time() + WINDOW
    bucket.learn(_answer(9, WINDOW, ends_epoch), loop.time())  # the window's first answer: 10 per WINDOW
    bucket.learn(_answer(0, WINDOW / 2, ends_epoch), loop.time())  # the window is used up
    assert bucket.remaining == 0
    await asyncio.wait_for(bucket.acquire(), WINDOW * 5)  # waits for the reset, then a new window begins
    assert (bucket.remaining, bucket.inflight, bucket.resets_at) == (10, 1, None)
    await asyncio.sleep(WINDOW * 0.75)
    # An answer from the ended window, read now: by read time + Reset-After it would end in the current window.
    bucket.learn(_answer(0, 0.001, ends_epoch), loop.time())
    assert (bucket.remaining, bucket.resets_at) == (10, None)
    # The current window's own answer still counts.
    bucket.learn(_answer(8, WINDOW / 2, ends_epoch + WINDOW), loop.time())
    assert bucket.remaining == 8 and bucket.resets_at is not None


async def test_without_the_reset_header_a_late_answer_is_still_placed_by_its_read_time() -> None:
    loop = asyncio.get_running_loop()
    bucket = PacedBucket()
    bucket.learn({"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0",
                  "X-RateLimit-Reset-After": f"{WINDOW:.3f}"}, loop.time())
    await asyncio.wait_for(bucket.acquire(), WINDOW * 5)
    # read just after the new window began, it implies a reset well inside the ended window's half: ignored
    bucket.learn({"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0",
                  "X-RateLimit-Reset-After": "0.001"}, loop.time())
    assert (bucket.remaining, bucket.resets_at) == (10, None)
