"""Beta programs run inside the community: see :mod:`bot.services.betas.service` for the rules."""

from bot.services.betas.models import (
    Beta,
    BetaDraft,
    CloseResult,
    Eligibility,
    JoinResult,
    LeaveResult,
    MemberFacts,
    Participant,
    Slot,
    parse_when,
    validate_draft,
)
from bot.services.betas.service import (
    ANNOUNCE_EVENT,
    CLOSE_EVENT,
    NUDGE_EVENT,
    REMIND_EVENT,
    BetaPolicy,
    BetaService,
    day_start,
    week_start,
)

__all__ = [
    "ANNOUNCE_EVENT",
    "CLOSE_EVENT",
    "NUDGE_EVENT",
    "REMIND_EVENT",
    "Beta",
    "BetaDraft",
    "BetaPolicy",
    "BetaService",
    "CloseResult",
    "Eligibility",
    "JoinResult",
    "LeaveResult",
    "MemberFacts",
    "Participant",
    "Slot",
    "day_start",
    "parse_when",
    "validate_draft",
    "week_start",
]
