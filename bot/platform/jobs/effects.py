"""Discord side effects as durable jobs: what to do when one fails, and the jobs' idempotency keys.

No discord here. The Discord side turns a failure into an :class:`EffectFailure` (HTTP status and Discord's
JSON error code, see ``bot.core.effect_errors``) and asks :func:`classify` what to do with it. The classes
follow Discord's documentation of HTTP status codes and JSON error codes:

================================================  ==========================================================
failure                                           action
================================================  ==========================================================
429, any 5xx, no answer (timeout, connection)     ``RETRY``: raise, the scheduler retries with back-off; a
                                                  final failure only once ``max_attempts`` are used
50007 cannot send messages to this user,          ``FALLBACK``: the feature's fallback (feedback: mention the
50278 no mutual guild                             member in the thread, once)
10003 / 10008 / 10007 / 10013 unknown channel,    ``DROP``: the target is gone; the job ends with an audit
message, member, user                             line (:class:`Drop`)
50013 missing permissions, 50001 missing access   ``REPORT``: tell the staff log which permission is missing,
                                                  then fail the job for good (:class:`GiveUp`)
50083 thread is archived, 160005 thread is        ``UNARCHIVE``: reopen the thread where permitted, retry
locked                                            (else the feature's fallback, or fail)
anything else (a 4xx Discord refused)             ``FAIL``: fail the job for good, no retry
================================================  ==========================================================

A handler signals the outcome to :class:`~bot.platform.jobs.scheduler.TimerScheduler` by what it raises:
any exception is retried with back-off, :class:`Drop` finishes the job with an audit line, :class:`GiveUp`
fails it at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class Action(StrEnum):
    RETRY = "retry"
    FALLBACK = "fallback"
    DROP = "drop"
    REPORT = "report"
    UNARCHIVE = "unarchive"
    FAIL = "fail"


# Discord JSON error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json).
UNKNOWN_CHANNEL = 10003
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_USER = 10013
MISSING_ACCESS = 50001
CANNOT_DM = 50007
MISSING_PERMISSIONS = 50013
THREAD_ARCHIVED = 50083
NO_MUTUAL_GUILD = 50278
THREAD_LOCKED = 160005

_BY_CODE: dict[int, Action] = {
    CANNOT_DM: Action.FALLBACK,
    NO_MUTUAL_GUILD: Action.FALLBACK,
    UNKNOWN_CHANNEL: Action.DROP,
    UNKNOWN_MESSAGE: Action.DROP,
    UNKNOWN_MEMBER: Action.DROP,
    UNKNOWN_USER: Action.DROP,
    MISSING_PERMISSIONS: Action.REPORT,
    MISSING_ACCESS: Action.REPORT,
    THREAD_ARCHIVED: Action.UNARCHIVE,
    THREAD_LOCKED: Action.UNARCHIVE,
}


@dataclass(frozen=True, slots=True)
class EffectFailure:
    """A failed Discord call as the platform sees it. ``status`` is ``None`` when no answer came at all."""

    status: int | None
    code: int = 0
    text: str = ""

    def __str__(self) -> str:
        if self.status is None:
            return f"no answer from Discord ({self.text or 'timeout'})"
        return f"HTTP {self.status}" + (f" code {self.code}" if self.code else "") + (f": {self.text}" if self.text else "")


def classify(failure: EffectFailure) -> Action:
    """What to do about ``failure`` (see the table in the module docstring)."""
    if failure.status is None or failure.status == 429 or failure.status >= 500:
        return Action.RETRY
    if failure.code in _BY_CODE:
        return _BY_CODE[failure.code]
    if failure.status == 404:  # a 404 without a known code: the target is gone all the same
        return Action.DROP
    return Action.FAIL


class EffectError(Exception):
    """Raised by a job handler to tell the scheduler how a Discord effect ended."""

    def __init__(self, reason: str, failure: EffectFailure | None = None) -> None:
        super().__init__(reason if failure is None else f"{reason} ({failure})")
        self.reason = reason
        self.failure = failure


class Retry(EffectError):
    """A transient failure: retried with back-off (as any other exception would be), named for logs."""


class Drop(EffectError):
    """The effect's target is gone: the job is finished (not failed) and an audit line says why."""


class GiveUp(EffectError):
    """Retrying cannot help (a permission, a refusal): the job fails now, without using its attempts."""


@dataclass(frozen=True, slots=True)
class JobKey:
    """A typed idempotency key: a subclass names its ``kind`` and declares its fields; :meth:`dedupe` gives
    ``<kind>:<field>:<field>…`` in field order, the timer's ``dedupe_key``. Fields are ints or short strings
    without colons, so a key is never ambiguous."""

    kind: ClassVar[str] = ""

    def dedupe(self) -> str:
        if not self.kind:
            raise TypeError(f"{type(self).__name__} names no kind")
        parts = [getattr(self, f.name) for f in dataclasses.fields(self)]
        for part in parts:
            if not isinstance(part, int | str) or isinstance(part, bool) or (isinstance(part, str) and ":" in part):
                raise ValueError(f"{type(self).__name__}: key fields are ints or strings without ':', got {part!r}")
        return ":".join([self.kind, *(str(p) for p in parts)])

    def __str__(self) -> str:
        return self.dedupe()


__all__ = [
    "Action", "Drop", "EffectError", "EffectFailure", "GiveUp", "JobKey", "Retry", "classify",
]
