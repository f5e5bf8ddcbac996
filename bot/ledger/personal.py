"""The ledger's personal data (see :mod:`bot.platform.personal`): who received and gave credit, their totals,
their ladder stage and its moves. Erasure keeps every row under the pseudonym, so totals, leaderboards and
/stats stay consistent; the reasons written to or by the member go."""

from __future__ import annotations

from bot.ledger.tables import contributions, member_stages, member_stats, stage_moves
from bot.platform.personal import PersonalData, Pseudonymise, Section

PERSONAL_DATA = (
    PersonalData(
        contributions, ("user_id", "actor_id"),
        # Free text about the member (reasons given to them) and by them (reasons they wrote) goes; source keys
        # that name them ("thanks:<giver>:<receiver>:…") name the pseudonym.
        erase=Pseudonymise(blank={"reason": ""}, swap=("source_key",)),
        export=(
            Section("contributions_received", match=("user_id",), order_by=("id",), columns=(
                "id", "kind", "points", "status", "reason", "note", "season", "channel_id", "thread_id",
                "message_id", "reverses_id", "created_at", "held_until")),
            # What they gave others, without the receiver's id.
            Section("contributions_given", match=("actor_id",), unless=("user_id",), order_by=("id",),
                    columns=("id", "kind", "reason", "created_at")),
        ),
    ),
    PersonalData(
        member_stats, ("user_id",), erase=Pseudonymise(),
        export=(Section("totals", columns=("kind", "season", "points", "count"), order_by=("season", "kind")),),
    ),
    # The member's ladder stage and its moves stay in the /stats aggregates, under the pseudonym.
    PersonalData(member_stages, ("user_id",), erase=Pseudonymise()),
    PersonalData(
        stage_moves, ("user_id",), erase=Pseudonymise(),
        export=(Section("ladder_stage_moves", columns=("from_stage", "to_stage", "at"), order_by=("id",)),),
    ),
)
