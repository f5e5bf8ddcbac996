"""The public pages under traffic: 10,000 feedback items (20,000 votes), the real bot's web server, pages from
the cache, against a static file of the same bytes served by aiohttp on the same loop in the same run.

- p95 of ``GET /p/<slug>/`` (roadmap), ``/requests`` and ``/changelog`` once cached: each request still reads
  the cache's version from the database (that is what makes a vote or a status change show on the next
  request), then serves the page's kept bytes. Goal: p95 ≤ 20 ms.
- The first request after a vote: the board is rebuilt and the page rendered again (no goal; how long a
  refresh on change takes at this size).

The static baseline and the pages are requested alternately (one of each per round), so load from other work on
the machine hits both. SQLite always; PostgreSQL too when one answers (see :func:`bench.common.postgres_url`).
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import update

from bench.common import Result, median, percentile, postgres_database, postgres_url
from bot.feedback.tables import feedback, feedback_votes
from bot.sandbox.harness import Harness

ITEMS = 10_000
VOTES = 20_000
ROUNDS = 400
GOAL_MS = 20.0
CONFIG = {"web": {"enabled": True, "host": "127.0.0.1", "port": 0},
          "guilds": {"default": {"public": {"enabled": True, "slug": "acme"}}}}
PAGES = (("roadmap", "/p/acme/"), ("top requests", "/p/acme/requests"), ("changelog", "/p/acme/changelog"))


async def _fill(h: Harness, seed: int = 7) -> list[int]:
    """Write the items and votes; returns the ids of open items (for the votes measured later)."""
    assert h.bot is not None
    rng = random.Random(seed)
    now = h.clock.now()
    statuses = ["new", "acknowledged", "planned", "in_progress", "shipped", "declined"]
    items = []
    for i in range(ITEMS):
        at = now - timedelta(minutes=rng.randrange(500_000))
        status = rng.choice(statuses)
        items.append({"guild_id": h.guild_id, "reporter_id": 10**17 + rng.randrange(5_000),
                      "type": "idea" if rng.random() < 0.7 else "bug", "title": f"Request number {i}",
                      "details": "", "status": status, "created_at": at, "updated_at": at, "thread_id": 10**15 + i,
                      "version": f"2.{rng.randrange(40)}" if status == "shipped" else None})
    votes: dict[int, set[int]] = {}
    for _ in range(VOTES):
        votes.setdefault(rng.randrange(1, ITEMS + 1), set()).add(10**17 + rng.randrange(5_000))
    async with h.bot.db.begin() as conn:
        for first in range(0, ITEMS, 2_000):
            await conn.execute(feedback.insert(), items[first:first + 2_000])
        rows = [{"feedback_id": i, "user_id": u, "created_at": now} for i, us in votes.items() for u in us]
        for first in range(0, len(rows), 5_000):
            await conn.execute(feedback_votes.insert(), rows[first:first + 5_000])
        for item_id, users in votes.items():
            await conn.execute(update(feedback).where(feedback.c.id == item_id).values(vote_count=len(users)))
    return [i + 1 for i, row in enumerate(items) if row["status"] in ("new", "acknowledged", "planned")]


async def _static(tmp: Path, files: dict[str, bytes]) -> tuple[web.AppRunner, str]:
    for name, body in files.items():
        (tmp / name).write_bytes(body)
    app = web.Application()
    app.router.add_static("/static/", tmp)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/static"


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    async with session.get(url) as response:
        body = await response.read()
        assert response.status == 200, (url, response.status)
    return (time.perf_counter() - t0) * 1000, body


async def _suite(db_name: str, database_url: str | None) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(None, CONFIG, workdir=Path(tmp), database_url=database_url)
        await h.start()
        try:
            open_items = await _fill(h)
            assert h.bot is not None and h.bot.web is not None
            root = h.bot.web.base_url
            files = Path(tmp) / "files"
            files.mkdir()
            async with aiohttp.ClientSession() as session:
                bodies = {name: (await _get(session, root + path))[1] for name, path in PAGES}  # builds the cache
                runner, static = await _static(files, {f"{i}.html": b for i, b in enumerate(bodies.values())})
                try:
                    results = await _measure(h, session, root, static, db_name, open_items)
                finally:
                    await runner.cleanup()
        finally:
            await h.stop()
    return results


async def _measure(h: Harness, session: aiohttp.ClientSession, root: str, static: str, db_name: str,
                   open_items: list[int]) -> list[Result]:
    assert h.bot is not None
    results = []
    for i, (name, path) in enumerate(PAGES):
        page, baseline = [], []
        for _ in range(ROUNDS):
            baseline.append((await _get(session, f"{static}/{i}.html"))[0])
            page.append((await _get(session, root + path))[0])
        results.append(Result(f"public {name} p95 (10k items)", percentile(page, 95), percentile(baseline, 95),
                              "ms", "static file, same bytes, p95", goal=f"p95 <= {GOAL_MS:.0f} ms", db=db_name))
    # After a vote (through the feedback service, as the "Me too" button does): the next request rebuilds the
    # board and renders the roadmap again.
    rebuilt, baseline = [], []
    builds = h.bot.app.public.builds
    for n in range(10):
        voted = await h.bot.app.feedback.vote(h.guild_id, open_items[n], 10**17 + 9_000 + n)
        assert voted.status == "counted", voted
        baseline.append((await _get(session, f"{static}/0.html"))[0])
        rebuilt.append((await _get(session, root + "/p/acme/"))[0])
    assert h.bot.app.public.builds == builds + 10, "a vote did not refresh the cache"
    results.append(Result("public roadmap after a vote (rebuild)", median(rebuilt), median(baseline), "ms",
                          "static file, same bytes, p50", goal="(refresh on change)", db=db_name))
    return results


async def run() -> list[Result]:
    results = await _suite("SQLite", None)
    base = await postgres_url()
    if base is not None:
        async with postgres_database(base, "bench_public") as url:
            results += await _suite("PostgreSQL", url)
    return results

