"""The staff dashboard's rules: one-time login links, sessions, CSRF tokens, and the data its pages read.

No discord and no aiohttp here: ``bot/web`` turns requests into these calls (and checks the member's current
staff role through the bot, which only it can see).
"""

from bot.services.web.service import (
    LINK_TTL,
    SESSION_TTL,
    LinkClaims,
    Session,
    WebService,
    secret_from_env,
)
from bot.services.web.tokens import BadToken, sign, unsign

__all__ = ["LINK_TTL", "SESSION_TTL", "BadToken", "LinkClaims", "Session", "WebService", "secret_from_env",
           "sign", "unsign"]
