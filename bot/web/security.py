"""Who is asking: the session cookie, the member's *current* staff role, the guild in the URL, CSRF on POST.

Every dashboard page and action goes through :func:`staff`: a handler decorated with it gets a
:class:`Staff` context, or the request is refused before the handler runs. Nothing is cached between
requests: a member whose staff role was removed is refused on the next request (and the session ends).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord
from aiohttp import web
from multidict import MultiDictProxy

from bot.core.checks import holds, refusal
from bot.dashboard import Session
from bot.platform.i18n import N_, Translator
from bot.platform.text import NUL, has_nul

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)

COOKIE = "kudos_session"
MAX_BODY = 64 * 1024  # whole request body; aiohttp answers 413 beyond it
MAX_FIELD = 4000  # any single form field
CSRF_FIELD = "csrf"

BOT_KEY: web.AppKey[KudosBot] = web.AppKey("bot", object)  # type: ignore[arg-type]
SECURE_KEY: web.AppKey[bool] = web.AppKey("secure_cookie", bool)


class Refused(Exception):
    """A refusal, rendered as an error page by the app's middleware: a status and a member-readable reason
    (an English message marked ``N_`` with its named values apart, said in the page's language)."""

    def __init__(self, status: int, message: str, /, **values: Any) -> None:
        self.template = message
        self.values = values
        self.message = message.format_map(values) if values else message
        super().__init__(self.message)
        self.status = status

    def translated(self, tr: Translator) -> str:
        if not self.values:
            return tr.template(self.template)
        try:
            return tr(self.template, **self.values)
        except (KeyError, IndexError, ValueError):
            return self.message


@dataclass(frozen=True, slots=True)
class Upload:
    """A file posted to a form that takes one (see :func:`staff_upload`); its bytes are never logged."""

    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Staff:
    """The checked context of one request."""

    bot: KudosBot
    guild: discord.Guild
    member: discord.Member
    session: Session
    form: Mapping[str, str]
    files: Mapping[str, Upload] = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        return self.session.csrf

    def field(self, name: str, *, max_len: int = MAX_FIELD, required: bool = False) -> str | None:
        value = (self.form.get(name) or "").strip()
        if len(value) > max_len:
            raise Refused(400, N_("The field {name} is too long ({length} characters; at most {max_len})."),
                               name=repr(name), length=len(value), max_len=max_len)
        if required and not value:
            raise Refused(400, N_("The field {name} is empty."), name=repr(name))
        return value or None


async def current_member(bot: KudosBot, guild: discord.Guild, user_id: int) -> discord.Member | None:
    """The member as the bot sees them now: the member cache (kept up by gateway events), else a fetch."""
    member = guild.get_member(user_id)
    if member is not None:
        return member
    try:
        return await guild.fetch_member(user_id)
    except discord.NotFound:
        return None


async def is_staff_now(bot: KudosBot, guild_id: int, user_id: int) -> bool:
    guild = bot.get_guild(guild_id)
    if guild is None:
        return False
    member = await current_member(bot, guild, user_id)
    return member is not None and holds(bot, member, "staff")


async def staff_refusal(bot: KudosBot, guild_id: int, user_id: int, action: str,
                        tr: Translator | None = None) -> str | None:
    """``None`` for a member who is staff now, else why not, worded for the role they hold (``action`` marked
    with ``N_``), in ``tr``'s language."""
    guild = bot.get_guild(guild_id)
    member = await current_member(bot, guild, user_id) if guild is not None else None
    if member is not None and holds(bot, member, "staff"):
        return None
    return refusal(bot, member, "staff", action, tr=tr)


def set_session_cookie(request: web.Request, response: web.StreamResponse, value: str, max_age: int) -> None:
    response.set_cookie(COOKIE, value, max_age=max_age, path="/", httponly=True, samesite="Strict",
                        secure=request.app[SECURE_KEY])


def clear_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/", secure=request.app[SECURE_KEY], httponly=True, samesite="Strict")


async def read_form(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form; a field (name or value) holding a NUL character is refused (400) here, for every
    form, like the address's query string in ``bot.web.app`` (PostgreSQL can't store it)."""
    try:
        data = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise Refused(413, N_("The form is too large.")) from None
    except ValueError:
        raise Refused(400, N_("The form could not be read.")) from None
    for key, value in data.items():
        if has_nul(key) or (isinstance(value, str) and has_nul(value)):
            raise Refused(400, N_("The field {value} contains a NUL character (\\0). Remove it and try again."),
                               value=repr(key.replace(NUL, '')))
    return data


Handler = Callable[[web.Request, Staff], Awaitable[web.StreamResponse]]


def staff(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Decorator for every dashboard page and action: session, guild in the URL, current staff role, CSRF."""
    return _guarded(handler, upload_limit=None)


def staff_upload(max_bytes: int) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """:func:`staff` for a form that posts a file (``multipart/form-data``): the body may be up to ``max_bytes``
    plus the form's other fields, and the files come in ``Staff.files``. Every check of :func:`staff` runs
    first, the CSRF token included."""
    def decorate(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        return _guarded(handler, upload_limit=max_bytes + MAX_BODY)
    return decorate


def _guarded(handler: Handler, *, upload_limit: int | None) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        bot = request.app[BOT_KEY]
        session = await bot.app.web.session(request.cookies.get(COOKIE))
        if session is None:
            raise Refused(401, N_("You are not logged in, or your session ended. Run /dashboard in your server for a "
                               "login link."))
        try:
            guild_id = int(request.match_info.get("guild_id", ""))
        except ValueError:
            raise Refused(404, N_("No such page.")) from None
        if guild_id != session.guild_id:
            raise Refused(403, N_("Your session is for another server. Run /dashboard in this server to manage it."))
        guild = bot.get_guild(guild_id)
        if guild is None:
            raise Refused(503, N_("The bot can't see this server right now. Try again in a minute."))
        member = await current_member(bot, guild, session.user_id)
        if member is None or not holds(bot, member, "staff"):
            ended = await bot.app.web.revoke_member(guild_id, session.user_id)
            log.info("dashboard: member %s is no longer staff in guild %s; %d session(s) ended", session.user_id,
                     guild_id, ended)
            raise Refused(403, N_("You are not staff in this server (any more), so the dashboard is closed to you."))
        form: Mapping[str, str] = {}
        files: dict[str, Upload] = {}
        if request.method == "POST":
            data = await read_form(request.clone(client_max_size=upload_limit) if upload_limit else request)
            try:
                if not bot.app.web.csrf_ok(session, data.get(CSRF_FIELD) if isinstance(data.get(CSRF_FIELD), str)
                                                else None):
                    raise Refused(403, N_("This form has expired or did not come from the dashboard (CSRF check). "
                                       "Reload the page and try again."))
                for key, value in data.items():
                    if isinstance(value, str):
                        continue
                    if upload_limit is None or not isinstance(value, web.FileField):
                        raise Refused(400, N_("File uploads are not accepted here."))
                    files[key] = Upload(value.filename or "", value.file.read())
            finally:  # aiohttp spools each posted file to a temporary file: closed here, read or not
                for value in data.values():
                    if isinstance(value, web.FileField):
                        value.file.close()
            form = {k: v for k, v in data.items() if isinstance(v, str)}
        return await handler(request, Staff(bot, guild, member, session, form, files))

    return wrapper
