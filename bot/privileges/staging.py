"""First-post mentoring (a "staging ground", off by default: ``[guilds.<id>.privileges] staging_ground``).

A new member's first help post is *staged*: locked for ``staging_minutes`` and offered to members with the
``review_first_posts`` privilege (and staff) in ``staging_channel``. A reviewer passes it through (it opens to
everyone at once) or suggests an edit through a form: a better title and a note, sent to the asker by DM; the
asker accepts it (the post is renamed and opens) or ignores it (it opens when the time is up). Reviewers get
curation credit once the post is solved (``answer_accepted``, in the accepting transaction).

Every Discord effect is a durable job written with its cause (:data:`OPEN_EVENT`: lock the post, say why, post
the review card; :data:`RELEASE_EVENT`: unlock it and say so; :data:`SUGGEST_EVENT`: DM the suggestion).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.platform.events import DomainEvent
from bot.platform.i18n import N_
from bot.privileges import staging_store as repo

OPEN_EVENT = "privileges.staging_open"
RELEASE_EVENT = "privileges.staging_release"
SUGGEST_EVENT = "privileges.staging_suggest"
MAX_TITLE, MAX_NOTE = 100, 500

Schedule = Callable[..., Awaitable[Any]]


class StagingGround:
    def __init__(self, db: Database, clock: Clock, config_for: Callable[[int], Any], ledger: Any,
                 schedule: Schedule) -> None:
        self.db = db
        self.clock = clock
        self.config_for = config_for  # guild id -> PrivilegesConfig
        self.ledger = ledger
        self.schedule = schedule

    async def post_opened(self, guild_id: int, thread_id: int, author_id: int, joined_at: datetime | None) -> bool:
        """A help post was opened: stage it when it is a new member's first (True if staged)."""
        cfg = self.config_for(guild_id)
        if not cfg.enabled or not cfg.staging_ground:
            return False
        now = self.clock.now()
        days = cfg.staging_new_member_days
        if days and (joined_at is None or joined_at < now - timedelta(days=days)):
            return False
        release = now + timedelta(minutes=cfg.staging_minutes)
        async with self.db.begin() as conn:
            if await repo.has_post(conn, guild_id, author_id) or await repo.get(conn, thread_id) is not None:
                return False
            await repo.add(conn, thread_id=thread_id, guild_id=guild_id, author_id=author_id, state="review",
                           created_at=now, release_at=release)
            payload = {"guild_id": guild_id, "thread_id": thread_id, "author_id": author_id}
            await self.schedule(OPEN_EVENT, payload, dedupe_key=f"{OPEN_EVENT}:{thread_id}", conn=conn)
            await self.schedule(RELEASE_EVENT, payload, at=release, dedupe_key=f"{RELEASE_EVENT}:{thread_id}",
                                conn=conn)
        return True

    async def get(self, thread_id: int) -> repo.Staged | None:
        async with self.db.connect() as conn:
            return await repo.get(conn, thread_id)

    async def _in_review(self, conn: AsyncConnection, guild_id: int, thread_id: int) -> repo.Staged:
        staged = await repo.get(conn, thread_id)
        if staged is None or staged.guild_id != guild_id:
            raise NotFound(N_("That post is not in review."))
        if staged.state != "review":
            raise Conflict(N_("That post is already open to everyone."))
        return staged

    async def pass_through(self, guild_id: int, thread_id: int, reviewer_id: int) -> None:
        """A reviewer lets the post through: it opens to everyone now."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            staged = await self._in_review(conn, guild_id, thread_id)
            if staged.author_id == reviewer_id:
                raise NotAllowed(N_("You can't review your own post."))
            await repo.review(conn, guild_id=guild_id, thread_id=thread_id, reviewer_id=reviewer_id, action="pass",
                              title="", note="", accepted=False, created_at=now)
            await self.schedule(RELEASE_EVENT, {"guild_id": guild_id, "thread_id": thread_id,
                                                "author_id": staged.author_id, "by": reviewer_id},
                                dedupe_key=f"{RELEASE_EVENT}:{thread_id}:pass", conn=conn)

    async def suggest(self, guild_id: int, thread_id: int, reviewer_id: int, title: str, note: str) -> None:
        """A reviewer suggests an edit: a new title and a note, DMed to the asker (a job)."""
        title, note = title.strip(), note.strip()
        if not title or len(title) > MAX_TITLE:
            raise InvalidInput(N_("Suggest a title of 1 to {max_title} characters."),
                               max_title=MAX_TITLE)
        if len(note) > MAX_NOTE:
            raise InvalidInput(N_("Keep the note under {max_note} characters."), max_note=MAX_NOTE)
        now = self.clock.now()
        async with self.db.begin() as conn:
            staged = await self._in_review(conn, guild_id, thread_id)
            if staged.author_id == reviewer_id:
                raise NotAllowed(N_("You can't review your own post."))
            await repo.review(conn, guild_id=guild_id, thread_id=thread_id, reviewer_id=reviewer_id,
                              action="suggest", title=title, note=note, accepted=False, created_at=now)
            await self.schedule(SUGGEST_EVENT, {"guild_id": guild_id, "thread_id": thread_id,
                                                "author_id": staged.author_id, "reviewer_id": reviewer_id},
                                dedupe_key=f"{SUGGEST_EVENT}:{thread_id}:{reviewer_id}:{now.timestamp():.0f}",
                                conn=conn)

    async def suggestion(self, thread_id: int, reviewer_id: int) -> tuple[str, str] | None:
        async with self.db.connect() as conn:
            return await repo.suggestion(conn, thread_id, reviewer_id)

    async def accept(self, guild_id: int, thread_id: int, reviewer_id: int, asker_id: int,
                     rename: Callable[[str], Awaitable[None]]) -> str:
        """The asker accepts a suggestion: ``rename`` the post (inside the transaction: a refusal records
        nothing) and open it. Returns the new title."""
        async with self.db.begin() as conn:
            staged = await repo.get(conn, thread_id)
            if staged is None or staged.guild_id != guild_id:
                raise NotFound(N_("That post is gone."))
            if staged.author_id != asker_id:
                raise NotAllowed(N_("Only the person who asked can accept an edit of their post."))
            found = await repo.suggestion(conn, thread_id, reviewer_id)
            if found is None:
                raise NotFound(N_("That suggestion is gone."))
            await rename(found[0])
            await repo.accept(conn, thread_id, reviewer_id)
            if staged.state == "review":
                await self.schedule(RELEASE_EVENT, {"guild_id": guild_id, "thread_id": thread_id,
                                                    "author_id": asker_id, "edited": True},
                                    dedupe_key=f"{RELEASE_EVENT}:{thread_id}:edit", conn=conn)
            return found[0]

    async def released(self, thread_id: int) -> bool:
        """Mark the post open (the release job's bookkeeping); False when it already was."""
        async with self.db.begin() as conn:
            return await repo.set_state(conn, thread_id, "released", only_from="review")

    async def on_event(self, conn: AsyncConnection, event: DomainEvent) -> None:
        """A staged post was solved: curation credit for each of its reviewers (in the accepting transaction)."""
        if event.name != "answer_accepted":
            return
        thread_id = int(event.data.get("thread_id") or 0)
        staged = await repo.get(conn, thread_id)
        if staged is None:
            return
        for reviewer in await repo.reviewers(conn, thread_id):
            await self.ledger.credit(event.guild_id, reviewer, "curation", source_key=f"staging:{thread_id}:{reviewer}",
                                     actor_id=None, reason="reviewed a first post that was solved",
                                     thread_id=thread_id, strict=False, conn=conn)
