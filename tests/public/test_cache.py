"""The public pages' cache over HTTP, on SQLite and PostgreSQL: a page is served from the cache (no rebuild,
the same bytes) until a vote, a status change or an opt-out in Discord, which shows on the very next request;
and a second bot process (its own cache over the same database, no signal from this one) sees the change
within ``RECHECK_SECONDS``."""

from __future__ import annotations

import asyncio

from bot.public.service import RECHECK_SECONDS, PublicPages
from bot.sandbox.harness import Harness
from tests.feedback.test_e2e import item, report
from tests.public.test_betas_changelog import pub  # noqa: F401 (the fixture)
from tests.public.test_pages import get, page

PAGES = ("/p/acme/", "/p/acme/requests", "/p/acme/i/1", "/p/acme/changelog", "/p/acme/betas",
         "/p/acme/changelog.atom", "/p/acme/badge.svg")


async def bodies(h: Harness) -> dict[str, str]:
    found = {}
    for path in PAGES:
        status, headers, body = await get(h, path)
        assert status == 200 and headers["Cache-Control"] == "public, max-age=60", (path, status)
        found[path] = body
    return found


async def test_served_from_the_cache_until_a_vote_a_status_change_or_an_opt_out(pub: Harness) -> None:  # noqa: F811
    h = pub
    assert h.bot is not None
    public = h.bot.app.public
    await report(h, "alice", "idea", {"Title": "Dark mode", "Details": "d"})
    await h.member("alice").slash("mydata public-name", state="on")
    # A second bot process: its own cache, the same database.
    other = PublicPages(h.bot.db, h.clock, public_settings=lambda gid: h.bot.guild_config(gid).public,
                        public_names=h.bot.app.privacy.public_names,
                        names_version=h.bot.app.privacy.public_names_version)
    assert (await other.board(h.guild_id)).card(1).votes == 0  # type: ignore[union-attr]

    first = await bodies(h)
    builds = public.builds
    again = await bodies(h)
    assert again == first and public.builds == builds  # the same bytes, nothing rebuilt
    assert "0 votes" in first["/p/acme/"] and "including alice" in first["/p/acme/i/1"]

    thread = (await item(h, 1)).thread_id
    await h.member("bob").click(thread, label="Me too")
    assert (await item(h, 1)).vote_count == 1
    voted = await page(h, "/p/acme/")
    assert "1 vote ·" in voted and "Suggested by 2 members" in voted
    assert "1 vote ·" in await page(h, "/p/acme/requests")
    assert 'content="Idea · New · 1 vote in the Acme Community community"' in await page(h, "/p/acme/i/1")
    await asyncio.sleep(RECHECK_SECONDS)
    assert (await other.board(h.guild_id)).card(1).votes == 1  # type: ignore[union-attr]

    done = await h.member("sam").slash("feedback status", status="planned", item=1)
    assert done.ephemeral, done.content
    roadmap = await page(h, "/p/acme/")
    assert "Dark mode" in roadmap.split("<h2>Planned (1)</h2>", 1)[1].split("<h2>", 1)[0]
    await asyncio.sleep(RECHECK_SECONDS)
    assert (await other.board(h.guild_id)).card(1).status == "planned"  # type: ignore[union-attr]

    await h.member("alice").slash("mydata public-name", state="off")
    assert "alice" not in await page(h, "/p/acme/i/1")
    await asyncio.sleep(RECHECK_SECONDS)
    assert "alice" not in str((await other.board(h.guild_id)).card(1))
