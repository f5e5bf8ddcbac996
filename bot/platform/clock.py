"""Time source for the whole bot.

Everything that needs "now" asks a :class:`Clock`. Production uses :class:`SystemClock`; tests and the
sandbox use :class:`FakeClock`, whose time only moves when told to, so timers can fire without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

AdvanceListener = Callable[[datetime], Awaitable[None]]


class Clock:
    """Interface: an aware UTC ``now()``."""

    def now(self) -> datetime:  # pragma: no cover - interface
        raise NotImplementedError

    def timestamp(self) -> float:
        """``now()`` as POSIX seconds: cheaper than a datetime, for the per-event hot path."""
        return self.now().timestamp()

    @property
    def is_fake(self) -> bool:
        return False


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)

    def timestamp(self) -> float:
        return time.time()


class FakeClock(Clock):
    """A clock that stands still until :meth:`advance` is awaited.

    Listeners (the timer scheduler) are awaited after each move, so once ``advance`` returns every timer
    that became due has been dispatched.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._listeners: list[AdvanceListener] = []
        self._lock = asyncio.Lock()

    @property
    def is_fake(self) -> bool:
        return True

    @property
    def _now(self) -> datetime:
        return self._current

    @_now.setter
    def _now(self, value: datetime) -> None:  # some tests set it directly: keep the timestamp in step
        self._current = value
        self._timestamp = value.timestamp()

    def now(self) -> datetime:
        return self._current

    def timestamp(self) -> float:
        return self._timestamp

    def add_listener(self, listener: AdvanceListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: AdvanceListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("time cannot go backwards")
        async with self._lock:
            self._now += delta
            for listener in list(self._listeners):
                await listener(self._now)


MAX_DURATION_SECONDS = 100 * 365 * 86400  # a century: far beyond any timer; callers bound it tighter


class DurationTooLong(ValueError):
    """A well-formed duration longer than :data:`MAX_DURATION_SECONDS`."""


def parse_duration(text: str) -> timedelta:
    """Parse ``"90s"``, ``"15m"``, ``"2h"``, ``"3d"``, ``"1w"`` or combinations like ``"1d12h"``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    raw = text.strip().lower()
    if not raw:
        raise ValueError("empty duration")
    total = 0
    number = ""
    for ch in raw:
        if ch.isdigit():
            number += ch
        elif ch in units and number:
            total += int(number) * units[ch]
            number = ""
        else:
            raise ValueError(f"invalid duration {text!r}: use a number followed by s, m, h, d or w")
    if number:
        raise ValueError(f"invalid duration {text!r}: missing unit after {number}")
    if total > MAX_DURATION_SECONDS:  # timedelta itself would raise OverflowError
        raise DurationTooLong(f"invalid duration {text!r}: too long")
    return timedelta(seconds=total)
