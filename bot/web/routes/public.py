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
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from aiohttp import web
from feedgen.feed import FeedGenerator

from bot.public.service import TYPE_LABELS, Board, Card, Post
from bot.web.app import JINJA_KEY, render
from bot.web.security import BOT_KEY

CACHE = "public, max-age=60"
# How much one page lists (the rest is counted): a roadmap column, the top requests, the changelog's cards
# (whole releases and posts, newest first), the feed's entries.
PER_COLUMN, TOP_REQUESTS, CHANGELOG, FEED_ENTRIES = 50, 100, 200, 50
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


class Rendered:
    """Each page's bytes as last rendered, kept while its server's :class:`Board` is the one the service
    returns: the service hands out the same board until its version moves, so a hit costs the version check
    and a dict lookup, and a status change or a vote (a new board) re-renders on the next request."""

    MAX = 512

    def __init__(self) -> None:
        self._pages: dict[tuple[object, ...], tuple[Board, bytes, int, str]] = {}

    def get(self, board: Board, key: tuple[object, ...]) -> web.Response | None:
        found = self._pages.get(key)
        if found is None or found[0] is not board:
            return None
        return web.Response(body=found[1], status=found[2], content_type=found[3], charset="utf-8",
                            headers={"Cache-Control": CACHE})

    def put(self, board: Board, key: tuple[object, ...], response: web.Response) -> web.Response:
        if response.status == 200 and isinstance(response.body, bytes):
            if len(self._pages) >= self.MAX:
                self._pages.clear()
            self._pages[key] = (board, response.body, response.status, response.content_type)
        return response


RENDERED_KEY: web.AppKey[Rendered] = web.AppKey("public_rendered", Rendered)


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


@dataclass(frozen=True, slots=True)
class Served:
    board: Board
    server: str
    base: str
    guild_id: int

    def hit(self, request: web.Request, *key: object) -> web.Response | None:
        """The page already rendered from this board for ``key``, or ``None``."""
        return request.app[RENDERED_KEY].get(self.board, (self.guild_id, *key))

    def keep(self, request: web.Request, response: web.Response, *key: object) -> web.Response:
        return request.app[RENDERED_KEY].put(self.board, (self.guild_id, *key), response)


async def _served(request: web.Request) -> Served:
    guild_id, name, slug = _guild_for(request)
    bot = request.app[BOT_KEY]
    guild = bot.get_guild(guild_id)

    def name_of(user_id: int) -> str | None:
        member = guild.get_member(user_id) if guild is not None else None
        return member.display_name if member is not None else None

    board = await bot.app.public.board(guild_id, name_of)
    return Served(board, name, f"/p/{slug}", guild_id)


def _page(request: web.Request, base: str, *, http_status: int = 200, **values: object) -> web.Response:
    bot = request.app[BOT_KEY]
    root = bot.web.base_url if bot.web is not None else ""
    response = render(request, "public.html", http_status=http_status, base=base,
                      canonical=f"{root}{request.path}", **values)
    response.headers["Cache-Control"] = CACHE
    return response


