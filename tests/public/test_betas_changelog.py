"""The betas page, the "what we changed because of you" posts in the changelog and its feed, and top requests
filtered by type and beta: over HTTP, with the real bot on the emulator, on SQLite and PostgreSQL.

A beta joined in Discord shows its spots left on the next request; only what its announcement told the server
is shown (never its terms, eligibility or who joined); the post lists the beta's public shipped items and
counts the private ones; names only of members who opted in; an erased member's item leaves every page.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from bot.betas.tables import betas
from bot.feedback.tables import feedback
from bot.sandbox.harness import Harness
from tests.conftest import running_harness
from tests.public.test_pages import ATOM, forget, get, page

CONFIG = {"web": {"enabled": True, "host": "127.0.0.1", "port": 0},
          "guilds": {"default": {"public": {"enabled": True, "slug": "acme"},
                                 "betas": {"announcement_debounce_seconds": 0.2}}}}


@pytest.fixture(params=["sqlite", "postgres"])
async def pub(request, tmp_path) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    async with running_harness(request.param, partial(Harness, None, CONFIG), tmp_path) as harness:
        yield harness


def announcement(h: Harness, name: str) -> Any:
    msgs = [m for m in h.emu.messages(h.channel_id("announcements"))
            if m.author_id == h.emu.bot_user_id and m.embeds and m.embeds[0]["title"].startswith(f"Beta: {name}")]
    assert msgs, "no announcement posted"
    return msgs[-1]


async def beta_id(h: Harness, name: str) -> int:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return int((await conn.execute(select(betas.c.id).where(betas.c.name == name))).scalar_one())


async def beta_items(h: Harness, beta: int, *items: tuple[str, str, str, str, str | None]) -> None:
    """Feedback of the beta (reporter, type, status, title, version), written as the beta's forum would."""
    assert h.bot is not None
    now = h.clock.now()
    async with h.bot.db.begin() as conn:
        for who, type_, status, title, version in items:
            await conn.execute(feedback.insert().values(
                guild_id=h.guild_id, beta_id=beta, reporter_id=h.members[who], type=type_, title=title,
                details="secret details", steps="1. secret step", status=status, version=version,
                status_note="staff only note", created_at=now, updated_at=now))


def section(body: str, heading: str) -> str:
    parts = body.split(heading, 1)
    assert len(parts) == 2, (heading, body[:2000])
    return parts[1].split("<h2>", 1)[0]


async def test_betas_page_spots_left_join_link_and_closed_summary(pub: Harness) -> None:
    h = pub
    opened = await h.member("sam").slash("beta create", name="Photos v2", capacity=5, incentive="500 MB free",
                                         terms="Keep screenshots private")
    assert opened.modal is not None, opened.content
    await h.member("sam").submit_modal(opened, {"Description": "Try the <b>new</b> uploader"})
    later = await h.member("sam").slash("beta create", name="Secret later", starts="3d")
    await h.member("sam").submit_modal(later, {"Description": "not announced yet"})
    post = announcement(h, "Photos v2")
    photos = await beta_id(h, "Photos v2")

    body = await page(h, "/p/acme/betas")
    opened_part = section(body, "<h2>Open betas</h2>")
    assert "Photos v2" in opened_part and "Try the &lt;b&gt;new&lt;/b&gt; uploader" in opened_part
    assert "<b>new</b>" not in body and "500 MB free" in opened_part
    assert "5 spots left of 5" in opened_part and "0 members in" in opened_part
    assert f'href="https://discord.com/channels/{h.guild_id}/{h.channel_id("announcements")}/{post.id}"' in opened_part
    assert "Secret later" not in body and "not announced yet" not in body  # scheduled: not announced
    assert "Keep screenshots private" not in body  # the terms are shown to those who join, in Discord
    assert "No closed betas yet." in body
    assert '<meta property="og:title" content="Acme Community betas">' in body

    # Joining in Discord shows on the next request (the cache's version holds the join counts).
    public = h.bot.app.public if h.bot is not None else None
    assert public is not None
    builds = public.builds
    await page(h, "/p/acme/betas")
    assert public.builds == builds  # served from the cache
    form = await h.member("alice").click(post.id, label="Join")  # the terms' form with its checkbox
    joined = await h.member("alice").submit_modal(form, {"I accept the terms": True})
    assert "You're in" in (joined.content or ""), joined.content
    body = await page(h, "/p/acme/betas")
    assert public.builds == builds + 1
    assert "4 spots left of 5" in body and "1 member in" in body
    assert "alice" not in body and str(h.members["alice"]) not in body  # who joined is nobody's business

    await beta_items(h, photos, ("alice", "idea", "shipped", "Bulk upload", "3.0"),
                     ("bob", "bug", "shipped", "Crash on upload", "3.0"),
                     ("carol", "idea", "planned", "Albums", None))
    closed = await h.member("sam").slash("beta close", name="Photos v2")
    assert closed.ephemeral, closed.content
    body = await page(h, "/p/acme/betas")
    assert "No open betas right now." in body
    closed_part = section(body, "<h2>Closed betas</h2>")
    assert "Photos v2" in closed_part and "1 member took part" in closed_part
    assert "3 pieces of feedback" in closed_part and "2 shipped" in closed_part
    assert "Bulk upload" in closed_part and "Crash on upload" not in body  # bugs are private by default
    assert "Join on Discord" not in body and "500 MB free" not in body
    for never in ("secret details", "secret step", "staff only note", "Top contributors", str(h.members["alice"])):
        assert never not in body, never


