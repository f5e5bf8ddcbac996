"""The dashboard's aiohttp application: templates (Jinja2, autoescaped), security headers, error pages, routes.

The app runs in the bot's process and event loop, so handlers call the same services and cog methods as the
slash commands do, and Discord side effects (DMs, thread updates, announcements) happen exactly as there.
"""

from __future__ import annotations

import logging
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

import discord
import jinja2
from aiohttp import web

from bot.platform.errors import Conflict, InvalidInput, KudosError, LimitReached, NotAllowed, NotFound
from bot.web.security import BOT_KEY, MAX_BODY, SECURE_KEY, Refused, Staff

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)

JINJA_KEY: web.AppKey[jinja2.Environment] = web.AppKey("jinja", jinja2.Environment)

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # a login link's token never leaves in a Referer header
    "Cache-Control": "no-store",
}
ERROR_STATUS: dict[type[KudosError], int] = {
    NotFound: 404, NotAllowed: 403, Conflict: 409, InvalidInput: 400, LimitReached: 429,
}
NAV = (("overview", "Overview", ""), ("members", "Members", "members"), ("betas", "Betas", "betas"),
       ("feedback", "Feedback", "feedback"), ("rewards", "Rewards", "rewards"), ("audit", "Audit log", "audit"))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def make_jinja() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,  # every template, whatever its name: member-written text is always escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    return env


def name_of(guild: discord.Guild, user_id: int | None) -> str:
    if user_id is None:
        return "—"
    member = guild.get_member(int(user_id))
    return member.display_name if member is not None else f"member {user_id}"


def render(request: web.Request, template: str, *, http_status: int = 200, ctx: Staff | None = None,
           **values: Any) -> web.Response:
    env = request.app[JINJA_KEY]
    page: dict[str, Any] = {"nav": NAV, "active": values.pop("active", ""), "staff": ctx, "notice": None,
                            "problem": None}
    if ctx is not None:
        page.update(guild=ctx.guild, csrf=ctx.csrf, base=f"/g/{ctx.guild.id}",
                    name_of=lambda uid: name_of(ctx.guild, uid))
    page.update(values)
    body = env.get_template(template).render(**page)
    return web.Response(text=body, status=http_status, content_type="text/html", charset="utf-8")


@web.middleware
async def headers_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        for key, value in HEADERS.items():
            exc.headers.setdefault(key, value)
        raise
    for key, value in HEADERS.items():
        response.headers.setdefault(key, value)
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except Refused as exc:
        return render(request, "error.html", http_status=exc.status, message=exc.message)
    except KudosError as exc:
        status = next((s for t, s in ERROR_STATUS.items() if isinstance(exc, t)), 400)
        return render(request, "error.html", http_status=status, message=str(exc))
    except web.HTTPRequestEntityTooLarge:
        return render(request, "error.html", http_status=413, message="The form is too large.")
    except web.HTTPNotFound:
        return render(request, "error.html", http_status=404, message="No such page.")
    except web.HTTPMethodNotAllowed:
        return render(request, "error.html", http_status=405, message="That is not allowed here.")


async def stylesheet(_request: web.Request) -> web.Response:
    css = resources.files("bot.web").joinpath("static/dashboard.css").read_text(encoding="utf-8")
    return web.Response(text=css, content_type="text/css", headers={"Cache-Control": "max-age=3600"})


def create_app(bot: KudosBot, *, secure_cookie: bool) -> web.Application:
    from bot.web.routes import ROUTE_MODULES

    app = web.Application(middlewares=[headers_middleware, error_middleware], client_max_size=MAX_BODY)
    app[BOT_KEY] = bot
    app[SECURE_KEY] = secure_cookie
    app[JINJA_KEY] = make_jinja()
    app.router.add_get("/static/dashboard.css", stylesheet)
    for module in ROUTE_MODULES:
        module.setup(app)
    return app
