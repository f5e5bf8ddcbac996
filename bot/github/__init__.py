"""GitHub Issues sync: feedback items linked to issues follow their state (no discord here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.github.service import GithubService

_EXPORTS = {"GithubService": ("bot.github.service", "GithubService")}
__all__ = ["GithubService"]

__getattr__ = lazy_exports(__name__, _EXPORTS)
