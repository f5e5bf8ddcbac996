"""Start and stop the dashboard's web server inside the bot (``KudosBot.setup_hook`` / ``close``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import quote

from aiohttp import web

from bot.web.app import create_app

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)


class WebServer:
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot
        self.config = bot.config.web
        self._runner: web.AppRunner | None = None
        self.port: int = self.config.port

    @property
    def base_url(self) -> str:
        """Where browsers reach the dashboard: ``[web] public_url``, else ``http://host:port``."""
        if self.config.public_url:
            return self.config.public_url
        host = self.config.host
        host = f"[{host}]" if ":" in host else ("127.0.0.1" if host in ("0.0.0.0", "") else host)  # noqa: S104
        return f"http://{host}:{self.port}"

    def login_url(self, guild_id: int, user_id: int) -> str:
        """A fresh one-time login link for this member of this guild (valid 10 minutes)."""
        token = self.bot.app.web.link_token(guild_id, user_id)
        return f"{self.base_url}/login?token={quote(token, safe='')}"

    async def start(self) -> None:
        if self.bot.app.web_secret_ephemeral:
            log.warning("KUDOS_WEB_SECRET is not set: using a random secret; dashboard links and sessions end "
                        "when the bot restarts, and so does erasure's memory of rewards already earned")
        secure = self.config.public_url.startswith("https://")
        app = create_app(self.bot, secure_cookie=secure)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        await site.start()
        self._runner = runner
        sockets = getattr(site._server, "sockets", None) or []  # the real port when port = 0
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("dashboard listening on %s (public URL %s)", site.name, self.base_url)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
