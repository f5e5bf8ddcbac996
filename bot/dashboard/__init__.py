"""The staff dashboard's rules: one-time login links, sessions, CSRF tokens, and the data its pages read.

No discord and no aiohttp here: ``bot/web`` turns requests into these calls (and checks the member's current
staff role through the bot, which only it can see).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.dashboard.service import LINK_TTL, SESSION_TTL, LinkClaims, Session, WebService, secret_from_env
    from bot.dashboard.tokens import BadToken, sign, unsign

# Loaded on first use (bot.platform.lazy).
_EXPORTS = {
    "LINK_TTL": ("bot.dashboard.service", "LINK_TTL"),
    "SESSION_TTL": ("bot.dashboard.service", "SESSION_TTL"),
    "LinkClaims": ("bot.dashboard.service", "LinkClaims"),
    "Session": ("bot.dashboard.service", "Session"),
    "WebService": ("bot.dashboard.service", "WebService"),
    "secret_from_env": ("bot.dashboard.service", "secret_from_env"),
    "BadToken": ("bot.dashboard.tokens", "BadToken"),
    "sign": ("bot.dashboard.tokens", "sign"),
    "unsign": ("bot.dashboard.tokens", "unsign"),
}
__all__ = [
    "BadToken",
    "LINK_TTL",
    "LinkClaims",
    "SESSION_TTL",
    "Session",
    "WebService",
    "secret_from_env",
    "sign",
    "unsign",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
