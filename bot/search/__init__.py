"""Similar-item search: feedback items and help posts, full text (SQLite FTS5 / PostgreSQL tsvector) plus a
fuzzy title match. No discord here; see docs/feedback.md "Is it one of these?"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.search.engine import Match
    from bot.search.service import SearchPolicy, SearchService

_EXPORTS = {
    "Match": ("bot.search.engine", "Match"),
    "SearchPolicy": ("bot.search.service", "SearchPolicy"),
    "SearchService": ("bot.search.service", "SearchService"),
}

__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = ["Match", "SearchPolicy", "SearchService"]
