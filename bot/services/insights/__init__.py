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
from bot.services.insights.service import (
    EXPORTS,
    MAX_FILES_PER_MESSAGE,
    ExportFile,
    InsightsService,
    member_ref,
    package,
)

__all__ = [
    "EXPORTS",
    "MAX_FILES_PER_MESSAGE",
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
