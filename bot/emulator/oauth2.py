"""OAuth2 of the emulated application: the authorization page, the token and revocation URLs, and the bearer
tokens they hand out (developers/topics/oauth2.mdx).

The spec (openapi.json) describes neither the authorization page nor ``/oauth2/token``: they follow the prose
of oauth2.mdx. "Shared Resources": the base authorization URL is ``/oauth2/authorize`` (on discord.com, not
under /api), the token URL ``/api/oauth2/token`` and the revocation URL ``/api/oauth2/token/revoke``; both
"only accept a content type of application/x-www-form-urlencoded. JSON content is not permitted and will
return an error." The client authenticates with HTTP Basic (client id, client secret) or the same two form
fields. "Authorization Code Grant": the user is sent to the authorization URL with ``response_type=code``,
``client_id``, ``scope``, ``state``, ``redirect_uri`` (one of the application's registered redirects);
after consent Discord redirects to ``redirect_uri?code=…&state=…``; the code is exchanged (``grant_type=
authorization_code``, ``code``, ``redirect_uri``) for ``{access_token, token_type: "Bearer", expires_in:
604800, refresh_token, scope}``; ``grant_type=refresh_token`` gives a new pair. A user who declines comes
back with ``error=access_denied``.

Who the browser is logged in to Discord as is the ``emu_user`` cookie (a member id); ``emu_consent=deny``
makes that user press "Cancel" on the consent screen.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

TOKEN_LIFETIME = 604800  # seconds; oauth2.mdx's "expires_in": 604800
CODE_LIFETIME = 600.0
KNOWN_SCOPES = frozenset({"identify", "email", "guilds", "guilds.members.read", "connections",
                          "role_connections.write", "applications.commands", "bot", "openid"})
# Routes a bearer token may call, with the scope each needs (user.mdx: Get Current User needs ``identify``;
# the role-connection routes "require an OAuth2 access token with role_connections.write scope").
BEARER_ROUTES: dict[str, str] = {
    "GET /users/@me": "identify",
    "GET /users/@me/applications/{application_id}/role-connection": "role_connections.write",
    "PUT /users/@me/applications/{application_id}/role-connection": "role_connections.write",
    "DELETE /users/@me/applications/{application_id}/role-connection": "role_connections.write",
}


@dataclass
class Grant:
    user_id: int
    scopes: tuple[str, ...]
    redirect_uri: str
    expires_at: float = 0.0


@dataclass
class OAuthApp:
    """The application's OAuth2 settings in the Developer Portal, and what users granted it."""

    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    redirect_uris: set[str] = field(default_factory=set)
    now: Callable[[], float] = time.time
    codes: dict[str, tuple[Grant, float]] = field(default_factory=dict)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    exchanges: list[str] = field(default_factory=list)  # grant types used, in order
    # Linked Roles: the application's metadata records, and each user's role connection
    metadata: list[dict[str, Any]] = field(default_factory=list)
    connections: dict[int, dict[str, Any]] = field(default_factory=dict)

    def bearer(self, header: str | None) -> Grant | None:
        """The live grant of an ``Authorization: Bearer …`` header, or None."""
        if not header or not header.startswith("Bearer "):
            return None
        grant = self.access.get(header[len("Bearer "):])
        if grant is None or grant.expires_at <= self.now():
            return None
        return grant

    def expire_access_tokens(self) -> None:
        """Let every access token run out (refresh tokens stay good), as 7 days would."""
        for grant in self.access.values():
            grant.expires_at = 0.0

    def issue(self, grant: Grant) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        live = Grant(grant.user_id, grant.scopes, grant.redirect_uri, self.now() + TOKEN_LIFETIME)
        self.access[access] = live
        self.refresh[refresh] = live
        return {"access_token": access, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                "refresh_token": refresh, "scope": " ".join(grant.scopes)}

    def revoke_grant(self, grant: Grant) -> None:
        for table in (self.access, self.refresh):
            for key in [k for k, g in table.items() if g is grant]:
                del table[key]


