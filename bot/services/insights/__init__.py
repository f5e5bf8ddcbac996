"""Community insights: the numbers behind /stats (computed from the database by pure functions), one
member's timeline, CSV exports, and the charts (:mod:`bot.services.insights.charts`, matplotlib on Agg)."""

from bot.services.insights.models import (
    PERIODS,
    BetaFunnel,
    Conversion,
    FeedbackStats,
    HelpStats,
    KindSeries,
    Ladder,
    MemberTimeline,
    Overview,
    Window,
)
from bot.services.insights.service import EXPORTS, ExportFile, InsightsService, member_ref, package

__all__ = [
    "EXPORTS",
    "PERIODS",
    "BetaFunnel",
    "Conversion",
    "ExportFile",
    "FeedbackStats",
    "HelpStats",
    "InsightsService",
    "KindSeries",
    "Ladder",
    "MemberTimeline",
    "Overview",
    "Window",
    "member_ref",
    "package",
]
