"""The emulator's OAuth2 (authorization page, token and revocation URLs) and Linked Roles routes.

Discord's docs (github.com/discord/discord-api-docs):
- developers/topics/oauth2.mdx, "Shared Resources": authorization URL ``/oauth2/authorize``, token URL
  ``/api/oauth2/token``, revocation URL ``/api/oauth2/token/revoke``, which "only accept a content type of
  application/x-www-form-urlencoded"; "Authorization Code Grant": ``redirect_uri?code=…&state=…`` after consent,
  the exchange answers ``{access_token, token_type, expires_in: 604800, refresh_token, scope}``, and the
  refresh grant gives a new pair.
- developers/resources/application-role-connection-metadata.mdx: at most 5 records; keys of a-z, 0-9 and _.
- developers/resources/user.mdx: Get/Update/Delete Current User Application Role Connection need a bearer
  token with ``role_connections.write``; values are the records' keys mapped to strings.
Every REST call here is validated against openapi.json (the fixture's validator records violations).
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot.emulator import Emulator
from bot.emulator.routes_apps import qualifies

from .conftest import World

REDIRECT = "http://127.0.0.1:1/linked-roles/callback"
RECORDS = [{"type": 2, "key": "points", "name": "Points", "description": "Kudos points, all time"},
           {"type": 2, "key": "accepted_answers", "name": "Accepted answers", "description": "Answers marked solved"}]


async def _authorize(emu: Emulator, http: aiohttp.ClientSession, user_id: int, *, state: str = "s1",
                     consent: str = "yes", redirect: str = REDIRECT) -> tuple[int, dict[str, list[str]]]:
    url = (f"http://127.0.0.1:{emu.port}/oauth2/authorize?response_type=code&client_id={emu.application_id}"
           f"&scope=identify%20role_connections.write&state={state}&redirect_uri={redirect}&prompt=consent")
    async with http.get(url, allow_redirects=False, headers={"Cookie": f"emu_user={user_id}; emu_consent={consent}"}
                        ) as resp:
        location = resp.headers.get("Location", "")
        return resp.status, parse_qs(urlsplit(location).query)


def _basic(emu: Emulator) -> dict[str, str]:
    pair = f"{emu.application_id}:{emu.oauth.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


async def _token(emu: Emulator, http: aiohttp.ClientSession, **form: str) -> tuple[int, dict]:
    async with http.post(f"http://127.0.0.1:{emu.port}/api/v10/oauth2/token", data=form, headers=_basic(emu)) as resp:
        return resp.status, await resp.json()


async def test_code_grant_bearer_role_connection_refresh_and_revoke(emu: Emulator, world: World) -> None:
    emu.oauth.redirect_uris.add(REDIRECT)
    bot_auth = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as http:
        meta = f"{emu.base_url}/applications/{emu.application_id}/role-connections/metadata"
        async with http.put(meta, json=RECORDS, headers=bot_auth) as resp:
            assert resp.status == 200 and [r["key"] for r in await resp.json()] == ["points", "accepted_answers"]
        async with http.put(meta, json=[{**RECORDS[0], "key": "Bad Key"}], headers=bot_auth) as resp:
            assert resp.status == 400  # keys: a-z, 0-9, _
        async with http.put(meta, json=RECORDS * 3, headers=bot_auth) as resp:
            assert resp.status == 400  # maxItems 5 (the spec) refuses it before the emulator looks
        assert len(emu.validator.violations) == 1
        emu.validator.violations.clear()  # that over-long list is a request violation, provoked here

        status, query = await _authorize(emu, http, world.alice.id)
        assert status == 302 and query["state"] == ["s1"]
        code = query["code"][0]
        # JSON is refused: the token URL takes form bodies only
        async with http.post(f"http://127.0.0.1:{emu.port}/api/v10/oauth2/token", json={"code": code}) as resp:
            assert resp.status == 400
        assert (await _token(emu, http, grant_type="authorization_code", code=code,
                             redirect_uri="http://elsewhere/"))[0] == 400
        status, tokens = await _token(emu, http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
        assert status == 400  # the code was spent by the refused try: a code works once
        status, query = await _authorize(emu, http, world.alice.id, state="s2")
        status, tokens = await _token(emu, http, grant_type="authorization_code", code=query["code"][0],
                                      redirect_uri=REDIRECT)
        assert status == 200 and tokens["token_type"] == "Bearer" and tokens["expires_in"] == 604800
        assert set(tokens["scope"].split()) == {"identify", "role_connections.write"}
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}

        async with http.get(f"{emu.base_url}/users/@me", headers=bearer) as resp:
            assert resp.status == 200 and (await resp.json())["id"] == str(world.alice.id)
        conn = f"{emu.base_url}/users/@me/applications/{emu.application_id}/role-connection"
        async with http.put(conn, json={"platform_name": "Kudos", "metadata": {"points": "12"}}, headers=bearer) as resp:
            assert resp.status == 200 and (await resp.json())["metadata"] == {"points": "12"}
        async with http.put(conn, json={"metadata": {"karma": "1"}}, headers=bearer) as resp:
            assert resp.status == 400  # not one of the application's records
        async with http.put(conn, json={"metadata": {"points": "a lot"}}, headers=bearer) as resp:
            assert resp.status == 400  # an integer record takes an integer
        async with http.put(conn, json={"metadata": {"points": "12"}}, headers=bot_auth) as resp:
            assert resp.status == 401  # the user's route: a bot token can't
        assert qualifies(emu, world.alice.id, "points", 10) and not qualifies(emu, world.alice.id, "points", 13)

        emu.oauth.expire_access_tokens()
        async with http.get(conn, headers=bearer) as resp:
            assert resp.status == 401
        status, fresh = await _token(emu, http, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
        assert status == 200 and fresh["access_token"] != tokens["access_token"]
        assert (await _token(emu, http, grant_type="refresh_token", refresh_token=tokens["refresh_token"]))[0] == 400
        bearer = {"Authorization": f"Bearer {fresh['access_token']}"}
        async with http.get(conn, headers=bearer) as resp:
            assert resp.status == 200 and (await resp.json())["metadata"] == {"points": "12"}
        async with http.delete(conn, headers=bearer) as resp:
            assert resp.status == 204
        assert world.alice.id not in emu.oauth.connections
        async with http.post(f"http://127.0.0.1:{emu.port}/api/v10/oauth2/token/revoke",
                             data={"token": fresh["access_token"]}, headers=_basic(emu)) as resp:
            assert resp.status == 200
        async with http.get(conn, headers=bearer) as resp:
            assert resp.status == 401
    assert emu.validator.violations == [] and emu.validator.response_violations == []
    assert emu.errors == []


async def test_authorize_refuses_unregistered_redirects_and_reports_a_refusal(emu: Emulator, world: World) -> None:
    emu.oauth.redirect_uris.add(REDIRECT)
    async with aiohttp.ClientSession() as http:
        status, _ = await _authorize(emu, http, world.alice.id, redirect="http://evil.example/cb")
        assert status == 400
        status, query = await _authorize(emu, http, world.alice.id, consent="deny")
        assert status == 302 and query["error"] == ["access_denied"] and query["state"] == ["s1"]
        assert "code" not in query
        status, _ = await _authorize(emu, http, 0)  # nobody logged in to Discord
        assert status == 401
        assert (await _token(emu, http, grant_type="authorization_code", code="nope", redirect_uri=REDIRECT)
                )[0] == 400
        async with http.post(f"http://127.0.0.1:{emu.port}/api/v10/oauth2/token",
                             data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "1",
                                   "client_secret": "wrong"}) as resp:
            assert resp.status == 401 and (await resp.json())["error"] == "invalid_client"
