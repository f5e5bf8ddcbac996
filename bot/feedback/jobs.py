"""The Discord side effects of a feedback change, one durable job each (see :mod:`bot.platform.jobs.effects`).

A status change (or a rejection) writes, in its own transaction, one job per member to tell by DM, one
job for the thread (tags, the item embed and the status line) and, for a duplicate, one for the original's
thread (its embed and the merge note). Each is keyed by the change — the id of the change's audit entry —
so a retried or replayed job never does its effect for another change, and writing a job twice is a no-op.
The DM's fallback, a mention in the thread, is keyed by the item: a member whose DMs are closed is pinged
once per item, not once per change (the thread's status lines tell them the rest). The job's event is its
key's kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.platform.jobs.effects import JobKey

DM_EVENT = "feedback.dm"
MENTION_EVENT = "feedback.mention"
STATUS_LINE_EVENT = "feedback.status_line"
MERGE_NOTE_EVENT = "feedback.merge_note"
SCREENSHOTS_EVENT = "feedback.screenshots"


@dataclass(frozen=True, slots=True)
class DmKey(JobKey):
    """Tell one member about one change by DM: ``feedback.dm:<change id>:<user id>``."""

    kind: ClassVar[str] = DM_EVENT
    change_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class MentionKey(JobKey):
    """The DM's fallback, a mention in the thread (members whose DMs are closed): once per item and member,
    ``feedback.mention:item:<item id>:<user id>`` (earlier versions keyed it by change)."""

    kind: ClassVar[str] = MENTION_EVENT
    scope: str
    item_id: int
    user_id: int

    @classmethod
    def of(cls, item_id: int, user_id: int) -> MentionKey:
        return cls("item", item_id, user_id)


@dataclass(frozen=True, slots=True)
class StatusLineKey(JobKey):
    """Bring the thread in line with one change: ``feedback.status_line:<item id>:<change id>``."""

    kind: ClassVar[str] = STATUS_LINE_EVENT
    item_id: int
    change_id: int


@dataclass(frozen=True, slots=True)
class MergeNoteKey(JobKey):
    """A duplicate was merged: the original's embed (its votes) and a note in its thread,
    ``feedback.merge_note:<original id>:<change id>``."""

    kind: ClassVar[str] = MERGE_NOTE_EVENT
    target_id: int
    change_id: int


@dataclass(frozen=True, slots=True)
class ScreenshotsKey(JobKey):
    """Post the form's screenshots in the report's new thread (downloaded from Discord's attachment URLs and
    uploaded again): ``feedback.screenshots:<item id>``, written when the report is published."""

    kind: ClassVar[str] = SCREENSHOTS_EVENT
    item_id: int


__all__ = ["DM_EVENT", "MENTION_EVENT", "MERGE_NOTE_EVENT", "SCREENSHOTS_EVENT", "STATUS_LINE_EVENT", "DmKey",
           "MentionKey", "MergeNoteKey", "ScreenshotsKey", "StatusLineKey"]
