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
from bot.platform.jobs.keys import SeriesKey

DM_EVENT = "feedback.dm"
MENTION_EVENT = "feedback.mention"
STATUS_LINE_EVENT = "feedback.status_line"
MERGE_NOTE_EVENT = "feedback.merge_note"
REVIEW_POST_EVENT = "feedback.review_post"
REVIEW_OUTCOME_EVENT = "feedback.review_outcome"
EMBED_EVENT = "feedback.embed"
SCREENSHOTS_EVENT = "feedback.screenshots"
OPEN_POST_EVENT = "feedback.open_post"
POST_FAILED_EVENT = "feedback.post_failed"
POST_FAILED_STAFF_EVENT = "feedback.post_failed_staff"


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


RETAG_EVENT = "feedback.retag"
MERGE_CARD_EVENT = "feedback.merge_card"
MERGE_SETTLED_EVENT = "feedback.merge_settled"


@dataclass(frozen=True, slots=True)
class RetagKey(JobKey):
    """A report's type changed (``/feedback retype``): the thread's tags and embed as the item is when the job
    runs, ``feedback.retag:<item id>:<change id>``."""

    kind: ClassVar[str] = RETAG_EVENT
    item_id: int
    change_id: int


@dataclass(frozen=True, slots=True)
class MergeCardKey(JobKey):
    """A proposed merge: its staff card with Merge / Not a duplicate, ``feedback.merge_card:<proposal id>``."""

    kind: ClassVar[str] = MERGE_CARD_EVENT
    proposal_id: int


@dataclass(frozen=True, slots=True)
class MergeSettledKey(JobKey):
    """A proposed merge done another way (staff merged the report with ``/feedback status``): its card says so
    and loses its buttons, ``feedback.merge_settled:<proposal id>``."""

    kind: ClassVar[str] = MERGE_SETTLED_EVENT
    proposal_id: int


@dataclass(frozen=True, slots=True)
class ReviewPostKey(JobKey):
    """A report held for review: its card in the review channel, ``feedback.review_post:<item id>`` (written
    with the report, once per report)."""

    kind: ClassVar[str] = REVIEW_POST_EVENT
    item_id: int


@dataclass(frozen=True, slots=True)
class ReviewOutcomeKey(JobKey):
    """A report leaving the review queue: its card shows who rejected it, the link to its post once made, or that
    the approved post could not be made, and loses its buttons, ``feedback.review_outcome:<item id>`` (a report
    leaves the queue once)."""

    kind: ClassVar[str] = REVIEW_OUTCOME_EVENT
    item_id: int


@dataclass(frozen=True, slots=True)
class ItemEmbed(SeriesKey):
    """The edit that brings an item's embed (its votes) in line with the item, ``feedback.embed:<item id>``.
    One is pending at a time: a later vote finds it and rides on it (the edit reads the item when it runs)."""

    kind: ClassVar[str] = EMBED_EVENT
    item_id: int


@dataclass(frozen=True, slots=True)
class ItemEmbedRun(JobKey):
    """One run of :class:`ItemEmbed`'s series: ``feedback.embed:<item id>:<run>``."""

    kind: ClassVar[str] = EMBED_EVENT
    item_id: int
    run: str


@dataclass(frozen=True, slots=True)
class OpenPostKey(JobKey):
    """A report's forum post (its thread with the item card), then ``publish``: ``feedback.open_post:<item id>``,
    written with the draft (``/feedback new``) or with the approval of a held report — once per report."""

    kind: ClassVar[str] = OPEN_POST_EVENT
    item_id: int


@dataclass(frozen=True, slots=True)
class PostFailedKey(JobKey):
    """The post of a report could not be made in the end: its reporter hears it by DM (with their text, so
    nothing is lost), ``feedback.post_failed:<item id>``."""

    kind: ClassVar[str] = POST_FAILED_EVENT
    item_id: int


@dataclass(frozen=True, slots=True)
class PostFailedStaffKey(JobKey):
    """...and the staff log hears which report it was (the DM tells the reporter the team knows):
    ``feedback.post_failed_staff:<item id>``, written with :class:`PostFailedKey`."""

    kind: ClassVar[str] = POST_FAILED_STAFF_EVENT
    item_id: int


@dataclass(frozen=True, slots=True)
class ScreenshotsKey(JobKey):
    """Post the form's screenshots in the report's new thread (downloaded from Discord's attachment URLs and
    uploaded again): ``feedback.screenshots:<item id>``, written when the report is published."""

    kind: ClassVar[str] = SCREENSHOTS_EVENT
    item_id: int


__all__ = ["DM_EVENT", "EMBED_EVENT", "MENTION_EVENT", "MERGE_CARD_EVENT", "MERGE_NOTE_EVENT", "OPEN_POST_EVENT",
           "POST_FAILED_EVENT", "POST_FAILED_STAFF_EVENT", "RETAG_EVENT", "OpenPostKey", "PostFailedKey",
           "PostFailedStaffKey",
           "REVIEW_OUTCOME_EVENT", "REVIEW_POST_EVENT", "SCREENSHOTS_EVENT", "STATUS_LINE_EVENT", "DmKey", "ItemEmbed",
           "ItemEmbedRun", "MentionKey", "MergeCardKey", "MergeNoteKey", "RetagKey", "ReviewOutcomeKey", "ReviewPostKey",
           "ScreenshotsKey", "StatusLineKey"]
