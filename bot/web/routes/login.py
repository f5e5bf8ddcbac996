"""Logging in with a one-time link (``/dashboard``), and out.

``GET /login?token=…`` only shows a button: the link is used by the ``POST`` it sends, so a link preview or
prefetch can't burn it, and the session cookie is then set on a same-site request (``SameSite=Strict``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from bot.dashboard import SESSION_TTL
from bot.platform.i18n import N_
from bot.web.app import render
from bot.web.lang import request_translator
from bot.web.security import (
    BOT_KEY,
    COOKIE,
    CSRF_FIELD,
    Refused,
    clear_session_cookie,
    read_form,
    set_session_cookie,
    staff_refusal,
)
from bot.web.security import MAX_FIELD as _MAX

MAX_TOKEN = 1024


async def home(request: web.Request) -> web.StreamResponse:
    bot = request.app[BOT_KEY]
    session = await bot.app.web.session(request.cookies.get(COOKIE))
    if session is not None:
        raise web.HTTPSeeOther(f"/g/{session.guild_id}/")
    return render(request, "home.html")


def _token(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TOKEN:
        raise Refused(400, N_("This login link is not valid. Run /dashboard in your server for a new one."))
    return value


async def login_page(request: web.Request) -> web.StreamResponse:
    token = _token(request.query.get("token"))
    bot = request.app[BOT_KEY]
    claims = bot.app.web.check_link(token)  # tampered or expired: refused before showing anything
    guild = bot.get_guild(claims.guild_id)
    page = render(request, "login.html", token=token, server=guild.name if guild else f"server {claims.guild_id}")
    # The button's POST must carry this page's real Origin: under "no-referrer" browsers send "Origin: null",
    # which POST /login refuses. "same-origin" still sends no Referer (with the token) to anyone else.
    page.headers["Referrer-Policy"] = "same-origin"
    return page


async def login(request: web.Request) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    # "null" is an opaque origin (a sandboxed frame, a data: page, a file): never the dashboard's own page.
    if origin is not None and (origin == "null" or urlsplit(origin).netloc != request.host):
        raise Refused(403, N_("This login did not come from the dashboard's own page."))
    form = await read_form(request)
    token = _token(form.get("token"))
    bot = request.app[BOT_KEY]
    claims = bot.app.web.check_link(token)
    refused = await staff_refusal(bot, claims.guild_id, claims.user_id, N_("use the dashboard"),
                                  tr=request_translator(request))
    if refused is not None:
        raise Refused(403, refused)
    cookie, _session = await bot.app.web.start_session(claims)
    response = web.HTTPSeeOther(f"/g/{claims.guild_id}/")
    set_session_cookie(request, response, cookie, int(SESSION_TTL.total_seconds()))
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    bot = request.app[BOT_KEY]
    cookie = request.cookies.get(COOKIE)
    session = await bot.app.web.session(cookie)
    form = await read_form(request)
    csrf = form.get(CSRF_FIELD)
    if session is not None:
        if not isinstance(csrf, str) or len(csrf) > _MAX or not bot.app.web.csrf_ok(session, csrf):
            raise Refused(403, N_("This form did not come from the dashboard (CSRF check). Reload the page and try again."))
        await bot.app.web.logout(cookie)
    response = render(request, "logged_out.html")
    clear_session_cookie(request, response)
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
