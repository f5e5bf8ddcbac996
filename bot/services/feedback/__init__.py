"""Feedback threads: intake, review queue, status lifecycle, votes, followers, duplicates (no discord here)."""

from bot.services.feedback.models import (
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
from bot.services.feedback.service import NOTIFY_EVENT, FeedbackService

__all__ = [
    "LABELS", "NOTIFY_EVENT", "OPEN_STATUSES", "PUBLIC_STATUSES", "STAFF_STATUSES", "STATUSES", "TRANSITIONS",
    "TYPES", "Draft", "FeedbackItem", "FeedbackPolicy", "FeedbackService", "Page", "StatusChange", "VoteResult",
    "check_transition", "label", "validate_draft",
]
