"""The dashboard's pages, one module per page; each has ``setup(app)`` adding its routes."""

from bot.web.routes import (
    audit,
    betas,
    feedback,
    linkedroles,
    login,
    members,
    overview,
    public,
    rewards,
    settings,
)

ROUTE_MODULES = (
    login,
    overview,
    members,
    betas,
    feedback,
    rewards,
    settings,
    audit,
    public,
    linkedroles,
)

__all__ = ["ROUTE_MODULES"]
