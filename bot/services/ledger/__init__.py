"""The contribution ledger service: see :mod:`bot.services.ledger.service` for the rules."""

from bot.services.ledger.models import (
    ContributionEvent,
    CreditResult,
    CreditStatus,
    LeaderboardEntry,
    Period,
    Profile,
    Receipt,
    Ring,
)
from bot.services.ledger.policy import (
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
from bot.services.ledger.service import LedgerService, OnChange, OnRelease, day_start

__all__ = [
    "DEFAULT_POINTS",
    "FEEDBACK_KINDS",
    "KINDS",
    "NO_SELF_CREDIT",
    "PEER_KINDS",
    "ContributionEvent",
    "CreditResult",
    "CreditStatus",
    "LeaderboardEntry",
    "LedgerPolicy",
    "LedgerService",
    "OnChange",
    "OnRelease",
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
