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

from bot.platform import i18n
from bot.platform.i18n import Translator
from bot.public.service import TYPE_LABELS, Board, Card, Post
from bot.web.app import JINJA_KEY, render
from bot.web.lang import LANG_COOKIE, from_accept_language
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
        self._pages: dict[tuple[object, ...], tuple[Board, bytes, int, str, dict[str, str]]] = {}

    def get(self, board: Board, key: tuple[object, ...]) -> web.Response | None:
        found = self._pages.get(key)
        if found is None or found[0] is not board:
            return None
        return web.Response(body=found[1], status=found[2], content_type=found[3], charset="utf-8",
                            headers={"Cache-Control": CACHE, **found[4]})

    def put(self, board: Board, key: tuple[object, ...], response: web.Response) -> web.Response:
        if response.status == 200 and isinstance(response.body, bytes):
            if len(self._pages) >= self.MAX:
                self._pages.clear()
            kept = {k: response.headers[k] for k in ("Content-Language", "Vary") if k in response.headers}
            self._pages[key] = (board, response.body, response.status, response.content_type, kept)
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
    tr: Translator
    # whether the language came from the visitor (cookie, Accept-Language): the page varies by that header
    negotiated: bool = True

    def hit(self, request: web.Request, *key: object) -> web.Response | None:
        """The page already rendered from this board for ``key`` in this language, or ``None``."""
        return request.app[RENDERED_KEY].get(self.board, (self.guild_id, self.tr.lang, *key))

    def keep(self, request: web.Request, response: web.Response, *key: object) -> web.Response:
        response.headers["Content-Language"] = self.tr.lang.replace("_", "-")
        if self.negotiated:
            response.headers["Vary"] = "Accept-Language, Cookie"
        return request.app[RENDERED_KEY].put(self.board, (self.guild_id, self.tr.lang, *key), response)


def _server_language(request: web.Request, guild_id: int) -> str:
    bot = request.app[BOT_KEY]
    guild = bot.get_guild(guild_id)
    return i18n.public_language(bot.guild_config(guild_id).language,
                                guild.preferred_locale if guild is not None else None)


def _visitor_language(request: web.Request, guild_id: int) -> str:
    """A page's language: the visitor's switch (the dashboard's cookie), their browser's Accept-Language,
    else the server's language."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in i18n.LANGUAGES:
        return chosen
    return from_accept_language(request.headers.get("Accept-Language")) or _server_language(request, guild_id)


def _fixed_language(request: web.Request, guild_id: int) -> str:
    """The feed's and the badge's language: ``?lang=`` when Kudos speaks it, else the server's."""
    asked = request.query.get("lang", "")
    return i18n.language(asked) if asked and i18n.supported(asked) else _server_language(request, guild_id)


async def _served(request: web.Request, *, negotiated: bool = True) -> Served:
    guild_id, name, slug = _guild_for(request)
    bot = request.app[BOT_KEY]
    guild = bot.get_guild(guild_id)

    def name_of(user_id: int) -> str | None:
        member = guild.get_member(user_id) if guild is not None else None
        return member.display_name if member is not None else None

    board = await bot.app.public.board(guild_id, name_of)
    lang = _visitor_language(request, guild_id) if negotiated else _fixed_language(request, guild_id)
    return Served(board, name, f"/p/{slug}", guild_id, i18n.translator(lang), negotiated)


def _page(request: web.Request, served: Served, *, http_status: int = 200, **values: object) -> web.Response:
    bot = request.app[BOT_KEY]
    root = bot.web.base_url if bot.web is not None else ""
    response = render(request, "public.html", http_status=http_status, base=served.base, translator=served.tr,
                      canonical=f"{root}{request.path}", **values)
    response.headers["Cache-Control"] = CACHE
    return response


