"""The contribution ledger service: see :mod:`bot.ledger.service` for the rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.ledger.models import (
        Contribution,
        ContributionEvent,
        CreditResult,
        CreditStatus,
        LeaderboardEntry,
        Period,
        Profile,
        Receipt,
        Ring,
    )
    from bot.ledger.policy import (
        DEFAULT_POINTS,
        FEEDBACK_KINDS,
        KINDS,
        NO_SELF_CREDIT,
        PEER_KINDS,
        LedgerPolicy,
        Requirement,
        Season,
        Stage,
        default_ladder,
    )
    from bot.ledger.service import LedgerService, OnChange, OnRelease, day_start

# Loaded on first use (bot.platform.lazy).
_EXPORTS = {
    "Contribution": ("bot.ledger.models", "Contribution"),
    "ContributionEvent": ("bot.ledger.models", "ContributionEvent"),
    "CreditResult": ("bot.ledger.models", "CreditResult"),
    "CreditStatus": ("bot.ledger.models", "CreditStatus"),
    "LeaderboardEntry": ("bot.ledger.models", "LeaderboardEntry"),
    "Period": ("bot.ledger.models", "Period"),
    "Profile": ("bot.ledger.models", "Profile"),
    "Receipt": ("bot.ledger.models", "Receipt"),
    "Ring": ("bot.ledger.models", "Ring"),
    "DEFAULT_POINTS": ("bot.ledger.policy", "DEFAULT_POINTS"),
    "FEEDBACK_KINDS": ("bot.ledger.policy", "FEEDBACK_KINDS"),
    "KINDS": ("bot.ledger.policy", "KINDS"),
    "NO_SELF_CREDIT": ("bot.ledger.policy", "NO_SELF_CREDIT"),
    "PEER_KINDS": ("bot.ledger.policy", "PEER_KINDS"),
    "LedgerPolicy": ("bot.ledger.policy", "LedgerPolicy"),
    "Requirement": ("bot.ledger.policy", "Requirement"),
    "Season": ("bot.ledger.policy", "Season"),
    "Stage": ("bot.ledger.policy", "Stage"),
    "default_ladder": ("bot.ledger.policy", "default_ladder"),
    "LedgerService": ("bot.ledger.service", "LedgerService"),
    "OnChange": ("bot.ledger.service", "OnChange"),
    "OnRelease": ("bot.ledger.service", "OnRelease"),
    "day_start": ("bot.ledger.service", "day_start"),
}
__all__ = [
    "Contribution",
    "ContributionEvent",
    "CreditResult",
    "CreditStatus",
    "DEFAULT_POINTS",
    "FEEDBACK_KINDS",
    "KINDS",
    "LeaderboardEntry",
    "LedgerPolicy",
    "LedgerService",
    "NO_SELF_CREDIT",
    "OnChange",
    "OnRelease",
    "PEER_KINDS",
    "Period",
    "Profile",
    "Receipt",
    "Requirement",
    "Ring",
    "Season",
    "Stage",
    "day_start",
    "default_ladder",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
