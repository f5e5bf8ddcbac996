"""Linked Roles: the verification URL (``/linked-roles``) and the OAuth2 redirect (``/linked-roles/callback``).

Discord opens the verification URL from a server's Linked Roles menu (or the member follows ``/kudos link``).
Kudos answers with a redirect to Discord's consent screen carrying a fresh ``state`` that is also set in a
cookie; the redirect back must bring the same ``state`` (oauth2.mdx, "State and Security": a CSRF check), and
its ``code`` is exchanged for the member's tokens (``cogs/linkedroles``). The cookie is ``SameSite=Lax``: the
way back from discord.com is a top-level cross-site navigation, which a ``Strict`` cookie would miss.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from aiohttp import web

from bot.platform.i18n import N_
from bot.web.app import render
from bot.web.security import BOT_KEY, SECURE_KEY, Refused

log = logging.getLogger(__name__)

STATE_COOKIE = "kudos_link_state"
STATE_TTL = 600  # seconds a member has to get through Discord's consent screen
PATH = "/linked-roles"
MAX_PARAM = 512


def _effects(request: web.Request):  # type: ignore[no-untyped-def]
    bot = request.app[BOT_KEY]
    if not bot.app.linked_roles.enabled or bot.effects.linked_roles is None:
        raise Refused(404, N_("Linked roles are not turned on for this bot."))
    return bot.effects.linked_roles


async def start(request: web.Request) -> web.StreamResponse:
    effects = _effects(request)
    state = secrets.token_urlsafe(24)
    response = web.HTTPFound(effects.authorize_url(state))
    response.set_cookie(STATE_COOKIE, state, max_age=STATE_TTL, path=PATH, httponly=True, samesite="Lax",
                        secure=request.app[SECURE_KEY])
    raise response


def _param(request: web.Request, name: str) -> str:
    value = request.query.get(name, "")
    if len(value) > MAX_PARAM:
        raise Refused(400, N_("The {name} in this address is too long."), name=name)
    return value


async def callback(request: web.Request) -> web.StreamResponse:
    effects = _effects(request)
    state, expected = _param(request, "state"), request.cookies.get(STATE_COOKIE, "")
    if not state or not expected or not hmac.compare_digest(state.encode(), expected.encode()):
        raise Refused(403, N_("This sign-in did not start here (the state check failed). Open the link again."))
    if _param(request, "error"):
        page = render(request, "linked.html", linked=False)
    else:
        code = _param(request, "code")
        if not code:
            raise Refused(400, N_("Discord sent no code. Open the link again."))
        await effects.complete(code)
        page = render(request, "linked.html", linked=True)
    page.del_cookie(STATE_COOKIE, path=PATH)  # a state is used once
    return page


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, start)
    app.router.add_get(f"{PATH}/callback", callback)
