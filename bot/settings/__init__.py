"""A server's own settings, stored in the database on top of config.toml (``/settings``, the dashboard's
Settings page): see :mod:`bot.settings.service` and docs/settings.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.settings.service import RESET, Setting, SettingsService

# Loaded on first use (bot.platform.lazy).
_EXPORTS = {
    "RESET": ("bot.settings.service", "RESET"),
    "Setting": ("bot.settings.service", "Setting"),
    "SettingsService": ("bot.settings.service", "SettingsService"),
}
__all__ = ["RESET", "Setting", "SettingsService"]

__getattr__ = lazy_exports(__name__, _EXPORTS)
