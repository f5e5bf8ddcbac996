"""How members' contributions on Discord reach the ledger: accepted answers, featured posts, approved guides,
thanks, staff corrections, probation releases and ring reports. See :mod:`.service` and :mod:`.text`."""

from bot.services.contributions.service import (
    CLOSE_SOLVED,
    DAILY,
    RELEASE,
    RELEASE_RECEIPT,
    ContributionsService,
    FeatureOutcome,
    SolutionOutcome,
)
from bot.services.contributions.text import (
    leaderboard_line,
    next_reward_text,
    progress_bar,
    receipt_line,
    release_receipt,
    stage_progress,
)

__all__ = [
    "CLOSE_SOLVED",
    "DAILY",
    "RELEASE",
    "RELEASE_RECEIPT",
    "ContributionsService",
    "FeatureOutcome",
    "SolutionOutcome",
    "leaderboard_line",
    "next_reward_text",
    "progress_bar",
    "receipt_line",
    "release_receipt",
    "stage_progress",
]
