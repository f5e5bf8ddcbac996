"""Feedback threads: intake, review queue, status lifecycle, votes, followers, duplicates (no discord here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.feedback.models import (
        LABELS,
        OPEN_STATUSES,
        PUBLIC_STATUSES,
        STAFF_STATUSES,
        STATUSES,
        TRANSITIONS,
        TYPES,
        Draft,
        FeedbackItem,
        FeedbackPolicy,
        Page,
        StatusChange,
        VoteResult,
        check_transition,
        label,
        validate_draft,
    )
    from bot.feedback.service import NOTIFY_EVENT, FeedbackService

# Loaded on first use (bot.platform.lazy).
_EXPORTS = {
    "LABELS": ("bot.feedback.models", "LABELS"),
    "OPEN_STATUSES": ("bot.feedback.models", "OPEN_STATUSES"),
    "PUBLIC_STATUSES": ("bot.feedback.models", "PUBLIC_STATUSES"),
    "STAFF_STATUSES": ("bot.feedback.models", "STAFF_STATUSES"),
    "STATUSES": ("bot.feedback.models", "STATUSES"),
    "TRANSITIONS": ("bot.feedback.models", "TRANSITIONS"),
    "TYPES": ("bot.feedback.models", "TYPES"),
    "Draft": ("bot.feedback.models", "Draft"),
    "FeedbackItem": ("bot.feedback.models", "FeedbackItem"),
    "FeedbackPolicy": ("bot.feedback.models", "FeedbackPolicy"),
    "Page": ("bot.feedback.models", "Page"),
    "StatusChange": ("bot.feedback.models", "StatusChange"),
    "VoteResult": ("bot.feedback.models", "VoteResult"),
    "check_transition": ("bot.feedback.models", "check_transition"),
    "label": ("bot.feedback.models", "label"),
    "validate_draft": ("bot.feedback.models", "validate_draft"),
    "NOTIFY_EVENT": ("bot.feedback.service", "NOTIFY_EVENT"),
    "FeedbackService": ("bot.feedback.service", "FeedbackService"),
}
__all__ = [
    "Draft",
    "FeedbackItem",
    "FeedbackPolicy",
    "FeedbackService",
    "LABELS",
    "NOTIFY_EVENT",
    "OPEN_STATUSES",
    "PUBLIC_STATUSES",
    "Page",
    "STAFF_STATUSES",
    "STATUSES",
    "StatusChange",
    "TRANSITIONS",
    "TYPES",
    "VoteResult",
    "check_transition",
    "label",
    "validate_draft",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
