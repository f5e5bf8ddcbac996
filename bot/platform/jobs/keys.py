"""Typed keys of timer series: the timers one subject may have over time (a beta's close at its end date, a
member's feedback nudge), written with one key per occurrence and cancelled all together.

``BetaClose(beta_id=4).at(stamp)`` is the key of one occurrence (``betas:close:4:<stamp>``);
``cancel_series(conn, BetaClose(beta_id=4))`` cancels every pending one, and only those: the series' own key
and keys that extend it after a ``:``, so ``betas:nudge:1:23`` never cancels ``betas:nudge:1:234``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.platform.jobs.effects import JobKey


@dataclass(frozen=True, slots=True)
class SeriesKey(JobKey):
    """A :class:`JobKey` naming a series of timers; :meth:`at` gives one occurrence's dedupe key."""

    @property
    def prefix(self) -> str:
        return self.dedupe() + ":"

    def at(self, occurrence: str) -> str:
        return self.prefix + occurrence


@dataclass(frozen=True, slots=True)
class BetaAnnounce(SeriesKey):
    """A scheduled announcement's posting timer (one per time it is scheduled for)."""

    kind: ClassVar[str] = "betas:announce"
    announcement_id: int


@dataclass(frozen=True, slots=True)
class BetaRefresh(SeriesKey):
    """The edit that brings a beta's announcement in line with the beta (spots, status). One is pending at a
    time: a later change finds it and rides on it (the edit reads the beta when it runs)."""

    kind: ClassVar[str] = "betas:refresh"
    beta_id: int


@dataclass(frozen=True, slots=True)
class BetaWelcome(SeriesKey):
    """The discussion-thread ping of members a freed spot moved in from the waitlist: one per promotion,
    named by the first member promoted and their membership's ``seq``."""

    kind: ClassVar[str] = "betas:welcome"
    beta_id: int
    user_id: int
    seq: int


@dataclass(frozen=True, slots=True)
class BetaClose(SeriesKey):
    kind: ClassVar[str] = "betas:close"
    beta_id: int


@dataclass(frozen=True, slots=True)
class BetaRemind(SeriesKey):
    kind: ClassVar[str] = "betas:remind"
    beta_id: int


@dataclass(frozen=True, slots=True)
class BetaNudges(SeriesKey):
    """Every participant's feedback nudge of a beta."""

    kind: ClassVar[str] = "betas:nudge"
    beta_id: int


@dataclass(frozen=True, slots=True)
class BetaNudge(SeriesKey):
    """One participant's feedback nudge (its own key is the timer's: one nudge per member and beta)."""

    kind: ClassVar[str] = "betas:nudge"
    beta_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class SolvedClose(SeriesKey):
    """A solved help post's close timer: one pending per post, replaced whenever its solution changes. Its
    occurrences are ``<message id>:<n>`` (the n-th timer of the post); the keys written before this series
    existed (``solved-close:<thread>:<message>``) belong to it too, so they are cancelled with it."""

    kind: ClassVar[str] = "solved-close"
    thread_id: int


@dataclass(frozen=True, slots=True)
class RewardDemotion(SeriesKey):
    """A delivered grant's pending demotion (one per cause)."""

    kind: ClassVar[str] = "rewards:demote"
    grant_id: int


__all__ = ["BetaAnnounce", "BetaClose", "BetaNudge", "BetaNudges", "BetaRefresh", "BetaRemind", "BetaWelcome",
           "RewardDemotion", "SeriesKey", "SolvedClose"]
