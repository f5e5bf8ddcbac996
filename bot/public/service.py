"""What the public pages show, from a cache refreshed on change.

Each page is cached per server until the data under it changes: every request first reads a cheap version of
the server's feedback (item count, latest update, total votes, staff marks, erasures) and of the name opt-ins,
one indexed aggregate each, so a status change, a vote, a staff mark, an erasure or an opt-out shows on the
next request from any process (several bot processes on PostgreSQL see the same versions). A page also expires
after ``TTL_SECONDS`` whatever happens (a member's display name changing is not in the version).

Privacy: only public items (:mod:`bot.feedback.public`); supporters are counted, and named only when they
opted in (``/mydata public-name on``) and were not erased; details only when ``show_details`` is on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.feedback import public as items
from bot.platform.clock import Clock
from bot.platform.db import Database

TTL_SECONDS = 60.0
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

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True, slots=True)
class Board:
    """Everything the pages of one server show, at one version."""

    cards: tuple[Card, ...]
    version: tuple[object, ...] = field(default=())

    def column(self, statuses: tuple[str, ...]) -> list[Card]:
        return [c for c in self.cards if c.status in statuses]

    def roadmap(self) -> list[tuple[str, list[Card]]]:
        return [(title, self.column(statuses)) for title, statuses in ROADMAP_COLUMNS]

    def requests(self, type_: str | None = None) -> list[Card]:
        """The demand board: open items, most votes first."""
        return [c for c in self.cards if c.status in ("new", "acknowledged", "planned", "in_progress")
                and (type_ is None or c.type == type_)]

    def changelog(self) -> list[tuple[str, list[Card]]]:
        """Shipped items by version (newest release first; items with no version last)."""
        shipped = sorted(self.column(("shipped",)), key=lambda c: c.updated_at, reverse=True)
        groups: dict[str, list[Card]] = {}
        for card in shipped:
            groups.setdefault(card.version or "", []).append(card)
        named = sorted(((v, cs) for v, cs in groups.items() if v), key=lambda p: max(c.updated_at for c in p[1]),
                       reverse=True)
        return named + ([("", groups[""])] if "" in groups else [])

    def card(self, item_id: int) -> Card | None:
        return next((c for c in self.cards if c.id == item_id), None)

    @property
    def shipped(self) -> int:
        return len(self.column(("shipped",)))


class PublicPages:
    def __init__(self, db: Database, clock: Clock, *, public_settings: Callable[[int], Any],
                 public_names: Callable[[int, set[int]], Any], names_version: Callable[[int], Any]) -> None:
        self.db = db
        self.clock = clock
        self._settings = public_settings  # guild id → its PublicConfig
        self._public_names = public_names  # (guild id, member ids) → {id: display name} of those who opted in
        self._names_version = names_version
        self._cache: dict[int, tuple[Board, float]] = {}
        self.hits = 0
        self.builds = 0

    async def board(self, guild_id: int, name_of: Callable[[int], str | None] = lambda _uid: None) -> Board:
        """The server's board; ``name_of`` gives a member's current display name (the web layer reads it from
        the bot's member cache), else the name Kudos last stored is used."""
        settings = self._settings(guild_id)
        async with self.db.connect() as conn:
            version: tuple[object, ...] = (*await items.version(conn, guild_id), tuple(settings.public_types),
                                           settings.show_details)
        version += tuple(await self._names_version(guild_id))
        now = self.clock.now().timestamp()
        cached = self._cache.get(guild_id)
        if cached is not None and cached[0].version == version and cached[1] > now:
            self.hits += 1
            return cached[0]
        board = await self._build(guild_id, settings, version, name_of)
        self._cache[guild_id] = (board, now + TTL_SECONDS)
        self.builds += 1
        return board

    async def _build(self, guild_id: int, settings: Any, version: tuple[object, ...],
                     name_of: Callable[[int], str | None]) -> Board:
        async with self.db.connect() as conn:
            found = await items.public_items(conn, guild_id, settings.public_types)
            backers = await items.supporters(conn, [i.id for i in found])
        everyone = {uid for ids in backers.values() for uid in ids}
        stored = await self._public_names(guild_id, everyone)
        names = {uid: name for uid, fallback in stored.items() if (name := name_of(uid) or fallback)}
        cards = tuple(
            Card(id=i.id, type=i.type, title=i.title, details=i.details if settings.show_details else "",
                 status=i.status, version=i.version, votes=i.vote_count, supporters=len(backers.get(i.id, ())),
                 names=tuple(sorted(names[u] for u in backers.get(i.id, ()) if u in names)),
                 thread_url=(f"https://discord.com/channels/{guild_id}/{i.thread_id}" if i.thread_id else None),
                 updated_at=i.updated_at)
            for i in found
        )
        return Board(cards=cards, version=version)
