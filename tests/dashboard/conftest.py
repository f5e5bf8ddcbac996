"""Dashboard fixtures: the emulator and the real bot with ``[web] enabled`` on a free port, and a browser-like
HTTP client (cookie jar, no automatic redirects) talking to it over loopback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import aiohttp
import pytest

from bot.sandbox.harness import Harness, WorldSpec
from tests.conftest import running_harness

WEB = {"web": {"enabled": True, "host": "127.0.0.1", "port": 0}}
LINK = re.compile(r"<(http://[^>]+/login\?token=[^>]+)>")


@pytest.fixture
def dash_config() -> dict[str, Any]:
    """More config for ``dash`` (a module overrides it, e.g. with ``{"guilds": {"default": {...}}}``)."""
    return {}


@pytest.fixture
def dash_world() -> WorldSpec | None:
    """The community for ``dash`` (None: ``WorldSpec.default()``); a module may override it."""
    return None


@pytest.fixture(params=["sqlite", "postgres"])
async def dash(request, tmp_path, dash_config, dash_world) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    """The bot with the dashboard on, on SQLite and on PostgreSQL."""
    make = partial(Harness, dash_world, {**WEB, **dash_config})
    async with running_harness(request.param, make, tmp_path) as harness:
        yield harness


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe=True: keep cookies for an IP address host (127.0.0.1), as a browser does.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def login_link(h: Harness, who: str = "sam") -> str:
    """Run /dashboard as ``who`` and return the link from the ephemeral answer."""
    before = len(h.member(who).ephemerals())
    await h.member(who).slash("dashboard")
    answers = h.member(who).ephemerals()[before:]
    assert answers, "no answer to /dashboard"
    found = LINK.search(answers[-1].content or "")
    assert found, answers[-1].content
    return found.group(1)


async def log_in(h: Harness, http: aiohttp.ClientSession, who: str = "sam") -> str:
    """Log in through a one-time link; returns the guild's dashboard base URL."""
    link = await login_link(h, who)
    token = link.split("token=", 1)[1]
    async with http.get(link) as page:
        assert page.status == 200, await page.text()
    async with http.post(link.split("/login")[0] + "/login", data={"token": _unquote(token)},
                         allow_redirects=False) as resp:
        assert resp.status == 303, await resp.text()
        location = resp.headers["Location"]
    assert h.bot is not None and h.bot.web is not None
    return h.bot.web.base_url + location.rstrip("/")


def _unquote(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value)


CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def csrf_of(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as page:
        text = await page.text()
        assert page.status == 200, text
    found = CSRF.search(text)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def get(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, str]:
    async with http.get(url, allow_redirects=False, **kwargs) as resp:
        return resp.status, await resp.text()


async def post(http: aiohttp.ClientSession, url: str, data: dict[str, str], **kwargs: Any) -> tuple[int, str]:
    async with http.post(url, data=data, allow_redirects=False, **kwargs) as resp:
        return resp.status, await resp.text()


async def refused_without_csrf(http: aiohttp.ClientSession, url: str, data: dict[str, Any]) -> None:
    """A POST without the CSRF token, or with a wrong one, is refused before anything happens."""
    for bad in ({}, {"csrf": "0" * 64}, {"csrf": "not-hex"}):
        status, page = await post(http, url, {**data, **bad})
        assert status == 403 and "CSRF" in page, (bad, status, page[:300])


async def refused_for_non_staff(h: Harness, path: str, data: dict[str, Any]) -> None:
    """A member who logged in while staff and lost the role since is refused, with a valid CSRF token, when
    the action happens (Alice is made staff for the login only)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        await h.member("alice").set_roles(["Staff"])
        base = await log_in(h, other, "alice")
        csrf = await csrf_of(other, base + "/")
        await h.member("alice").set_roles([])
        status, page = await post(other, base + path, {**data, "csrf": csrf})
    assert status == 403 and "not staff" in page, (status, page[:300])
