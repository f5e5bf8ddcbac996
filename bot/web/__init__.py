"""The staff dashboard: an aiohttp app served from the bot process (see docs/dashboard.md)."""

from bot.web.server import WebServer

__all__ = ["WebServer"]
