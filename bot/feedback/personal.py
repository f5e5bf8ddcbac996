"""The feedback's personal data (see :mod:`bot.platform.personal`): items reported (their text is the
member's), votes, follows and co-reports. Rows stay under the pseudonym (vote counts, /stats); the reporter's
text goes. Staff status notes are not the member's."""

from __future__ import annotations

from bot.feedback.tables import (
    feedback,
    feedback_coreporters,
    feedback_dms_closed,
    feedback_drafts,
    feedback_followers,
    feedback_merge_proposals,
    feedback_votes,
)
from bot.platform.personal import Delete, PersonalData, Pseudonymise, Section, ViaParent

ERASED_TITLE = "(erased)"

_ITEM = ViaParent("feedback_id", feedback)


def _by_item(key: str) -> tuple[Section, ...]:
    return (Section(key, columns=("feedback_id", "created_at"), order_by=("feedback_id",)),)


PERSONAL_DATA = (
    PersonalData(
        feedback, ("reporter_id",), erase=Pseudonymise(blank={"title": ERASED_TITLE, "details": "", "steps": None}),
        export=(Section("feedback_reported", order_by=("id",), columns=(
            "id", "type", "title", "details", "steps", "version", "status", "status_note", "vote_count",
            "created_at", "updated_at")),),
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
                     "id", "type", "title", "details", "steps", "version", "state", "created_at")),)),
    # Merges the member proposed (and, for staff, decided): kept under the pseudonym (the merges stand).
    PersonalData(feedback_merge_proposals, ("proposer_id", "decided_by"), erase=Pseudonymise(),
                 export=(Section("feedback_merge_proposals", order_by=("id",), columns=(
                     "id", "item_id", "into_id", "state", "credited", "created_at", "decided_at")),)),
)
