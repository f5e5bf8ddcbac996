"""What the public pages show, from a cache refreshed on change.

Each server's :class:`Board` is cached with the version of the data under it: the server's feedback (item
count, latest update, total votes, statuses, staff marks, erasures: one aggregate over its items), its few
announced betas with their join counts, its posted "what we changed" posts and the name opt-ins. A request
re-reads that version (and rebuilds the board when it moved):

- on every request for ``DIRTY_SECONDS`` after this process changed something the pages show
  (:meth:`PublicPages.changed`: the feedback, betas and privacy services' ``changed`` signals and the
  ``beta.*``/``member.erased`` events call it inside the change's transaction; the window covers its
  commit), so a status change, a vote, a join, a post, an opt-out or an erasure shows on the next request;
- otherwise at most every ``RECHECK_SECONDS``, so a change made by another bot process sharing the database
  (or written straight into it) shows within that. In between, a cached page costs no query at all.

A board also expires after ``TTL_SECONDS`` whatever happens (a member's display name is not in the version).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.announcements import public as posts_of
from bot.announcements.public import ChangesPost
from bot.betas import public as betas_of
from bot.betas.public import PublicBeta
from bot.feedback import public as items
from bot.platform.clock import Clock
from bot.platform.db import Database

TTL_SECONDS = 60.0
RECHECK_SECONDS = 1.0  # the feedback version is read at least this often
DIRTY_SECONDS = 2.0  # and on every request for this long after a change in this process
ROADMAP_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Under review", ("new", "acknowledged")),
    ("Planned", ("planned",)),
    ("In progress", ("in_progress",)),
    ("Shipped", ("shipped",)),
)
STATUS_LABELS = {"new": "New", "acknowledged": "Acknowledged", "planned": "Planned", "in_progress": "In progress",
                 "shipped": "Shipped", "declined": "Declined"}
TYPE_LABELS = {"bug": "Bug", "idea": "Idea", "praise": "Praise", "question": "Question"}


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    type: str
    title: str
    details: str
    status: str
    version: str | None
    votes: int
    supporters: int
    names: tuple[str, ...]
    thread_url: str | None
    updated_at: datetime
    beta: str | None = None  # the name of its beta, when that beta is on the betas page

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True, slots=True)
class BetaView:
    """A beta as the betas page shows it: public fields, its join link, and what came of it."""

    beta: PublicBeta
    join_url: str
    feedback: int  # items past review, public or not (a count)
    shipped: int
    cards: tuple[Card, ...]  # its public items

    @property
    def shipped_cards(self) -> list[Card]:
        return [c for c in self.cards if c.status == "shipped"]


@dataclass(frozen=True, slots=True)
class Post:
    """A "what we changed because of you" post: the beta's public shipped items, and how many are not public."""

    post: ChangesPost
    beta: str
    url: str | None
    cards: tuple[Card, ...]
    not_shown: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of the changelog: a release (shipped items of one version) or a "what we changed" post."""

    kind: str  # release, post
    title: str
    at: datetime
    cards: tuple[Card, ...]
    post: Post | None = None


@dataclass(frozen=True, slots=True)
class Board:
    """Everything the pages of one server show, at one version."""

    cards: tuple[Card, ...]
    version: tuple[object, ...] = field(default=())
    betas: tuple[BetaView, ...] = ()
    posts: tuple[Post, ...] = ()

    def column(self, statuses: tuple[str, ...]) -> list[Card]:
        return [c for c in self.cards if c.status in statuses]

    def roadmap(self) -> list[tuple[str, list[Card]]]:
        return [(title, self.column(statuses)) for title, statuses in ROADMAP_COLUMNS]

    def requests(self, type_: str | None = None, beta: str | None = None) -> list[Card]:
        """The demand board: open items, most votes first; ``beta``: a beta's name, as :meth:`beta_named`."""
        return [c for c in self.cards if c.status in OPEN
                and (type_ is None or c.type == type_) and (beta is None or c.beta == beta)]

    def beta_named(self, name: str) -> str | None:
        """The beta shown on the betas page with that name (any case), or ``None``."""
        wanted = name.strip().casefold()
        return next((b.beta.name for b in self.betas if b.beta.name.casefold() == wanted), None)

    def changelog(self) -> list[tuple[str, list[Card]]]:
        """Shipped items by version (newest release first; items with no version last)."""
        shipped = sorted(self.column(("shipped",)), key=lambda c: c.updated_at, reverse=True)
        groups: dict[str, list[Card]] = {}
        for card in shipped:
            groups.setdefault(card.version or "", []).append(card)
        named = sorted(((v, cs) for v, cs in groups.items() if v), key=lambda p: max(c.updated_at for c in p[1]),
                       reverse=True)
        return named + ([("", groups[""])] if "" in groups else [])

    def timeline(self) -> list[Entry]:
        """The changelog: releases and "what we changed because of you" posts, newest first (shipped items
        with no version last)."""
        entries = [Entry("release", version, max(c.updated_at for c in cards), tuple(cards))
                   for version, cards in self.changelog() if version]
        entries += [Entry("post", p.beta, p.post.posted_at, p.cards, p) for p in self.posts]
        entries.sort(key=lambda e: e.at, reverse=True)
        rest = [cards for version, cards in self.changelog() if not version]
        if rest:
            entries.append(Entry("release", "", max(c.updated_at for c in rest[0]), tuple(rest[0])))
        return entries

    def card(self, item_id: int) -> Card | None:
        return next((c for c in self.cards if c.id == item_id), None)

    @property
    def shipped(self) -> int:
        return len(self.column(("shipped",)))


OPEN = ("new", "acknowledged", "planned", "in_progress")


