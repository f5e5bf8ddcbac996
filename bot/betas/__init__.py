"""Beta programs run inside the community: see :mod:`bot.betas.service` for the rules."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.betas.models import (
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
    from bot.betas.service import (
        ANNOUNCE_EVENT,
        CLOSE_EVENT,
        NEWS_EVENT,
        NUDGE_EVENT,
        REMIND_EVENT,
        REPLIES_EVENT,
        BetaPolicy,
        BetaService,
        day_start,
        week_start,
    )

# Loaded on first use, so that importing one module of this feature (its tables, say) does not import
# the whole feature and, through it, the features it calls.
_EXPORTS = {
    "Beta": ("bot.betas.models", "Beta"),
    "BetaDraft": ("bot.betas.models", "BetaDraft"),
    "CloseResult": ("bot.betas.models", "CloseResult"),
    "Eligibility": ("bot.betas.models", "Eligibility"),
    "JoinResult": ("bot.betas.models", "JoinResult"),
    "LeaveResult": ("bot.betas.models", "LeaveResult"),
    "MemberFacts": ("bot.betas.models", "MemberFacts"),
    "Participant": ("bot.betas.models", "Participant"),
    "Slot": ("bot.betas.models", "Slot"),
    "parse_when": ("bot.betas.models", "parse_when"),
    "validate_draft": ("bot.betas.models", "validate_draft"),
    "ANNOUNCE_EVENT": ("bot.betas.service", "ANNOUNCE_EVENT"),
    "CLOSE_EVENT": ("bot.betas.service", "CLOSE_EVENT"),
    "NEWS_EVENT": ("bot.betas.service", "NEWS_EVENT"),
    "NUDGE_EVENT": ("bot.betas.service", "NUDGE_EVENT"),
    "REMIND_EVENT": ("bot.betas.service", "REMIND_EVENT"),
    "REPLIES_EVENT": ("bot.betas.service", "REPLIES_EVENT"),
    "BetaPolicy": ("bot.betas.service", "BetaPolicy"),
    "BetaService": ("bot.betas.service", "BetaService"),
    "day_start": ("bot.betas.service", "day_start"),
    "week_start": ("bot.betas.service", "week_start"),
}
__all__ = [
    "ANNOUNCE_EVENT",
    "Beta",
    "BetaDraft",
    "BetaPolicy",
    "BetaService",
    "CLOSE_EVENT",
    "CloseResult",
    "Eligibility",
    "JoinResult",
    "LeaveResult",
    "MemberFacts",
    "NEWS_EVENT",
    "NUDGE_EVENT",
    "Participant",
    "REMIND_EVENT",
    "REPLIES_EVENT",
    "Slot",
    "day_start",
    "parse_when",
    "validate_draft",
    "week_start",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