def _json(status: int, data: Any) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})


def _page(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html")


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})


def _with_query(uri: str, params: dict[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


async def authorize(emu: Emulator, request: web.Request) -> web.Response:
    """GET /oauth2/authorize: the consent screen; a logged-in user (cookie ``emu_user``) consents at once."""
    q = request.query
    app = emu.oauth
    if q.get("client_id") != str(emu.application_id):
        return _page(400, "Unknown Application")
    redirect_uri = q.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        return _page(400, "Invalid OAuth2 redirect_uri")
    if q.get("response_type") != "code":
        return _page(400, "Invalid response_type")
    scopes = tuple(q.get("scope", "").split())
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if not scopes or unknown:
        return _page(400, f"Invalid scope: {' '.join(unknown) or '(none)'}")
    user_raw = request.cookies.get("emu_user", "")
    user = emu.state.users.get(int(user_raw)) if user_raw.isdigit() else None
    if user is None:
        return _page(401, "Log in to Discord to continue")
    state = {"state": q["state"]} if "state" in q else {}
    if request.cookies.get("emu_consent") == "deny":
        return _redirect(_with_query(redirect_uri, {"error": "access_denied",
                                                    "error_description": "The resource owner or authorization "
                                                    "server denied the request", **state}))
    code = secrets.token_urlsafe(18)
    app.codes[code] = (Grant(user.id, scopes, redirect_uri), app.now() + CODE_LIFETIME)
    return _redirect(_with_query(redirect_uri, {"code": code, **state}))


def _client_ok(emu: Emulator, request: web.Request, form: dict[str, str]) -> bool:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
    return client_id == str(emu.application_id) and secret is not None and secrets.compare_digest(
        secret, emu.oauth.client_secret)


async def _form(request: web.Request) -> dict[str, str] | web.Response:
    if request.content_type != "application/x-www-form-urlencoded":
        return _json(400, {"error": "invalid_request",
                           "error_description": "Content-Type must be application/x-www-form-urlencoded"})
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}


async def token(emu: Emulator, request: web.Request) -> web.Response:
    """POST /api[/v10]/oauth2/token: authorization_code and refresh_token grants."""
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    if not _client_ok(emu, request, form):
        return _json(401, {"error": "invalid_client"})
    app = emu.oauth
    kind = form.get("grant_type", "")
    app.exchanges.append(kind)
    if kind == "authorization_code":
        found = app.codes.pop(form.get("code", ""), None)  # a code works once
        if found is None or found[1] <= app.now() or found[0].redirect_uri != form.get("redirect_uri"):
            return _json(400, {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'})
        return _json(200, app.issue(found[0]))
    if kind == "refresh_token":
        grant = app.refresh.pop(form.get("refresh_token", ""), None)
        if grant is None:
            return _json(400, {"error": "invalid_grant"})
        app.revoke_grant(grant)
        return _json(200, app.issue(grant))
    return _json(400, {"error": "unsupported_grant_type"})


async def revoke(emu: Emulator, request: web.Request) -> web.Response:
    """POST /api[/v10]/oauth2/token/revoke (RFC 7009): the token's grant ends, access and refresh alike."""
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    if not _client_ok(emu, request, form):
        return _json(401, {"error": "invalid_client"})
    value = form.get("token", "")
    grant = emu.oauth.access.get(value) or emu.oauth.refresh.get(value)
    if grant is not None:
        emu.oauth.revoke_grant(grant)
    return _json(200, {})


def register(emu: Emulator, app: web.Application) -> None:
    async def authorize_(request: web.Request) -> web.Response:
        return await authorize(emu, request)

    async def token_(request: web.Request) -> web.Response:
        return await token(emu, request)

    async def revoke_(request: web.Request) -> web.Response:
        return await revoke(emu, request)

    app.router.add_get("/oauth2/authorize", authorize_)
    for prefix in ("/api", "/api/v10"):
        app.router.add_post(f"{prefix}/oauth2/token", token_)
        app.router.add_post(f"{prefix}/oauth2/token/revoke", revoke_)
