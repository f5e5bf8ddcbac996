"""The dashboard's pages, one module per page; each has ``setup(app)`` adding its routes."""

from bot.web.routes import (
    audit,
    betas,
    exports,
    feedback,
    github,
    linkedroles,
    login,
    members,
    overview,
    perks,
    public,
    reward_rules,
    rewards,
    settings,
    webhooks,
)

ROUTE_MODULES = (
    login,
    overview,
    members,
    betas,
    feedback,
    rewards,
    perks,
    reward_rules,
    exports,
    settings,
    audit,
    webhooks,
    github,
    public,
    linkedroles,
)

__all__ = ["ROUTE_MODULES"]
