"""Members' data rights: the data export, erasure (``/mydata forget``), the tracking opt-out and retention."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.privacy.service import (
        RETENTION_EVENT,
        Erasure,
        PrivacyService,
        is_tracking_disabled,
        next_retention_run,
        tracking_refusal,
    )

# Loaded on first use (bot.platform.lazy).
_EXPORTS = {
    "RETENTION_EVENT": ("bot.privacy.service", "RETENTION_EVENT"),
    "Erasure": ("bot.privacy.service", "Erasure"),
    "PrivacyService": ("bot.privacy.service", "PrivacyService"),
    "is_tracking_disabled": ("bot.privacy.service", "is_tracking_disabled"),
    "next_retention_run": ("bot.privacy.service", "next_retention_run"),
    "tracking_refusal": ("bot.privacy.service", "tracking_refusal"),
}
__all__ = [
    "Erasure",
    "PrivacyService",
    "RETENTION_EVENT",
    "is_tracking_disabled",
    "next_retention_run",
    "tracking_refusal",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
