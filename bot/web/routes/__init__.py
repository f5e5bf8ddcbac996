"""The dashboard's pages, one module per page; each has ``setup(app)`` adding its routes."""

from bot.web.routes import audit, betas, feedback, github, login, members, overview, rewards, webhooks

ROUTE_MODULES = (login, overview, members, betas, feedback, rewards, audit, webhooks, github)

__all__ = ["ROUTE_MODULES"]
