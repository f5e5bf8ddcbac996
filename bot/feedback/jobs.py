"""The Discord side effects of a feedback change, one durable job each (see :mod:`bot.platform.jobs.effects`).

A status change (or a rejection) writes, in its own transaction, one job per member to tell by DM and one
job for the thread (tags, the item embed and the status line). Each is keyed by the change — the id of the
change's audit entry — so a retried or replayed job never does its effect for another change, and writing
a job twice is a no-op. The job's event is its key's kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.platform.jobs.effects import JobKey

DM_EVENT = "feedback.dm"
MENTION_EVENT = "feedback.mention"
STATUS_LINE_EVENT = "feedback.status_line"


@dataclass(frozen=True, slots=True)
class DmKey(JobKey):
    """Tell one member about one change by DM: ``feedback.dm:<change id>:<user id>``."""

    kind: ClassVar[str] = DM_EVENT
    change_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class MentionKey(JobKey):
    """The DM's fallback, a mention in the thread (members whose DMs are closed): once per change and member."""

    kind: ClassVar[str] = MENTION_EVENT
    change_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class StatusLineKey(JobKey):
    """Bring the thread in line with one change: ``feedback.status_line:<item id>:<change id>``."""

    kind: ClassVar[str] = STATUS_LINE_EVENT
    item_id: int
    change_id: int


__all__ = ["DM_EVENT", "MENTION_EVENT", "STATUS_LINE_EVENT", "DmKey", "MentionKey", "StatusLineKey"]
