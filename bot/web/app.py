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
from markupsafe import Markup, escape

from bot.platform.errors import Conflict, InvalidInput, KudosError, LimitReached, NotAllowed, NotFound
from bot.platform.i18n import N_, Translator
from bot.rewards.delivery_errors import delivery_error
from bot.web.lang import HTML_LANG, NATIVE_NAMES, request_translator
from bot.web.lang import request_translator as tr
from bot.web.lang import setup as setup_lang
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
    "Permissions-Policy": ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
                           "bluetooth=(), display-capture=(), browsing-topics=()"),
}
HSTS = "max-age=31536000"  # only when [web] public_url is https (the browser reached us over TLS)
MAX_ID = 2**63 - 1  # the largest id a BIGINT column holds: a bigger one in a URL is a 400, not a 500
ERROR_STATUS: dict[type[KudosError], int] = {
    NotFound: 404, NotAllowed: 403, Conflict: 409, InvalidInput: 400, LimitReached: 429,
}
NAV = (("overview", N_("Overview"), ""), ("members", N_("Members"), "members"), ("betas", N_("Betas"), "betas"),
       ("feedback", N_("Feedback"), "feedback"), ("rewards", N_("Rewards"), "rewards"),
       ("settings", N_("Settings"), "settings"), ("webhooks", N_("Webhooks"), "webhooks"),
       ("audit", N_("Audit log"), "audit"))


def status_of(exc: Exception) -> int:
    """The HTTP status of a refusal: a :class:`Refused`'s own, a service error's by its kind, else 400."""
    if isinstance(exc, Refused):
        return exc.status
    return next((s for t, s in ERROR_STATUS.items() if isinstance(exc, t)), 400)


def _when(value: datetime | None) -> str:  # ISO-like and UTC in every language
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def code(text: object) -> Markup:
    """``{{ tr("Use {cmd} in Discord", cmd=code("/beta create")) }}``: inline code inside a whole sentence."""
    return Markup("<code>{}</code>").format(text)


class PageTranslator:
    """The page's translator as the templates call it: a message whose values include markup (:func:`code`)
    comes back as markup, its translated text escaped and its other values escaped; any other message is plain
    text, escaped by Jinja as before. Everything else (``ngettext``, ``number``, ``lang``) is the translator's."""

    __slots__ = ("_tr",)

    def __init__(self, tr: Translator) -> None:
        self._tr = tr

    def __call__(self, message: str, /, **values: Any) -> str:
        if any(isinstance(v, Markup) for v in values.values()):
            return escape(self._tr.template(message)).format(**values)
        return self._tr(message, **values)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tr, name)


def make_jinja() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,  # every template, whatever its name: member-written text is always escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.globals["code"] = code
    env.globals["delivery_error"] = delivery_error  # a grant's stored error, Kudos' own words translated
    return env


def name_of(guild: discord.Guild, user_id: int | None) -> str:
    if user_id is None:
        return "—"
    member = guild.get_member(int(user_id))
    return member.display_name if member is not None else f"member {user_id}"


def render(request: web.Request, template: str, *, http_status: int = 200, ctx: Staff | None = None,
           translator: Any = None, **values: Any) -> web.Response:
    env = request.app[JINJA_KEY]
    tr = translator or request_translator(request)
    page: dict[str, Any] = {"nav": NAV, "active": values.pop("active", ""), "staff": ctx, "notice": None,
                            "problem": None, "tr": PageTranslator(tr), "ngettext": tr.ngettext, "lang": tr.lang, "html_lang": HTML_LANG.get(tr.lang, tr.lang),
                            "languages": NATIVE_NAMES,
                            # the picker brings the browser back here: this page, or after a form the section's start
                            "here": request.path_qs if request.method == "GET" else (
                                f"/g/{ctx.guild.id}/" if ctx is not None else "/")}
    if ctx is not None:
        page.update(guild=ctx.guild, csrf=ctx.csrf, base=f"/g/{ctx.guild.id}",
                    name_of=lambda uid: name_of(ctx.guild, uid))
    page.update(values)
    body = env.get_template(template).render(**page)
    return web.Response(text=body, status=http_status, content_type="text/html", charset="utf-8")


def _security_headers(request: web.Request, headers: Any) -> None:
    for key, value in HEADERS.items():
        headers.setdefault(key, value)
    if request.app[SECURE_KEY]:
        headers.setdefault("Strict-Transport-Security", HSTS)


@web.middleware
async def headers_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _security_headers(request, exc.headers)
        raise
    _security_headers(request, response.headers)
    return response


async def _drop_server_header(_request: web.Request, response: web.StreamResponse) -> None:
    """No ``Server: Python/… aiohttp/…``: what we run is nobody's business (aiohttp adds it just before)."""
    response.headers.popall("Server", None)


def _check_input(request: web.Request) -> None:
    """Refuse (400) what the database can't take, before a handler passes it on: ids beyond BIGINT, NUL."""
    for _name, value in request.match_info.items():
        if value.isdigit() and int(value) > MAX_ID:
            raise Refused(400, N_("The number {value} in the address is out of range."), value=value[:40])
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.query.items()):
        raise Refused(400, N_("The address contains a NUL character."))


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every error is Kudos' own page (and so gets the security headers): refusals with their status, a bug
    with a plain 500 that says nothing about the internals."""
    try:
        _check_input(request)
        return await handler(request)
    except Refused as exc:
        return render(request, "error.html", http_status=exc.status, message=exc.translated(tr(request)))
    except KudosError as exc:
        return render(request, "error.html", http_status=status_of(exc), message=exc.translated(tr(request)))
    except web.HTTPRequestEntityTooLarge:
        return render(request, "error.html", http_status=413, message=tr(request)("The form is too large."))
    except web.HTTPNotFound:
        return render(request, "error.html", http_status=404, message=tr(request)("No such page."))
    except web.HTTPMethodNotAllowed:
        return render(request, "error.html", http_status=405, message=tr(request)("That is not allowed here."))
    except web.HTTPException:
        raise  # redirects and the like
    except OverflowError:
        return render(request, "error.html", http_status=400,
                      message=tr(request)("A value in the request is out of range."))
    except Exception:
        log.exception("dashboard: %s %s failed", request.method, request.path)
        return render(request, "error.html", http_status=500,
                      message=tr(request)("Something went wrong on our side. It was logged; try again in a minute."))


async def stylesheet(_request: web.Request) -> web.Response:
    css = resources.files("bot.web").joinpath("static/dashboard.css").read_text(encoding="utf-8")
    return web.Response(text=css, content_type="text/css", headers={"Cache-Control": "max-age=3600"})


def create_app(bot: KudosBot, *, secure_cookie: bool) -> web.Application:
    from bot.web.routes import ROUTE_MODULES

    app = web.Application(middlewares=[headers_middleware, error_middleware], client_max_size=MAX_BODY)
    app[BOT_KEY] = bot
    app[SECURE_KEY] = secure_cookie
    app[JINJA_KEY] = make_jinja()
    app.on_response_prepare.append(_drop_server_header)
    app.router.add_get("/static/dashboard.css", stylesheet)
    setup_lang(app)
    for module in ROUTE_MODULES:
        module.setup(app)
    return app