async def roadmap(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    if (hit := served.hit(request, "roadmap")) is not None:
        return hit
    board, server, tr = served.board, served.server, served.tr
    columns = [(title, cards[:PER_COLUMN], len(cards)) for title, cards in board.roadmap()]
    return served.keep(request, _page(
        request, served, active="roadmap", server=server, page_title=tr("{server} roadmap", server=server),
        description=tr.ngettext("What {server}'s community asked for: {count} open request, {shipped} shipped.",
                                "What {server}'s community asked for: {count} open requests, {shipped} shipped.",
                                len(board.requests()), server=server, shipped=tr.number(board.shipped)),
        columns=columns), "roadmap")


async def requests(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    board, server, base, tr = served.board, served.server, served.base, served.tr
    type_ = request.query.get("type", "").strip()
    beta_asked = request.query.get("beta", "").strip()
    beta = board.beta_named(beta_asked) if beta_asked else None
    problems = []
    if type_ and type_ not in TYPE_LABELS:
        problems.append(tr("There is no type \u201c{type}\u201d; use one of: {types}.", type=type_[:40],
                           types=", ".join(TYPE_LABELS)))
    if beta_asked and beta is None:
        known = ", ".join(b.beta.name for b in board.betas) or tr("none yet")
        problems.append(tr("There is no beta \u201c{beta}\u201d on the betas page (betas: {known}).",
                           beta=beta_asked[:60], known=known))
    if problems:
        return _page(request, served, http_status=400, active="refused", server=server,
                     page_title=tr("{server}: top requests", server=server),
                     description=tr("That filter doesn't exist."),
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

    if type_:
        description = tr.ngettext("{count} open request of type {type}, ranked by the community's votes.",
                                  "{count} open requests of type {type}, ranked by the community's votes.",
                                  len(cards), type=tr(TYPE_LABELS[type_]))
    else:
        description = tr.ngettext("{count} open request, ranked by the community's votes.",
                                  "{count} open requests, ranked by the community's votes.", len(cards))
    if beta:
        description += " " + tr("From the {beta} beta.", beta=beta)
    return served.keep(request, _page(
        request, served, active="requests", server=server, page_title=tr("{server}: top requests", server=server),
        description=description,
        cards=cards[:TOP_REQUESTS], total=len(cards), beta=beta or "",
        type_links=[(tr(label), href(key, beta or ""), key == type_)
                    for key, label in [("", "All"), *TYPE_LABELS.items()]],
        beta_links=[(tr("All"), href(type_, ""), not beta), *((name, href(type_, name), name == beta) for name in with_open)],
    ), "requests", type_, beta)


async def betas(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    if (hit := served.hit(request, "betas")) is not None:
        return hit
    board, server, tr = served.board, served.server, served.tr
    open_ = [b for b in board.betas if b.beta.status == "open"]
    closed = [b for b in board.betas if b.beta.status == "closed"]
    return served.keep(request, _page(
        request, served, active="betas", server=server, page_title=tr("{server} betas", server=server),
        description=tr.ngettext("{count} open beta to join, {closed} closed.",
                                "{count} open betas to join, {closed} closed.", len(open_),
                                closed=tr.number(len(closed))),
        open_betas=open_, closed_betas=closed), "betas")


async def changelog(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    if (hit := served.hit(request, "changelog")) is not None:
        return hit
    board, server, tr = served.board, served.server, served.tr
    entries, shown = [], 0
    for entry in board.timeline():  # the newest changes, up to CHANGELOG cards
        if shown >= CHANGELOG:
            break
        entries.append(entry)
        shown += len(entry.cards)
    return served.keep(request, _page(
        request, served, active="changelog", server=server, page_title=tr("{server} changelog", server=server),
        description=tr.ngettext("{count} change shipped because the community asked.",
                                "{count} changes shipped because the community asked.", board.shipped),
        entries=entries,
        more=len(board.timeline()) - len(entries)), "changelog")


async def item(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    item_id = int(request.match_info["item_id"])
    if (hit := served.hit(request, "item", item_id)) is not None:
        return hit
    card = served.board.card(item_id)
    if card is None:
        raise web.HTTPNotFound()
    tr = served.tr
    return served.keep(request, _page(
        request, served, active="item", server=served.server, page_title=card.title,
        description=tr.ngettext("{type} · {status} · {count} vote in the {server} community",
                                "{type} · {status} · {count} votes in the {server} community", card.votes,
                                type=tr(card.type_label), status=tr(card.status_label), server=served.server),
        item=card),
        "item", item_id)


async def feed(request: web.Request) -> web.StreamResponse:
    served = await _served(request, negotiated=False)
    if (hit := served.hit(request, "feed")) is not None:
        return hit
    board, server, base, tr = served.board, served.server, served.base, served.tr
    bot = request.app[BOT_KEY]
    root = bot.web.base_url if bot.web is not None else ""
    fg = FeedGenerator()
    fg.id(f"{root}{base}/changelog")
    fg.title(tr("{server} changelog", server=server))
    fg.link(href=f"{root}{base}/changelog", rel="alternate")
    fg.link(href=f"{root}{base}/changelog.atom", rel="self")
    fg.subtitle(tr("What shipped because the community asked."))
    fg.language(tr.lang.replace("_", "-"))
    dated: list[tuple[datetime, int, Card | Post]] = [(c.updated_at, 0, c) for c in board.column(("shipped",))]
    dated += [(p.post.posted_at, 1, p) for p in board.posts]
    dated = sorted(dated, key=lambda d: (d[0], d[1]))[-FEED_ENTRIES:]  # the newest entries
    fg.updated((dated[-1][0] if dated else datetime(2020, 1, 1, tzinfo=UTC)).astimezone(UTC))
    for _at, _kind, what in dated:  # feedgen lists the last added first: oldest first
        entry = fg.add_entry()
        if isinstance(what, Post):
            link = f"{root}{base}/changelog#post-{what.post.id}"
            entry.id(link)
            entry.title(tr("What we changed because of you: {beta} beta", beta=what.beta))
            entry.link(href=what.url or link)
            entry.updated(what.post.posted_at.astimezone(UTC))
            entry.summary(_post_summary(tr, what))
            continue
        entry.id(f"{root}{base}/i/{what.id}")
        entry.title(what.title)
        entry.link(href=f"{root}{base}/i/{what.id}")
        entry.updated(what.updated_at.astimezone(UTC))
        if what.version:
            shipped = tr("{type}, shipped in {version}", type=tr(what.type_label), version=what.version)
        else:
            shipped = tr("{type}, shipped", type=tr(what.type_label))
        entry.summary(f"{shipped}; {_suggested(tr, what)}")
    response = web.Response(body=fg.atom_str(pretty=True), content_type="application/atom+xml", charset="utf-8",
                            headers={"Cache-Control": CACHE})
    return served.keep(request, response, "feed")


def _suggested(tr: Translator, card: Card) -> str:
    text = tr.ngettext("suggested by {count} member", "suggested by {count} members", card.supporters)
    return text + (tr(", including {names}", names=", ".join(card.names)) if card.names else "")


def _type_in_text(tr: Translator, card: Card) -> str:
    """A type label inside a sentence: lower case, except where nouns keep their capital (German) or the script
    has none."""
    label = tr(card.type_label)
    return label if tr.lang in ("de", "ja") else label.lower()


def _post_summary(tr: Translator, post: Post) -> str:
    lines = [tr.ngettext("{count} thing the {beta} beta's members told us about shipped:",
                         "{count} things the {beta} beta's members told us about shipped:",
                         len(post.cards) + post.not_shown, beta=post.beta)]
    lines += [f"{c.title} ({_type_in_text(tr, c)}), {_suggested(tr, c)}" for c in post.cards]
    if post.not_shown:
        lines.append(tr.ngettext("and {count} more that is not public", "and {count} more that are not public",
                                 post.not_shown))
    return "\n".join(lines)


BADGE = """<svg xmlns="http://www.w3.org/2000/svg" width="{{ width }}" height="20" role="img" aria-label="{{ text }}">
<title>{{ text }}</title><rect width="{{ width }}" height="20" rx="3" fill="#5865f2"/>
<text x="{{ width // 2 }}" y="14" fill="#fff" font-family="Verdana,sans-serif" font-size="11" text-anchor="middle">{{ text }}</text>
</svg>"""


async def badge(request: web.Request) -> web.StreamResponse:
    served = await _served(request, negotiated=False)
    if (hit := served.hit(request, "badge")) is not None:
        return hit
    shipped = served.board.shipped
    text = served.tr.ngettext("{count} idea shipped from our community", "{count} ideas shipped from our community",
                              shipped)
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
