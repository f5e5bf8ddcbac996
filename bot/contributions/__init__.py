"""How members' contributions on Discord reach the ledger: accepted answers, featured posts, approved guides,
thanks, staff corrections, probation releases and ring reports. See :mod:`.service` and :mod:`.text`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.contributions.service import (
        CLOSE_SOLVED,
        DAILY,
        RELEASE,
        RELEASE_RECEIPT,
        RING_REPORT,
        ContributionsService,
        FeatureOutcome,
        SolutionOutcome,
    )
    from bot.contributions.text import (
        KIND_LABELS,
        leaderboard_line,
        next_reward_text,
        progress_bar,
        receipt_line,
        release_receipt,
        stage_progress,
    )

# Loaded on first use (bot.platform.lazy).
_EXPORTS = {
    "CLOSE_SOLVED": ("bot.contributions.service", "CLOSE_SOLVED"),
    "DAILY": ("bot.contributions.service", "DAILY"),
    "RELEASE": ("bot.contributions.service", "RELEASE"),
    "RELEASE_RECEIPT": ("bot.contributions.service", "RELEASE_RECEIPT"),
    "RING_REPORT": ("bot.contributions.service", "RING_REPORT"),
    "ContributionsService": ("bot.contributions.service", "ContributionsService"),
    "FeatureOutcome": ("bot.contributions.service", "FeatureOutcome"),
    "SolutionOutcome": ("bot.contributions.service", "SolutionOutcome"),
    "KIND_LABELS": ("bot.contributions.text", "KIND_LABELS"),
    "leaderboard_line": ("bot.contributions.text", "leaderboard_line"),
    "next_reward_text": ("bot.contributions.text", "next_reward_text"),
    "progress_bar": ("bot.contributions.text", "progress_bar"),
    "receipt_line": ("bot.contributions.text", "receipt_line"),
    "release_receipt": ("bot.contributions.text", "release_receipt"),
    "stage_progress": ("bot.contributions.text", "stage_progress"),
}
__all__ = [
    "CLOSE_SOLVED",
    "KIND_LABELS",
    "ContributionsService",
    "DAILY",
    "FeatureOutcome",
    "RELEASE",
    "RELEASE_RECEIPT",
    "RING_REPORT",
    "SolutionOutcome",
    "leaderboard_line",
    "next_reward_text",
    "progress_bar",
    "receipt_line",
    "release_receipt",
    "stage_progress",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