async def roadmap(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    if (hit := served.hit(request, "roadmap")) is not None:
        return hit
    board, server = served.board, served.server
    columns = [(title, cards[:PER_COLUMN], len(cards)) for title, cards in board.roadmap()]
    return served.keep(request, _page(
        request, served.base, active="roadmap", server=server, page_title=f"{server} roadmap",
        description=f"What {server}'s community asked for: {len(board.requests())} open requests, "
                    f"{board.shipped} shipped.", columns=columns), "roadmap")


async def requests(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    board, server, base = served.board, served.server, served.base
    type_ = request.query.get("type", "").strip()
    beta_asked = request.query.get("beta", "").strip()
    beta = board.beta_named(beta_asked) if beta_asked else None
    problems = []
    if type_ and type_ not in TYPE_LABELS:
        problems.append(f"There is no type \u201c{type_[:40]}\u201d; use one of: {', '.join(TYPE_LABELS)}.")
    if beta_asked and beta is None:
        known = ", ".join(b.beta.name for b in board.betas) or "none yet"
        problems.append(f"There is no beta \u201c{beta_asked[:60]}\u201d on the betas page (betas: {known}).")
    if problems:
        return _page(request, base, http_status=400, active="refused", server=server,
                     page_title=f"{server}: top requests", description="That filter doesn't exist.",
                     problems=problems)
    if (hit := served.hit(request, "requests", type_, beta)) is not None:
        return hit
    cards = board.requests(type_ or None, beta)
    with_open = sorted({c.beta for c in board.requests() if c.beta})
    if beta and beta not in with_open:
        with_open.append(beta)

    def href(t: str, b: str) -> str:
        query = urlencode([(k, v) for k, v in (("type", t), ("beta", b)) if v])
        return f"{base}/requests" + (f"?{query}" if query else "")

    what = f"{TYPE_LABELS[type_].lower()} " if type_ else ""
    return served.keep(request, _page(
        request, base, active="requests", server=server, page_title=f"{server}: top requests",
        description=f"{len(cards)} open {what}requests{f' from the {beta} beta' if beta else ''}, "
                    "ranked by the community's votes.",
        cards=cards[:TOP_REQUESTS], total=len(cards), beta=beta or "",
        type_links=[(label, href(key, beta or ""), key == type_) for key, label in [("", "All"), *TYPE_LABELS.items()]],
        beta_links=[("All", href(type_, ""), not beta), *((name, href(type_, name), name == beta) for name in with_open)],
    ), "requests", type_, beta)


async def betas(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    if (hit := served.hit(request, "betas")) is not None:
        return hit
    board, server = served.board, served.server
    open_ = [b for b in board.betas if b.beta.status == "open"]
    closed = [b for b in board.betas if b.beta.status == "closed"]
    return served.keep(request, _page(
        request, served.base, active="betas", server=server, page_title=f"{server} betas",
        description=f"{len(open_)} open beta{'' if len(open_) == 1 else 's'} to join, {len(closed)} closed.",
        open_betas=open_, closed_betas=closed), "betas")


async def changelog(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    if (hit := served.hit(request, "changelog")) is not None:
        return hit
    board, server = served.board, served.server
    entries, shown = [], 0
    for entry in board.timeline():  # the newest changes, up to CHANGELOG cards
        if shown >= CHANGELOG:
            break
        entries.append(entry)
        shown += len(entry.cards)
    return served.keep(request, _page(
        request, served.base, active="changelog", server=server, page_title=f"{server} changelog",
        description=f"{board.shipped} changes shipped because the community asked.", entries=entries,
        more=len(board.timeline()) - len(entries)), "changelog")


async def item(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    item_id = int(request.match_info["item_id"])
    if (hit := served.hit(request, "item", item_id)) is not None:
        return hit
    card = served.board.card(item_id)
    if card is None:
        raise web.HTTPNotFound()
    return served.keep(request, _page(
        request, served.base, active="item", server=served.server, page_title=card.title,
        description=f"{card.type_label} · {card.status_label} · {card.votes} "
                    f"vote{'' if card.votes == 1 else 's'} in the {served.server} community", item=card),
        "item", item_id)


async def feed(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    if (hit := served.hit(request, "feed")) is not None:
        return hit
    board, server, base = served.board, served.server, served.base
    bot = request.app[BOT_KEY]
    root = bot.web.base_url if bot.web is not None else ""
    fg = FeedGenerator()
    fg.id(f"{root}{base}/changelog")
    fg.title(f"{server} changelog")
    fg.link(href=f"{root}{base}/changelog", rel="alternate")
    fg.link(href=f"{root}{base}/changelog.atom", rel="self")
    fg.subtitle("What shipped because the community asked")
    fg.language("en")
    dated: list[tuple[datetime, int, Card | Post]] = [(c.updated_at, 0, c) for c in board.column(("shipped",))]
    dated += [(p.post.posted_at, 1, p) for p in board.posts]
    dated = sorted(dated, key=lambda d: (d[0], d[1]))[-FEED_ENTRIES:]  # the newest entries
    fg.updated((dated[-1][0] if dated else datetime(2020, 1, 1, tzinfo=UTC)).astimezone(UTC))
    for _at, _kind, what in dated:  # feedgen lists the last added first: oldest first
        entry = fg.add_entry()
        if isinstance(what, Post):
            link = f"{root}{base}/changelog#post-{what.post.id}"
            entry.id(link)
            entry.title(f"What we changed because of you: {what.beta} beta")
            entry.link(href=what.url or link)
            entry.updated(what.post.posted_at.astimezone(UTC))
            entry.summary(_post_summary(what))
            continue
        entry.id(f"{root}{base}/i/{what.id}")
        entry.title(what.title)
        entry.link(href=f"{root}{base}/i/{what.id}")
        entry.updated(what.updated_at.astimezone(UTC))
        shipped_in = f" in {what.version}" if what.version else ""
        entry.summary(f"{what.type_label}, shipped{shipped_in}; {_suggested(what)}")
    response = web.Response(body=fg.atom_str(pretty=True), content_type="application/atom+xml", charset="utf-8",
                            headers={"Cache-Control": CACHE})
    return served.keep(request, response, "feed")


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
    served = await _served(request)
    if (hit := served.hit(request, "badge")) is not None:
        return hit
    shipped = served.board.shipped
    text = f"{shipped} idea{'' if shipped == 1 else 's'} shipped from our community"
    svg = request.app[JINJA_KEY].from_string(BADGE).render(text=text, width=12 + 7 * len(text))
    response = web.Response(text=svg, content_type="image/svg+xml", headers={"Cache-Control": CACHE})
    return served.keep(request, response, "badge")


def setup(app: web.Application) -> None:
    app[LIMIT_KEY] = RateLimit()
    app[RENDERED_KEY] = Rendered()
    app.router.add_get("/p/{slug}/", roadmap)
    app.router.add_get("/p/{slug}/requests", requests)
    app.router.add_get("/p/{slug}/changelog", changelog)
    app.router.add_get("/p/{slug}/changelog.atom", feed)
    app.router.add_get("/p/{slug}/betas", betas)
    app.router.add_get("/p/{slug}/badge.svg", badge)
    app.router.add_get("/p/{slug}/i/{item_id:\\d+}", item)
