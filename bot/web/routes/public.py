"""The public pages (``[guilds.<id>.public] enabled, slug``): ``/p/<slug>/`` roadmap, ``requests`` (filter by
type and beta; an unknown filter is a 400 that lists the valid ones), ``changelog`` (shipped by version and the
"what we changed because of you" posts) with its Atom feed (feedgen), ``betas`` (open ones with spots left and
the announcement to join from, closed ones with what came of them), ``i/<id>`` (one item, its own Open Graph
tags so a pasted link unfurls with title and votes) and ``badge.svg``.

No login; read-only; served from :class:`bot.public.service.PublicPages`' cache. The dashboard's security
headers apply, except that public pages may be cached for a minute by browsers and proxies; member-written
text is escaped by Jinja (templates and the SVG) and by feedgen (XML). A per-address rate limit answers 429
past a burst (loopback, where the tests and a local reverse proxy connect from, is exempt: put the proxy's
``X-Forwarded-For`` handling in the proxy).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from aiohttp import web
from feedgen.feed import FeedGenerator

from bot.public.service import TYPE_LABELS, Board, Card, Post
from bot.web.app import JINJA_KEY, render
from bot.web.security import BOT_KEY

CACHE = "public, max-age=60"
BURST, PER_SECOND = 30, 5.0
_LOOPBACK = ("127.0.0.1", "::1")


class RateLimit:
    """A token bucket per remote address."""

    def __init__(self, burst: int = BURST, per_second: float = PER_SECOND) -> None:
        self.burst, self.per_second = burst, per_second
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, address: str, now: float) -> bool:
        tokens, last = self._buckets.get(address, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            return False
        self._buckets[address] = (tokens - 1, now)
        if len(self._buckets) > 10_000:  # forget the idle ones
            self._buckets = {a: v for a, v in self._buckets.items() if now - v[1] < 60}
        return True


LIMIT_KEY: web.AppKey[RateLimit] = web.AppKey("public_rate_limit", RateLimit)


def _guild_for(request: web.Request) -> tuple[int, str, str]:
    """(guild id, server name, slug) of the slug in the path; 404 when no server serves it."""
    slug = request.match_info["slug"]
    bot = request.app[BOT_KEY]
    address = request.remote or ""
    if address not in _LOOPBACK and not request.app[LIMIT_KEY].allow(address, time.monotonic()):
        raise web.HTTPTooManyRequests(text="Too many requests; try again in a few seconds.",
                                      headers={"Retry-After": "5"})
    for guild in bot.guilds:
        settings = bot.guild_config(guild.id).public
        if settings.enabled and settings.slug == slug:
            return guild.id, guild.name, slug
    raise web.HTTPNotFound()


async def _board(request: web.Request) -> tuple[Board, str, str]:
    guild_id, name, slug = _guild_for(request)
    bot = request.app[BOT_KEY]
    guild = bot.get_guild(guild_id)

    def name_of(user_id: int) -> str | None:
        member = guild.get_member(user_id) if guild is not None else None
        return member.display_name if member is not None else None

    board = await bot.app.public.board(guild_id, name_of)
    return board, name, f"/p/{slug}"


def _page(request: web.Request, base: str, *, http_status: int = 200, **values: object) -> web.Response:
    bot = request.app[BOT_KEY]
    root = bot.web.base_url if bot.web is not None else ""
    response = render(request, "public.html", http_status=http_status, base=base,
                      canonical=f"{root}{request.path}", **values)
    response.headers["Cache-Control"] = CACHE
    return response


async def roadmap(request: web.Request) -> web.StreamResponse:
    board, server, base = await _board(request)
    shipped = board.shipped
    return _page(request, base, active="roadmap", server=server, page_title=f"{server} roadmap",
                 description=f"What {server}'s community asked for: {len(board.requests())} open requests, "
                             f"{shipped} shipped.", columns=board.roadmap())


async def requests(request: web.Request) -> web.StreamResponse:
    board, server, base = await _board(request)
    type_ = request.query.get("type", "").strip()
    beta_asked = request.query.get("beta", "").strip()
    beta = board.beta_named(beta_asked) if beta_asked else None
    problems = []
    if type_ and type_ not in TYPE_LABELS:
        problems.append(f"There is no type {type_[:40]!r} here; use one of: {', '.join(TYPE_LABELS)}.")
    if beta_asked and beta is None:
        known = ", ".join(b.beta.name for b in board.betas) or "none yet"
        problems.append(f"There is no beta {beta_asked[:60]!r} on the betas page (betas: {known}).")
    if problems:
        return _page(request, base, http_status=400, active="refused", server=server,
                     page_title=f"{server}: top requests", description="That filter doesn't exist.",
                     problems=problems)
    cards = board.requests(type_ or None, beta)
    with_open = sorted({c.beta for c in board.requests() if c.beta})
    if beta and beta not in with_open:
        with_open.append(beta)

    def href(t: str, b: str) -> str:
        query = urlencode([(k, v) for k, v in (("type", t), ("beta", b)) if v])
        return f"{base}/requests" + (f"?{query}" if query else "")

    what = f"{TYPE_LABELS[type_].lower()} " if type_ else ""
    return _page(request, base, active="requests", server=server, page_title=f"{server}: top requests",
                 description=f"{len(cards)} open {what}requests{f' from the {beta} beta' if beta else ''}, "
                             "ranked by the community's votes.",
                 cards=cards, beta=beta or "",
                 type_links=[(label, href(key, beta or ""), key == type_)
                             for key, label in [("", "All"), *TYPE_LABELS.items()]],
                 beta_links=[("All", href(type_, ""), not beta),
                             *((name, href(type_, name), name == beta) for name in with_open)])


async def betas(request: web.Request) -> web.StreamResponse:
    board, server, base = await _board(request)
    open_ = [b for b in board.betas if b.beta.status == "open"]
    closed = [b for b in board.betas if b.beta.status == "closed"]
    return _page(request, base, active="betas", server=server, page_title=f"{server} betas",
                 description=f"{len(open_)} open beta{'' if len(open_) == 1 else 's'} to join, "
                             f"{len(closed)} closed.", open_betas=open_, closed_betas=closed)


async def changelog(request: web.Request) -> web.StreamResponse:
    board, server, base = await _board(request)
    return _page(request, base, active="changelog", server=server, page_title=f"{server} changelog",
                 description=f"{board.shipped} changes shipped because the community asked.",
                 entries=board.timeline())


async def item(request: web.Request) -> web.StreamResponse:
    board, server, base = await _board(request)
    try:
        card = board.card(int(request.match_info["item_id"]))
    except ValueError:
        card = None
    if card is None:
        raise web.HTTPNotFound()
    return _page(request, base, active="item", server=server, page_title=card.title,
                 description=f"{card.type_label} · {card.status_label} · {card.votes} "
                             f"vote{'' if card.votes == 1 else 's'} in the {server} community", item=card)


async def feed(request: web.Request) -> web.StreamResponse:
    board, server, base = await _board(request)
    bot = request.app[BOT_KEY]
    root = bot.web.base_url if bot.web is not None else ""
    fg = FeedGenerator()
    fg.id(f"{root}{base}/changelog")
    fg.title(f"{server} changelog")
    fg.link(href=f"{root}{base}/changelog", rel="alternate")
    fg.link(href=f"{root}{base}/changelog.atom", rel="self")
    fg.subtitle("What shipped because the community asked")
    fg.language("en")
    cards = [c for _version, cs in board.changelog() for c in cs]
    updated = max([c.updated_at for c in cards] + [p.post.posted_at for p in board.posts], default=None)
    fg.updated((updated or datetime(2020, 1, 1, tzinfo=UTC)).astimezone(UTC))
    # feedgen lists the last added first: add the oldest first.
    dated: list[tuple[datetime, int, object]] = [(c.updated_at, 0, c) for c in cards]
    dated += [(p.post.posted_at, 1, p) for p in board.posts]
    for _at, _kind, what in sorted(dated, key=lambda d: (d[0], d[1])):
        entry = fg.add_entry()
        if isinstance(what, Post):
            link = f"{root}{base}/changelog#post-{what.post.id}"
            entry.id(link)
            entry.title(f"What we changed because of you: {what.beta} beta")
            entry.link(href=what.url or link)
            entry.updated(what.post.posted_at.astimezone(UTC))
            entry.summary(_post_summary(what))
            continue
        card = what
        assert isinstance(card, Card)
        entry.id(f"{root}{base}/i/{card.id}")
        entry.title(card.title)
        entry.link(href=f"{root}{base}/i/{card.id}")
        entry.updated(card.updated_at.astimezone(UTC))
        shipped_in = f" in {card.version}" if card.version else ""
        entry.summary(f"{card.type_label}, shipped{shipped_in}; {_suggested(card)}")
    return web.Response(body=fg.atom_str(pretty=True), content_type="application/atom+xml", charset="utf-8",
                        headers={"Cache-Control": CACHE})


def _suggested(card: Card) -> str:
    text = f"suggested by {card.supporters} member{'' if card.supporters == 1 else 's'}"
    return text + (f", including {', '.join(card.names)}" if card.names else "")


def _post_summary(post: Post) -> str:
    lines = [f"{len(post.cards) + post.not_shown} thing{'' if len(post.cards) + post.not_shown == 1 else 's'} "
             f"the {post.beta} beta's members told us about shipped:"]
    lines += [f"{c.title} ({c.type_label.lower()}), {_suggested(c)}" for c in post.cards]
    if post.not_shown:
        lines.append(f"and {post.not_shown} more that are not public")
    return "\n".join(lines)


BADGE = """<svg xmlns="http://www.w3.org/2000/svg" width="{{ width }}" height="20" role="img" aria-label="{{ text }}">
<title>{{ text }}</title><rect width="{{ width }}" height="20" rx="3" fill="#5865f2"/>
<text x="{{ width // 2 }}" y="14" fill="#fff" font-family="Verdana,sans-serif" font-size="11" text-anchor="middle">{{ text }}</text>
</svg>"""


async def badge(request: web.Request) -> web.StreamResponse:
    board, _server, _base = await _board(request)
    shipped = board.shipped
    text = f"{shipped} idea{'' if shipped == 1 else 's'} shipped from our community"
    svg = request.app[JINJA_KEY].from_string(BADGE).render(text=text, width=12 + 7 * len(text))
    return web.Response(text=svg, content_type="image/svg+xml", headers={"Cache-Control": CACHE})


def setup(app: web.Application) -> None:
    app[LIMIT_KEY] = RateLimit()
    app.router.add_get("/p/{slug}/", roadmap)
    app.router.add_get("/p/{slug}/requests", requests)
    app.router.add_get("/p/{slug}/changelog", changelog)
    app.router.add_get("/p/{slug}/changelog.atom", feed)
    app.router.add_get("/p/{slug}/betas", betas)
    app.router.add_get("/p/{slug}/badge.svg", badge)
    app.router.add_get("/p/{slug}/i/{item_id:\\d+}", item)
