"""Logging in to the dashboard: one-time links, sessions, the current staff role, CSRF, other guilds' ids."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import aiohttp

from bot.dashboard.tokens import sign
from bot.sandbox.harness import Harness
from tests.dashboard.conftest import csrf_of, get, log_in, login_link, post


def _login_url(link: str) -> tuple[str, str]:
    base, token = link.split("/login?token=", 1)
    return base + "/login", unquote(token)


async def test_login_through_a_one_time_link_sets_a_strict_http_only_cookie(dash: Harness, http) -> None:
    link = await login_link(dash)
    url, token = _login_url(link)
    status, page = await get(http, link)
    assert status == 200 and "Continue" in page  # GET shows a button; it does not use the link
    async with http.post(url, data={"token": token}, allow_redirects=False) as resp:
        assert resp.status == 303
        cookie = resp.headers["Set-Cookie"]
        location = resp.headers["Location"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # served over plain http on loopback
    assert location == f"/g/{dash.guild_id}/"
    status, page = await get(http, url.rsplit("/login", 1)[0] + location)
    assert status == 200 and "This week" in page and "Acme Community" in page


async def test_a_reused_link_is_refused(dash: Harness, http) -> None:
    link = await login_link(dash)
    url, token = _login_url(link)
    assert (await post(http, url, {"token": token}))[0] == 303
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        status, page = await post(other, url, {"token": token})
    assert status == 409 and "already used" in page


async def test_an_expired_link_is_refused(dash: Harness, http) -> None:
    link = await login_link(dash)
    url, token = _login_url(link)
    await dash.advance(timedelta(minutes=10, seconds=1))
    status, page = await get(http, link)
    assert status == 403 and "expired" in page
    status, page = await post(http, url, {"token": token})
    assert status == 403 and "expired" in page


async def test_a_tampered_token_is_refused(dash: Harness, http) -> None:
    link = await login_link(dash)
    url, token = _login_url(link)
    body, sig = token.split(".")
    forged = sign(b"not the secret" * 3, "kudos.web.login", {"g": str(dash.guild_id), "u": str(dash.members["alice"]),
                                                            "n": "x" * 32, "e": 2**40})
    for bad in (body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + sig, forged, "garbage", "a.b", "x" * 5000):
        status, page = await post(http, url, {"token": bad})
        assert status in (400, 403), (bad, status)
        assert "not valid" in page
    assert "kudos_session" not in {c.key for c in http.cookie_jar}


async def test_a_non_staff_member_is_refused(dash: Harness, http) -> None:
    answer = await dash.member("alice").slash("dashboard")
    assert answer.ephemeral and "staff" in (answer.content or "").lower() and "token=" not in (answer.content or "")
    # A link made for a member who is not staff (say, staff when it was issued) does not open a session either.
    assert dash.bot is not None and dash.bot.web is not None
    link = dash.bot.web.login_url(dash.guild_id, dash.members["alice"])
    url, token = _login_url(link)
    status, page = await post(http, url, {"token": token})
    assert status == 403 and "Only staff" in page and "Ask a moderator" in page
    # a moderator is not sent to ask a moderator
    url, token = _login_url(dash.bot.web.login_url(dash.guild_id, dash.members["mia"]))
    status, page = await post(http, url, {"token": token})
    assert status == 403 and "ask a staff member or a server admin" in page and "Ask a moderator" not in page


async def test_a_member_whose_staff_role_was_removed_is_refused_on_the_next_request(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    assert (await get(http, base + "/members"))[0] == 200
    await dash.member("sam").set_roles([])
    status, page = await get(http, base + "/members")
    assert status == 403 and "not staff" in page
    await dash.member("sam").set_roles(["Staff"])
    assert (await get(http, base + "/members"))[0] == 401  # the session ended: a new link is needed


async def test_no_session_and_logout(dash: Harness, http) -> None:
    assert dash.bot is not None and dash.bot.web is not None
    status, page = await get(http, f"{dash.bot.web.base_url}/g/{dash.guild_id}/feedback")
    assert status == 401 and "/dashboard" in page
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/")
    status, _ = await post(http, dash.bot.web.base_url + "/logout", {"csrf": csrf})
    assert status == 200
    assert (await get(http, base + "/"))[0] == 401


async def test_another_guilds_id_in_the_url_is_refused(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    other = base.replace(str(dash.guild_id), "123456789012345678")
    for path in ("/", "/members", "/feedback", "/audit"):
        status, page = await get(http, other + path)
        assert status == 403 and "another server" in page
    status, _ = await get(http, base.replace(str(dash.guild_id), "notanumber") + "/")
    assert status == 404


async def test_every_post_needs_the_csrf_token(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/")
    for data in ({}, {"csrf": "0" * 64}, {"csrf": csrf[:-1] + ("0" if csrf[-1] != "0" else "1")}):
        status, page = await post(http, base + "/rewards/grants/1/retry", data)
        assert status == 403 and "CSRF" in page
        status, page = await post(http, base + "/feedback/1/status", {**data, "status": "planned"})
        assert status == 403 and "CSRF" in page
    # With the token the request goes through to the service (which has no grant #1).
    status, page = await post(http, base + "/rewards/grants/1/retry", {"csrf": csrf})
    assert status == 404 and "no grant #1" in page


async def test_oversized_forms_and_fields_are_refused(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/")
    status, _ = await post(http, base + "/feedback/1/status", {"csrf": csrf, "status": "planned", "note": "x" * 70000})
    assert status == 413
    status, page = await post(http, base + "/feedback/1/status", {"csrf": csrf, "status": "planned", "note": "x" * 600})
    assert status == 400 and "too long" in page
    status, page = await get(http, base + "/members", params={"q": "x" * 500})
    assert status == 400


async def test_security_headers(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    async with http.get(base + "/") as resp:
        assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["Cache-Control"] == "no-store"


async def test_forget_ends_the_members_dashboard_sessions(dash: Harness, http) -> None:
    """/mydata forget deletes the member's sessions (the cookie stops working at once) and keeps their used links'
    nonces under the pseudonym, so a used link still cannot open a new session."""
    from sqlalchemy import select

    from bot.dashboard.tables import web_login_nonces, web_sessions

    link = await login_link(dash)
    url, token = _login_url(link)
    assert (await post(http, url, {"token": token}))[0] == 303
    base = url.rsplit("/login", 1)[0] + f"/g/{dash.guild_id}"
    assert (await get(http, base + "/members"))[0] == 200

    sam = dash.member("sam")
    ask = await sam.slash("mydata forget")
    done = await sam.click(ask.message.id, label="Erase my data")
    assert "was erased" in (done.content or "")
    status, page = await get(http, base + "/members")
    assert status == 401 and "/dashboard" in page  # the session is gone: a new link is needed
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        status, page = await post(other, url, {"token": token})
    assert status == 409 and "already used" in page
    assert dash.bot is not None
    async with dash.bot.db.connect() as conn:
        sessions = (await conn.execute(select(web_sessions.c.user_id))).scalars().all()
        nonces = (await conn.execute(select(web_login_nonces.c.user_id))).scalars().all()
    assert sessions == [] and len(nonces) == 1 and nonces[0] < 0
    # A new link works again: Sam is still staff, now with a fresh record.
    url, token = _login_url(await login_link(dash))
    assert (await post(http, url, {"token": token}))[0] == 303
    assert (await get(http, base + "/members"))[0] == 200
