"""The feedback board as a CSV file, for ``/feedback export`` and the dashboard's export button (member text
defused against spreadsheet formulas by :mod:`bot.platform.spreadsheet`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.feedback.models import FeedbackItem
from bot.platform.spreadsheet import csv_bytes

EXPORT_COLUMNS = ("id", "type", "status", "title", "details", "steps", "version", "votes", "reporter_id",
                  "beta_id", "duplicate_of", "thread_id", "created_at", "first_staff_response_at", "status_note")


def export_csv(items: Sequence[FeedbackItem]) -> bytes:
    data, _ = csv_bytes(EXPORT_COLUMNS, ([
        i.id, i.type, i.status, i.title, i.details, i.steps or "", i.version or "", i.vote_count, i.reporter_id,
        i.beta_id or "", i.duplicate_of or "", i.thread_id or "", i.created_at, i.first_staff_response_at,
        i.status_note or "",
    ] for i in items))
    return data
