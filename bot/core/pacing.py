"""Client-side pacing of bulk requests from Discord's rate-limit headers.

discord.py keeps its own bucket state, but with many requests to one bucket in flight it trusts each answer's
``X-RateLimit-Remaining``: a snapshot taken when Discord counted that request, which leaves out the requests
sent after it. Near the end of every window it therefore sends a few requests too many, and each draws a 429
(measured by ``bench/rewards.py``: about 2% of 10,000 role requests with 32 in flight).

A :class:`Pacer` bucket counts what it has in flight itself. A request may go only while the lowest
Remaining seen in the current window, minus the requests still in flight, is above zero; a new window
starts once the window's reset has passed: the earliest reset its answers announced, each counted as
``Reset-After`` from when the answer arrived (as discord.py counts it), which is never before Discord's own
reset. Answers about a window that has already ended are ignored: they are recognised by their
``X-RateLimit-Reset`` (the window's end as Discord counts it, the same in every answer of one window, so an
answer that the event loop read late still names its own window) and, without that header, by the reset
time they imply.

The headers reach the pacer through an aiohttp trace (``discord.Client(http_trace=...)``): a paced request
passes its :class:`Ticket` as ``trace_request_ctx``, which discord.py hands on to aiohttp.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Hashable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

# A window is taken to end this long after its announced reset: Reset-After is rounded to the millisecond,
# and discord.py notes the same reset a moment later (after reading the body) than the trace does.
SLACK = 0.002


class Ticket:
    """One paced request: the trace fills in the answer's arrival time and headers."""

    __slots__ = ("bucket", "headers", "received", "status")

    def __init__(self, bucket: PacedBucket) -> None:
        self.bucket = bucket
        self.headers: Mapping[str, str] | None = None
        self.received = 0.0
        self.status = 0


class PacedBucket:
    def __init__(self) -> None:
        self.limit: int | None = None
        self.remaining = 1  # one probe until the first answer tells the limit
        self.inflight = 0
        self.resets_at: float | None = None
        self.started = -math.inf  # when the current window began (as seen from here)
        self.window = 0.0  # the window's length (Reset-After of a window's first answer)
        self.reset_mark: float | None = None  # the latest X-RateLimit-Reset seen (Discord's clock)
        self.stale_below = -math.inf  # answers whose X-RateLimit-Reset is below this are about ended windows
        self._changed = asyncio.Event()

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    async def acquire(self) -> None:
        while True:
            now = self._now()
            if self.resets_at is not None and now >= self.resets_at:
                self.remaining = max(self.limit or 1, 1)
                self.resets_at = None
                self.started = now
                if self.reset_mark is not None:
                    self.stale_below = self.reset_mark + self.window / 2
            if self.remaining - self.inflight > 0:
                self.inflight += 1
                return
            self._changed.clear()
            timeout = None if self.resets_at is None else max(self.resets_at - now, 0.0)
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
            except TimeoutError:
                pass

    def learn(self, headers: Mapping[str, str], received: float) -> None:
        try:
            limit = int(headers["X-RateLimit-Limit"])
            remaining = int(headers["X-RateLimit-Remaining"])
            after = float(headers["X-RateLimit-Reset-After"])
        except (KeyError, ValueError):
            return
        try:
            mark: float | None = float(headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            mark = None
        if mark is not None and mark < self.stale_below:
            return  # about a window that ended before the current one began, however late it was read
        first = self.limit is None
        self.limit = limit
        if remaining == limit - 1 or not self.window:
            self.window = after  # the answer to a window's first request tells the window's length
        ends = received + after + SLACK
        if ends <= self.started + self.window / 2:
            return  # a late answer about a window that has ended already
        if mark is not None:
            self.reset_mark = mark if self.reset_mark is None else max(self.reset_mark, mark)
        self.remaining = remaining if first else min(self.remaining, remaining)
        self.resets_at = ends if self.resets_at is None else min(self.resets_at, ends)
        self._changed.set()

    def release(self, ticket: Ticket) -> None:
        self.inflight -= 1
        if ticket.headers is not None and ticket.status != 429:  # 429s were learnt as they came
            self.learn(ticket.headers, ticket.received)
        self._changed.set()


class Pacer:
    """Buckets by key (e.g. ``("PUT role", guild_id)``); see the module docstring."""

    def __init__(self) -> None:
        self._buckets: dict[Hashable, PacedBucket] = {}
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_end.append(self._on_end)

    def bucket(self, key: Hashable) -> PacedBucket:
        found = self._buckets.get(key)
        if found is None:
            found = self._buckets[key] = PacedBucket()
        return found

    @asynccontextmanager
    async def slot(self, key: Hashable) -> AsyncIterator[Ticket]:
        """Wait for room in the bucket; pass the ticket as ``trace_request_ctx`` of the request."""
        bucket = self.bucket(key)
        await bucket.acquire()
        ticket = Ticket(bucket)
        try:
            yield ticket
        finally:
            bucket.release(ticket)

    @staticmethod
    async def _on_end(_session: aiohttp.ClientSession, ctx: Any, params: aiohttp.TraceRequestEndParams) -> None:
        ticket = getattr(ctx, "trace_request_ctx", None)
        if not isinstance(ticket, Ticket):
            return
        ticket.received = asyncio.get_running_loop().time()
        ticket.headers = params.response.headers  # case-insensitive, as Discord sends them in lower case
        ticket.status = params.response.status
        if ticket.status == 429:  # discord.py waits and retries inside the same call: tell the others now
            ticket.bucket.learn(ticket.headers, ticket.received)
