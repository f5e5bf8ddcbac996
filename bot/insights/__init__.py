"""Community insights: the numbers behind /stats (computed from the database by pure functions), one
member's timeline, CSV exports, and the charts (:mod:`bot.insights.charts`, matplotlib on Agg)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.insights.models import (
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
    from bot.insights.service import (
        EXPORTS,
        MAX_FILES_PER_MESSAGE,
        ExportFile,
        InsightsService,
        member_ref,
        package,
    )

# Loaded on first use (bot.platform.lazy).
_EXPORTS = {
    "PERIODS": ("bot.insights.models", "PERIODS"),
    "BetaFunnel": ("bot.insights.models", "BetaFunnel"),
    "Conversion": ("bot.insights.models", "Conversion"),
    "FeedbackStats": ("bot.insights.models", "FeedbackStats"),
    "HelpStats": ("bot.insights.models", "HelpStats"),
    "KindSeries": ("bot.insights.models", "KindSeries"),
    "Ladder": ("bot.insights.models", "Ladder"),
    "MemberTimeline": ("bot.insights.models", "MemberTimeline"),
    "Overview": ("bot.insights.models", "Overview"),
    "Window": ("bot.insights.models", "Window"),
    "EXPORTS": ("bot.insights.service", "EXPORTS"),
    "MAX_FILES_PER_MESSAGE": ("bot.insights.service", "MAX_FILES_PER_MESSAGE"),
    "ExportFile": ("bot.insights.service", "ExportFile"),
    "InsightsService": ("bot.insights.service", "InsightsService"),
    "member_ref": ("bot.insights.service", "member_ref"),
    "package": ("bot.insights.service", "package"),
}
__all__ = [
    "BetaFunnel",
    "Conversion",
    "EXPORTS",
    "ExportFile",
    "FeedbackStats",
    "HelpStats",
    "InsightsService",
    "KindSeries",
    "Ladder",
    "MAX_FILES_PER_MESSAGE",
    "MemberTimeline",
    "Overview",
    "PERIODS",
    "Window",
    "member_ref",
    "package",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
