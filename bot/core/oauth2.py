"""Discord's OAuth2 and the user-token routes Kudos calls for Linked Roles (discord.py has no client for them).

developers/topics/oauth2.mdx: the authorization URL is ``https://discord.com/oauth2/authorize``; the token and
revocation URLs (``/api/oauth2/token``, ``…/token/revoke``) take ``application/x-www-form-urlencoded`` bodies
and HTTP Basic client authentication. developers/resources/user.mdx: the role connection is read, updated and
deleted with the member's bearer token. Every URL is derived from ``discord.http.Route.BASE`` at call time, so
whatever discord.py talks to (Discord, or the test emulator) this talks to as well.
"""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import discord.http

log = logging.getLogger(__name__)

SECRET_ENV = "KUDOS_OAUTH2_CLIENT_SECRET"
TIMEOUT = aiohttp.ClientTimeout(total=15)


def client_secret_from_env() -> str | None:
    value = os.environ.get(SECRET_ENV, "").strip()
    return value or None


class OAuth2Error(Exception):
    """Discord refused: ``status`` (429 with ``retry_after``), and OAuth2's ``error`` (``invalid_grant``…)."""

    def __init__(self, status: int, error: str = "", retry_after: float = 0.0, code: int = 0) -> None:
        super().__init__(f"HTTP {status} {error}".strip())
        self.status = status
        self.error = error
        self.retry_after = retry_after
        self.code = code


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    access: str
    refresh: str
    expires_in: int
    scope: str


def _api() -> str:
    return discord.http.Route.BASE


def authorize_base() -> str:
    """``https://discord.com/oauth2/authorize`` (the page is on the site, not under /api)."""
    parts = urlsplit(_api())
    return f"{parts.scheme}://{parts.netloc}/oauth2/authorize"


class OAuth2Client:
    def __init__(self, client_id: int, client_secret: str) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def authorize_url(self, redirect_uri: str, state: str, scopes: tuple[str, ...]) -> str:
        query = urlencode({"response_type": "code", "client_id": str(self.client_id), "scope": " ".join(scopes),
                           "state": state, "redirect_uri": redirect_uri, "prompt": "consent"})
        return f"{authorize_base()}?{query}"

    def _basic(self) -> dict[str, str]:
        pair = f"{self.client_id}:{self._secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    @staticmethod
    async def _answer(resp: aiohttp.ClientResponse) -> Any:
        data: Any = None
        if resp.content_type == "application/json":
            data = await resp.json()
        if resp.status >= 400:
            body = data if isinstance(data, dict) else {}
            retry = float(body.get("retry_after") or resp.headers.get("Retry-After") or 0)
            raise OAuth2Error(resp.status, str(body.get("error") or body.get("message") or ""), retry,
                              int(body.get("code") or 0))
        return data

    async def _form(self, path: str, form: dict[str, str]) -> Any:
        async with self._http().post(f"{_api()}{path}", data=form, headers=self._basic()) as resp:
            return await self._answer(resp)

    async def _tokens(self, form: dict[str, str]) -> TokenAnswer:
        data = await self._form("/oauth2/token", form)
        return TokenAnswer(str(data["access_token"]), str(data["refresh_token"]), int(data["expires_in"]),
                           str(data.get("scope", "")))

    async def exchange(self, code: str, redirect_uri: str) -> TokenAnswer:
        return await self._tokens({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})

    async def refresh(self, refresh_token: str) -> TokenAnswer:
        return await self._tokens({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def revoke(self, token: str) -> None:
        await self._form("/oauth2/token/revoke", {"token": token, "token_type_hint": "refresh_token"})

    async def _bearer(self, method: str, path: str, access: str, json: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {access}"}
        async with self._http().request(method, f"{_api()}{path}", json=json, headers=headers) as resp:
            return await self._answer(resp)

    async def me(self, access: str) -> dict[str, Any]:
        return await self._bearer("GET", "/users/@me", access)

    async def put_role_connection(self, access: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._bearer("PUT", f"/users/@me/applications/{self.client_id}/role-connection", access, body)

    async def delete_role_connection(self, access: str) -> None:
        await self._bearer("DELETE", f"/users/@me/applications/{self.client_id}/role-connection", access)
