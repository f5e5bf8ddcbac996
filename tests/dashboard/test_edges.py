"""The dashboard's edges over HTTP (issue #19, item B): out-of-range input is a 400, a bug is Kudos' own 500
page, every answer carries the security headers and no Server header, staff who lose the role lose every
session, ``Origin: null`` can't log in, tokens have one spelling."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from functools import partial
from typing import Any
from urllib.parse import unquote

import aiohttp
import pytest

from bot.sandbox.harness import Harness
from tests.conftest import running_harness
from tests.dashboard.conftest import WEB, get, log_in, login_link, post

TOO_BIG = str(2**63)  # one more than a BIGINT holds

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                    "Cache-Control", "Permissions-Policy")


def assert_kudos_page(resp: aiohttp.ClientResponse, body: str, status: int) -> None:
    assert resp.status == status, (resp.url, body[:300])
    assert "Kudos dashboard" in body and "Traceback" not in body, body[:300]
    for name in SECURITY_HEADERS:
        assert name in resp.headers, (resp.url, name)
    assert "Server" not in resp.headers, resp.headers.get("Server")


async def fetch(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[aiohttp.ClientResponse, str]:
    async with http.get(url, allow_redirects=False, **kwargs) as resp:
        return resp, await resp.text()


async def test_out_of_range_ids_dates_and_nul_are_a_400_with_the_security_headers(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    root = base.rsplit("/g/", 1)[0]
    cases: list[tuple[str, dict[str, str]]] = [
        (f"{base}/members/{TOO_BIG}", {}),
        (f"{root}/g/{TOO_BIG}/", {}),
        (f"{base}/audit", {"member": TOO_BIG}),
        (f"{base}/audit", {"to": "9999-12-31"}),
        (f"{base}/members", {"q": "a\x00b"}),
        (f"{base}/audit", {"action": "x\x00"}),
        (f"{base}/feedback", {"status": "\x00"}),
    ]
    for url, params in cases:
        resp, body = await fetch(http, url, params=params)
        assert_kudos_page(resp, body, 400)
    resp, body = await fetch(http, f"{base}/audit", params={"to": "9999-12-30", "member": str(2**63 - 1)})
    assert resp.status == 200, body[:300]  # the edges themselves are fine


async def test_a_bug_is_kudos_own_500_page_with_the_security_headers(dash: Harness, http,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    base = await log_in(dash, http)

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("internal detail that must not leak")

    assert dash.bot is not None
    monkeypatch.setattr(dash.bot.app.web, "audit", broken)
    resp, body = await fetch(http, f"{base}/audit")
    assert_kudos_page(resp, body, 500)
    assert "internal detail" not in body


async def test_headers_no_server_permissions_policy_and_no_hsts_over_http(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    for url in (base + "/", base.rsplit("/g/", 1)[0] + "/nowhere"):
        resp, _ = await fetch(http, url)
        assert "Server" not in resp.headers
        assert "camera=()" in resp.headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in resp.headers


@pytest.fixture
async def https_dash(tmp_path) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    web = {"web": {**WEB["web"], "public_url": "https://kudos.example"}}
    async with running_harness("sqlite", partial(Harness, None, web), tmp_path) as harness:
        yield harness


async def test_hsts_when_the_public_url_is_https(https_dash: Harness, http) -> None:
    assert https_dash.bot is not None and https_dash.bot.web is not None
    port = https_dash.bot.web.port
    for path in ("/", "/nowhere", f"/g/{https_dash.guild_id}/"):
        resp, _ = await fetch(http, f"http://127.0.0.1:{port}{path}")
        assert resp.headers["Strict-Transport-Security"] == "max-age=31536000", path
        assert "Server" not in resp.headers


async def test_losing_the_staff_role_ends_every_session_of_the_member(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as second:
        await log_in(dash, second)
        assert (await get(second, base + "/members"))[0] == 200
        await dash.member("sam").set_roles([])
        status, page = await get(http, base + "/members")
        assert status == 403 and "not staff" in page
        await dash.member("sam").set_roles(["Staff"])
        assert (await get(second, base + "/members"))[0] == 401  # the other browser's session ended too
        assert (await get(http, base + "/members"))[0] == 401
    await log_in(dash, http)  # a new link works
    assert (await get(http, base + "/members"))[0] == 200


async def test_login_with_origin_null_is_refused(dash: Harness, http) -> None:
    link = await login_link(dash)
    url, token = link.split("/login?token=", 1)[0] + "/login", unquote(link.split("token=", 1)[1])
    resp, _ = await fetch(http, link)
    # The login page lets its button's POST carry the page's real Origin (no-referrer would make it "null").
    assert resp.headers["Referrer-Policy"] == "same-origin"
    async with http.post(url, data={"token": token}, headers={"Origin": "null"}, allow_redirects=False) as r:
        assert r.status == 403 and "did not come from the dashboard" in await r.text()
    origin = url.rsplit("/login", 1)[0]
    async with http.post(url, data={"token": token}, headers={"Origin": origin}, allow_redirects=False) as r:
        assert r.status == 303  # the refused attempt did not use the link up


async def test_a_token_has_one_spelling(dash: Harness, http) -> None:
    link = await login_link(dash)
    url, token = link.split("/login?token=", 1)[0] + "/login", unquote(link.split("token=", 1)[1])
    body, sig = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    stray = alphabet[alphabet.index(sig[-1]) ^ 1]  # a 32-byte MAC's last character has 2 unused bits
    for other in (token + "==", f"{body}.{sig[:-1]}{stray}", f"{body}=.{sig}", f"{body}.{sig}=", f"{body}.{sig}\n", f"{body} .{sig}"):
        resp, page = await fetch(http, url, params={"token": other})
        assert resp.status == 403 and "not valid" in page, other
        status, page = await post(http, url, {"token": other})
        assert status == 403 and "not valid" in page, other
    assert (await post(http, url, {"token": token}))[0] == 303


async def test_nul_or_invisible_text_in_a_form_is_refused_and_nothing_changes(dash: Harness, http) -> None:
    """Input hygiene (issue #19, item 6) on the dashboard: a form field with a NUL character is a 400 naming the
    field (PostgreSQL can't store NUL), before any handler runs; a decline note made only of zero-width
    characters is no note (a decline needs one). The item keeps its status and nobody is told."""
    from tests.dashboard.test_pages import report

    item_id = await report(dash)
    base = await log_in(dash, http)
    url = f"{base}/feedback/{item_id}/status"
    async with http.get(f"{base}/feedback/{item_id}") as resp:
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', await resp.text())[1]  # type: ignore[index]
    dms = len(dash.member("alice").dms())
    for data, says in (({"status": "planned", "note": "Next\x00sprint"}, "&#39;note&#39; contains a NUL"),
                       ({"status": "planned", "version": "\x00"}, "&#39;version&#39; contains a NUL"),
                       ({"status": "declined", "note": "\u200b\u200d\u2060"}, "reason when declining")):
        status, page = await post(http, url, {"csrf": csrf, **data})
        assert status == 400 and says in page, (data, page[-600:])
        assert "Something went wrong" not in page
    assert dash.bot is not None
    assert (await dash.bot.app.feedback.get(dash.guild_id, item_id)).status == "new"
    await dash.settle()
    assert len(dash.member("alice").dms()) == dms
