"""The feedback's personal data (see :mod:`bot.platform.personal`): items reported (their text is the
member's), votes, follows and co-reports. Rows stay under the pseudonym (vote counts, /stats); the reporter's
text goes. Staff status notes are not the member's."""

from __future__ import annotations

import json

from bot.feedback.tables import (
    feedback,
    feedback_coreporters,
    feedback_dms_closed,
    feedback_drafts,
    feedback_followers,
    feedback_merge_proposals,
    feedback_screenshots,
    feedback_votes,
)
from bot.platform.personal import Child, Delete, PersonalData, Pseudonymise, Section, ViaParent

ERASED_TITLE = "(erased)"


def _shots(value: str | None) -> list[dict[str, object]]:
    """A draft's screenshots (JSON text in the table) as the list it is."""
    return json.loads(value) if value else []

_ITEM = ViaParent("feedback_id", feedback)
# A report's screenshots (Discord's links, kept until the job posting them in its thread has run: a report held
# for review or not yet posted still has them) are the reporter's: exported with it, deleted by erasure.
_SCREENSHOTS = Child(feedback_screenshots, "feedback_id")


def _by_item(key: str) -> tuple[Section, ...]:
    return (Section(key, columns=("feedback_id", "created_at"), order_by=("feedback_id",)),)


PERSONAL_DATA = (
    PersonalData(
        feedback, ("reporter_id",),
        erase=Pseudonymise(blank={"title": ERASED_TITLE, "details": "", "steps": None}, drop=(_SCREENSHOTS,)),
        export=(Section("feedback_reported", order_by=("id",), columns=(
            "id", "type", "title", "details", "steps", "version", "status", "status_note", "vote_count",
            "created_at", "updated_at")),
                Section("feedback_screenshots", child=_SCREENSHOTS, order_by=("feedback_id", "position"),
                        columns=("feedback_id", "position", "url", "filename", "content_type", "size"))),
    ),
    PersonalData(feedback_votes, ("user_id",), guild=_ITEM, erase=Pseudonymise(), export=_by_item("feedback_votes")),
    PersonalData(feedback_followers, ("user_id",), guild=_ITEM, erase=Pseudonymise(),
                 export=_by_item("feedback_follows")),
    PersonalData(feedback_coreporters, ("user_id",), guild=_ITEM, erase=Pseudonymise(),
                 export=_by_item("feedback_coreported")),
    # A note that the member's DMs were closed: nothing aggregates it, it goes.
    PersonalData(feedback_dms_closed, ("user_id",), erase=Delete(),
                 export=(Section("feedback_dms_closed", columns=("until",), order_by=("until",)),)),
    # A report waiting on "Is it one of these?" (or already posted / voted): the member's text, it goes.
    PersonalData(feedback_drafts, ("user_id",), erase=Delete(),
                 export=(Section("feedback_drafts", order_by=("id",), columns=(
                     "id", "type", "title", "details", "steps", "version", "screenshots", "state", "created_at"),
                         mask=(("screenshots", _shots),)),)),
    # Merges the member proposed (and, for staff, decided): kept under the pseudonym (the merges stand).
    PersonalData(feedback_merge_proposals, ("proposer_id", "decided_by"), erase=Pseudonymise(),
                 export=(Section("feedback_merge_proposals", order_by=("id",), columns=(
                     "id", "item_id", "into_id", "state", "credited", "created_at", "decided_at")),)),
)
