"""Outbound webhooks: signed, retried deliveries of Kudos' events to a guild's endpoints (no discord here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.webhooks.service import DELIVER_EVENT, WebhooksService

_EXPORTS = {
    "DELIVER_EVENT": ("bot.webhooks.service", "DELIVER_EVENT"),
    "WebhooksService": ("bot.webhooks.service", "WebhooksService"),
}
__all__ = ["DELIVER_EVENT", "WebhooksService"]

__getattr__ = lazy_exports(__name__, _EXPORTS)
