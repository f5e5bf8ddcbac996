"""The dashboard's pages, one module per page; each has ``setup(app)`` adding its routes."""

from bot.web.routes import (
    audit,
    betas,
    exports,
    feedback,
    login,
    members,
    overview,
    perks,
    reward_rules,
    rewards,
)

ROUTE_MODULES = (login, overview, members, betas, feedback, rewards, perks, reward_rules, exports, audit)

__all__ = ["ROUTE_MODULES"]