async def test_changelog_posts_feed_and_filters(pub: Harness) -> None:
    h = pub
    opened = await h.member("sam").slash("beta create", name="Photos v2")
    await h.member("sam").submit_modal(opened, {"Description": "Try it"})
    photos = await beta_id(h, "Photos v2")
    await beta_items(h, photos, ("alice", "idea", "shipped", "Bulk upload", "3.0"),
                     ("bob", "bug", "shipped", "Crash on upload", "3.0"),
                     ("carol", "idea", "planned", "Albums", None),
                     ("mia", "question", "new", "Can I export?", None))
    opened = await h.member("carol").slash("feedback new", type="idea")
    await h.member("carol").submit_modal(opened, {"Title": "Offline maps <i>now</i>", "Details": "d"})
    await h.member("alice").slash("mydata public-name", state="on")
    await h.member("sam").slash("feedback public", state="on", item=4)  # staff show the question

    # Top requests by type and by beta (its name, any case), both at once; unknown ones are a 400.
    everything = await page(h, "/p/acme/requests")
    assert "Albums" in everything and "Offline maps &lt;i&gt;now&lt;/i&gt;" in everything and "Can I export?" in everything
    of_beta = await page(h, "/p/acme/requests?beta=photos%20v2")
    assert "Albums" in of_beta and "Can I export?" in of_beta and "Offline maps" not in of_beta
    assert "Top requests: Photos v2 beta" in of_beta
    ideas = await page(h, "/p/acme/requests?type=idea&beta=Photos+v2")
    assert "Albums" in ideas and "Can I export?" not in ideas and "Offline maps" not in ideas
    assert 'href="/p/acme/requests?type=question&amp;beta=Photos+v2"' in ideas  # the filters keep each other
    only_ideas = await page(h, "/p/acme/requests?type=idea")
    assert "Albums" in only_ideas and "Offline maps" in only_ideas and "Can I export?" not in only_ideas
    for query, said in (("type=nonsense", "There is no type \u201cnonsense\u201d; use one of: bug, idea, praise, question."),
                        ("beta=Nope", "There is no beta \u201cNope\u201d on the betas page (betas: Photos v2)."),
                        ("type=%3Cscript%3E", "There is no type \u201c&lt;script&gt;\u201d")):
        status, headers, body = await get(h, f"/p/acme/requests?{query}")
        assert status == 400 and said in body, (query, status, body[:1500])
        assert "<script>" not in body and "default-src 'none'" in headers["Content-Security-Policy"]

    # The beta closes; its "what we changed because of you" post goes out in Discord and joins the changelog.
    await h.member("sam").slash("beta close", name="Photos v2")
    preview = await h.member("sam").slash("announce changes", beta="Photos v2")
    done = await h.member("sam").click(preview.message.id, label="Post it")
    assert "mentioning 2 members" in (done.content or ""), done.content
    posted = [m for m in h.emu.messages(h.channel_id("announcements"))
              if m.author_id == h.emu.bot_user_id and m.embeds
              and "what we changed" in (m.embeds[0].get("description") or "").lower()]
    assert len(posted) == 1
    body = await page(h, "/p/acme/changelog")
    post = section(body, "<h2>What we changed because of you: Photos v2 beta</h2>")
    assert "Bulk upload" in post and "including alice" in post and "Crash on upload" not in body
    assert "2 things the beta&#39;s members told us about shipped (1 of them not public)" in post, post
    assert f'href="https://discord.com/channels/{h.guild_id}/{h.channel_id("announcements")}/{posted[0].id}"' in post
    assert "<h2>3.0</h2>" in body  # and the release it shipped in
    assert "bob" not in body and "carol" not in body and str(h.members["bob"]) not in body

    status, headers, text = await get(h, "/p/acme/changelog.atom")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    entries = valid_atom(text)
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles == ["What we changed because of you: Photos v2 beta", "Bulk upload"], titles
    summary = entries[0].findtext(f"{ATOM}summary") or ""
    assert "Bulk upload (idea), suggested by 1 member, including alice" in summary
    assert "and 1 more that is not public" in summary and "Crash" not in text and "bob" not in text

    # An erased member leaves the post, the release and the feed.
    await forget(h, "alice")
    body = await page(h, "/p/acme/changelog")
    assert "Bulk upload" not in body and "alice" not in body and "(erased)" not in body
    _status, _headers, text = await get(h, "/p/acme/changelog.atom")
    assert "Bulk upload" not in text and "alice" not in text and "(erased)" not in text


def valid_atom(text: str) -> list[ET.Element]:
    """RFC 4287's rules for a feed and its entries (what a feed validator checks): the root is atom:feed with
    exactly one id, title and updated (RFC 3339), a rel=self link; each entry has one id (unique), title,
    updated, and a link or content; the ids are IRIs."""
    root = ET.fromstring(text.encode())
    assert root.tag == f"{ATOM}feed"

    def one(el: ET.Element, name: str) -> str:
        found = el.findall(f"{ATOM}{name}")
        assert len(found) == 1, (name, len(found))
        return found[0].text or ""

    def rfc3339(value: str) -> None:
        assert datetime.fromisoformat(value).tzinfo is not None, value

    assert one(root, "id").startswith("http") and one(root, "title")
    rfc3339(one(root, "updated"))
    assert any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link"))
    entries = root.findall(f"{ATOM}entry")
    ids = [one(e, "id") for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("http") for i in ids)
    for e in entries:
        assert one(e, "title")
        rfc3339(one(e, "updated"))
        assert e.findall(f"{ATOM}link") or e.findall(f"{ATOM}content")
    return entries
