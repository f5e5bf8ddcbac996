"""Beta programs run inside the community: see :mod:`bot.betas.service` for the rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

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
        CHANGES_EVENT,
        CLOSE_EVENT,
        NEWS_EVENT,
        NUDGE_EVENT,
        REFRESH_EVENT,
        REMIND_EVENT,
        REPLIES_EVENT,
        THREAD_EVENT,
        WELCOME_EVENT,
        BetaPolicy,
        BetaService,
        day_start,
        week_start,
    )

# Loaded on first use (bot.platform.lazy).
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
    "CHANGES_EVENT": ("bot.betas.service", "CHANGES_EVENT"),
    "NEWS_EVENT": ("bot.betas.service", "NEWS_EVENT"),
    "NUDGE_EVENT": ("bot.betas.service", "NUDGE_EVENT"),
    "REMIND_EVENT": ("bot.betas.service", "REMIND_EVENT"),
    "REFRESH_EVENT": ("bot.betas.service", "REFRESH_EVENT"),
    "REPLIES_EVENT": ("bot.betas.service", "REPLIES_EVENT"),
    "WELCOME_EVENT": ("bot.betas.service", "WELCOME_EVENT"),
    "THREAD_EVENT": ("bot.betas.service", "THREAD_EVENT"),
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
    "CHANGES_EVENT",
    "NEWS_EVENT",
    "NUDGE_EVENT",
    "Participant",
    "REMIND_EVENT",
    "REFRESH_EVENT",
    "REPLIES_EVENT",
    "THREAD_EVENT",
    "WELCOME_EVENT",
    "Slot",
    "day_start",
    "parse_when",
    "validate_draft",
    "week_start",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
