"""Members' data rights: the data export, erasure (``/mydata forget``), the tracking opt-out and retention."""

from bot.services.privacy.service import (
    RETENTION_EVENT,
    Erasure,
    PrivacyService,
    is_tracking_disabled,
    next_retention_run,
    tracking_refusal,
)

__all__ = [
    "RETENTION_EVENT",
    "Erasure",
    "PrivacyService",
    "is_tracking_disabled",
    "next_retention_run",
    "tracking_refusal",
]
