"""The dashboard's language (docs/languages.md): the staff member's choice (the ``kudos_lang`` cookie, set by
the picker in every page's header), else the browser's ``Accept-Language``, else English.

The cookie holds one of :data:`bot.platform.i18n.LANGUAGES` and nothing else: a value Kudos has no catalogue
for is ignored when read and refused when set. ``POST /lang`` sets it and sends the browser back to the page it
came from (a path on this site only, never another host).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from bot.platform import i18n
from bot.platform.i18n import Translator

LANG_COOKIE = "kudos_lang"
LANG_COOKIE_AGE = 365 * 24 * 3600
# Each language's own name, as the picker shows it (never translated: a reader looks for their own language).
NATIVE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "pt_BR": "Português (Brasil)",
                "ja": "日本語"}
HTML_LANG = {"pt_BR": "pt-BR"}  # the <html lang> of a catalogue (BCP 47)
MAX_HEADER = 1000  # an Accept-Language header beyond this is read only this far


def from_accept_language(header: str | None) -> str | None:
    """The best catalogue for an ``Accept-Language`` header (RFC 9110 §12.5.4: q-values, ``*`` ignored), or
    ``None`` when it names none Kudos speaks."""
    choices: list[tuple[float, int, str]] = []
    for n, part in enumerate((header or "")[:MAX_HEADER].split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0 and i18n.supported(tag):
            choices.append((-q, n, i18n.language(tag)))
    return min(choices)[2] if choices else None


def request_language(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in i18n.LANGUAGES:
        return chosen
    return from_accept_language(request.headers.get("Accept-Language")) or i18n.DEFAULT


def request_translator(request: web.Request) -> Translator:
    """The translator of this request's page."""
    return i18n.translator(request_language(request))


def _back(target: object) -> str:
    """Where to go after switching: a path on this site (``/g/1/betas?x=1``), else the start page."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def switch(request: web.Request) -> web.StreamResponse:
    """``POST /lang`` (``lang``, ``next``): remember the language in the cookie, then back to the page."""
    from bot.web.security import SECURE_KEY, Refused, read_form

    origin = request.headers.get("Origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc != request.host):
        raise Refused(403, i18n.N_("This request did not come from the dashboard's own page."))
    form = await read_form(request)
    lang = form.get("lang")
    if lang not in i18n.LANGUAGES:
        raise Refused(400, i18n.N_("Kudos does not speak that language."))
    response = web.HTTPSeeOther(_back(form.get("next")))
    response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, path="/", httponly=True, samesite="Lax",
                        secure=request.app[SECURE_KEY])
    raise response


def setup(app: web.Application) -> None:
    app.router.add_post("/lang", switch)