def jump_url(guild_id: int, channel_id: int, message_id: int | None) -> str | None:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}" if message_id else None


class PublicPages:
    def __init__(self, db: Database, clock: Clock, *, public_settings: Callable[[int], Any],
                 public_names: Callable[[int, set[int]], Any], names_version: Callable[[int], Any]) -> None:
        self.db = db
        self.clock = clock
        self._settings = public_settings  # guild id → its PublicConfig
        self._public_names = public_names  # (guild id, member ids) → {id: display name} of those who opted in
        self._names_version = names_version
        self._cache: dict[int, tuple[Board, float]] = {}
        self._checked: dict[int, float] = {}  # guild → when its version was last read (time.monotonic)
        self._dirty_until: dict[int, float] = {}
        self._building: dict[int, asyncio.Lock] = {}
        self.hits = 0
        self.builds = 0
        self.checks = 0

    def changed(self, guild_id: int) -> None:
        """Something the pages show changed in this process (called inside the change's transaction): read
        the version on every request for the next ``DIRTY_SECONDS``, so the commit is seen."""
        self._dirty_until[guild_id] = time.monotonic() + DIRTY_SECONDS

    async def on_outbound(self, _conn: Any, event: Any) -> None:
        """Joins, leaves, a closed beta, an erasure: the next requests re-read the version."""
        if event.type.startswith(("beta.", "feedback.")) or event.type == "member.erased":
            self.changed(event.guild_id)

    async def board(self, guild_id: int, name_of: Callable[[int], str | None] = lambda _uid: None) -> Board:
        """The server's board; ``name_of`` gives a member's current display name (the web layer reads it from
        the bot's member cache), else the name Kudos last stored is used."""
        settings = self._settings(guild_id)
        tick = time.monotonic()
        now = self.clock.now().timestamp()
        cached = self._cache.get(guild_id)
        settled = (tick - self._checked.get(guild_id, -RECHECK_SECONDS) < RECHECK_SECONDS
                   and tick >= self._dirty_until.get(guild_id, 0.0))
        if (cached is not None and settled and cached[1] > now
                and cached[0].version[:2] == (tuple(settings.public_types), settings.show_details)):
            self.hits += 1
            return cached[0]
        self.checks += 1
        self._checked[guild_id] = tick
        async with self.db.connect() as conn:
            feedback_version = await items.version(conn, guild_id)
            betas = tuple(await betas_of.public_betas(conn, guild_id))
            posts = tuple(await posts_of.changes_posts(conn, guild_id))
        version: tuple[object, ...] = (tuple(settings.public_types), settings.show_details, *feedback_version,
                                       betas, posts, *await self._names_version(guild_id))
        if cached is not None and cached[0].version == version and cached[1] > now:
            self.hits += 1
            return cached[0]
        # One rebuild per server at a time: the requests that arrive meanwhile wait and share it.
        async with self._building.setdefault(guild_id, asyncio.Lock()):
            cached = self._cache.get(guild_id)
            if cached is not None and cached[0].version == version and cached[1] > now:
                self.hits += 1
                return cached[0]
            board = await self._build(guild_id, settings, version, name_of, betas, posts)
            self._cache[guild_id] = (board, now + TTL_SECONDS)
            self.builds += 1
        return board

    async def _build(self, guild_id: int, settings: Any, version: tuple[object, ...],
                     name_of: Callable[[int], str | None], betas: tuple[PublicBeta, ...],
                     posts: tuple[ChangesPost, ...]) -> Board:
        async with self.db.connect() as conn:
            found = await items.public_items(conn, guild_id, settings.public_types)
            backers = await items.supporters(conn, [i.id for i in found])
            counts = await items.beta_counts(conn, guild_id) if betas else {}
        everyone = {uid for ids in backers.values() for uid in ids}
        stored = await self._public_names(guild_id, everyone)
        names = {uid: name for uid, fallback in stored.items() if (name := name_of(uid) or fallback)}
        beta_names = {b.id: b.name for b in betas}
        cards = tuple(
            Card(id=i.id, type=i.type, title=i.title, details=i.details if settings.show_details else "",
                 status=i.status, version=i.version, votes=i.vote_count, supporters=len(backers.get(i.id, ())),
                 names=tuple(sorted(names[u] for u in backers.get(i.id, ()) if u in names)),
                 thread_url=(f"https://discord.com/channels/{guild_id}/{i.thread_id}" if i.thread_id else None),
                 updated_at=i.updated_at, beta=beta_names.get(i.beta_id) if i.beta_id is not None else None)
            for i in found
        )
        of_beta: dict[int, list[Card]] = {}
        for i, card in zip(found, cards, strict=True):
            if i.beta_id is not None:
                of_beta.setdefault(i.beta_id, []).append(card)
        views = tuple(
            BetaView(beta=b, join_url=jump_url(guild_id, b.channel_id, b.message_id) or "",
                     feedback=counts.get(b.id, (0, 0))[0], shipped=counts.get(b.id, (0, 0))[1],
                     cards=tuple(of_beta.get(b.id, ())))
            for b in betas
        )
        shown_posts = []
        for post in posts:
            view = next((v for v in views if v.beta.id == post.beta_id), None)
            if view is None:  # its beta isn't shown (never announced): neither is the post
                continue
            shipped = tuple(view.shipped_cards)
            shown_posts.append(Post(post=post, beta=view.beta.name,
                                    url=jump_url(guild_id, post.channel_id, post.message_id), cards=shipped,
                                    not_shown=max(view.shipped - len(shipped), 0)))
        return Board(cards=cards, version=version, betas=views, posts=tuple(shown_posts))
