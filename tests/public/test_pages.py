"""The public pages over HTTP, with the real bot on the emulator, on SQLite and PostgreSQL: only public items,
names only of members who opted in, never an erased member, a status change in Discord on the next request,
a valid Atom feed, Open Graph tags, the badge, and the dashboard's security headers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import aiohttp
import pytest

from bot.sandbox.harness import Harness
from bot.web.routes.public import RateLimit
from tests.conftest import running_harness
from tests.feedback.test_e2e import item, report

ATOM = "{http://www.w3.org/2005/Atom}"
CONFIG = {"web": {"enabled": True, "host": "127.0.0.1", "port": 0},
          "guilds": {"default": {"public": {"enabled": True, "slug": "acme"}}}}


@pytest.fixture(params=["sqlite", "postgres"])
async def pub(request, tmp_path) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    async with running_harness(request.param, partial(Harness, None, CONFIG), tmp_path) as harness:
        yield harness


async def get(h: Harness, path: str) -> tuple[int, dict[str, str], str]:
    assert h.bot is not None and h.bot.web is not None
    async with aiohttp.ClientSession() as session, session.get(h.bot.web.base_url + path) as response:
        return response.status, dict(response.headers), await response.text()


async def page(h: Harness, path: str = "/p/acme/") -> str:
    status, headers, body = await get(h, path)
    assert status == 200, body[:500]
    assert headers["Cache-Control"] == "public, max-age=60"
    assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
    return body


async def forget(h: Harness, name: str) -> None:
    ask = await h.member(name).slash("mydata forget")
    await h.member(name).click(ask.message.id, label="Erase my data")


async def test_public_items_names_by_opt_in_and_a_status_change_on_the_next_request(pub: Harness) -> None:
    h = pub
    await report(h, "alice", "idea", {"Title": "Dark mode <script>alert(1)</script>", "Details": "my secret idea"})
    await report(h, "bob", "bug")  # bugs are private by default (public_types = ["idea"])
    await report(h, "carol", "idea", {"Title": "Offline maps", "Details": "d"})
    first = await item(h, 1)
    await h.member("bob").click(first.thread_id, label="Me too")

    body = await page(h)
    assert "Dark mode &lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
    assert "Offline maps" in body and "Crash when saving" not in body
    assert "my secret idea" not in body  # details only with show_details
    assert "1 vote" in body and "Suggested by 2 members" in body  # alice and bob, counted
    assert "alice" not in body and "bob" not in body and str(h.members["alice"]) not in body  # nobody opted in
    assert '<meta property="og:title" content="Acme Community roadmap">' in body

    opted = await h.member("alice").slash("mydata public-name", state="on")
    assert "may now appear" in (opted.content or "")
    body = await page(h)
    assert "including alice" in body and "bob" not in body

    # A status change in Discord shows on the next request (the cache's version moved).
    done = await h.member("sam").slash("feedback status", status="shipped", item=1, version="2.5")
    assert done.ephemeral, done.content
    assert (await item(h, 1)).status == "shipped", done.content
    roadmap = await page(h)
    shipped = roadmap.split("<h2>Shipped (1)</h2>", 1)
    assert len(shipped) == 2 and "Dark mode" in shipped[1], roadmap
    changelog = await page(h, "/p/acme/changelog")
    assert "<h2>2.5</h2>" in changelog and "Dark mode" in changelog and "Offline maps" not in changelog

    one = await page(h, "/p/acme/i/1")
    assert '<meta property="og:title" content="Dark mode &lt;script&gt;alert(1)&lt;/script&gt;">' in one
    assert 'content="Idea · Shipped · 1 vote in the Acme Community community"' in one

    status, headers, feed = await get(h, "/p/acme/changelog.atom")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.encode())
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}title") is not None
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Dark mode <script>alert(1)</script>"]
    assert all(e.find(f"{ATOM}id") is not None and e.find(f"{ATOM}updated") is not None for e in entries)

    status, headers, svg = await get(h, "/p/acme/badge.svg")
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml")
    assert "1 idea shipped from our community" in svg and ET.fromstring(svg.encode()).tag.endswith("svg")


async def test_staff_and_reporters_decide_what_is_public_and_erasure_removes_it(pub: Harness) -> None:
    h = pub
    await report(h, "alice", "idea", {"Title": "Dark mode", "Details": "d"})
    await report(h, "bob", "bug")
    await report(h, "carol", "idea", {"Title": "Offline maps", "Details": "d"})

    refused = await h.member("bob").slash("feedback public", state="on", item=1)
    assert "Only staff" in (refused.content or "")
    kept = await h.member("carol").slash("feedback public", state="off", item=3)
    assert "kept off" in (kept.content or "")
    shown = await h.member("sam").slash("feedback public", state="on", item=2)
    assert "is shown" in (shown.content or "")
    body = await page(h)
    assert "Offline maps" not in body and "Crash when saving" in body and "Dark mode" in body
    assert "1. Save" not in body and "2.4.1" not in body  # a bug's steps never, its version only once shipped

    await h.member("alice").slash("mydata public-name", state="on")
    assert "including alice" in await page(h)
    await forget(h, "alice")
    body = await page(h)
    assert "Dark mode" not in body and "(erased)" not in body and "alice" not in body

    status, _headers, _body = await get(h, "/p/nowhere/")
    assert status == 404
    status, _headers, _body = await get(h, "/p/acme/i/999")
    assert status == 404


def test_the_rate_limit_refuses_past_a_burst_and_refills() -> None:
    limit = RateLimit(burst=3, per_second=1.0)
    assert [limit.allow("203.0.113.9", 100.0) for _ in range(4)] == [True, True, True, False]
    assert limit.allow("198.51.100.1", 100.0)  # per address
    assert limit.allow("203.0.113.9", 101.0)  # one token back after a second


async def test_disabled_pages_are_not_served(tmp_path: Any) -> None:
    config = {"web": {"enabled": True, "host": "127.0.0.1", "port": 0}}
    async with running_harness("sqlite", partial(Harness, None, config), tmp_path) as h:
        status, _headers, body = await get(h, "/p/acme/")
    assert status == 404 and "No such page" in body
