"""Members' data rights: the data export, erasure (``/mydata forget``), the tracking opt-out and retention."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.privacy.service import (
        RETENTION_EVENT,
        Erasure,
        PrivacyService,
        is_tracking_disabled,
        next_retention_run,
        tracking_refusal,
    )

# Loaded on first use, so that importing one module of this feature (its tables, say) does not import
# the whole feature and, through it, the features it calls.
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


def __getattr__(name: str) -> Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
