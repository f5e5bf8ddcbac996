""""Is it one of these?": similar open items shown before a report is posted, and what the member picks.

``offer`` looks for open items like the submitted form (:mod:`bot.search`); when there are some, it keeps the
form as a row of ``feedback_drafts`` (one transaction), so the member's text survives a restart or a walk
away. Then either

- ``vote_for`` (the ``Vote for #N`` button): in one transaction a "me too" vote (the member's own report
  aside), a follow, the member as a co-report of that item (``feedback_coreporters``, credited like merged
  duplicates' reporters), and a durable job that adds their text to the item's thread as a comment
  (:class:`CoReportKey`); the draft is closed as ``voted``; or
- ``take`` + ``mark_posted`` (``Post mine anyway``): the form is posted as it would have been, and the draft
  closed as ``posted``.

A closed draft's buttons answer that it was handled; only its author may press them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback import screenshots
from bot.feedback import store as repo
from bot.feedback.models import OPEN_STATUSES, Draft
from bot.feedback.tables import feedback_drafts
from bot.platform.db.locks import lock_for_write
from bot.platform.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.platform.i18n import N_
from bot.platform.jobs.effects import JobKey
from bot.search import engine
from bot.search import index as search_index

if TYPE_CHECKING:
    from bot.feedback.service import FeedbackService

COREPORT_EVENT = "feedback.coreport"
SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class CoReportKey(JobKey):
    """Add a member's text to an item's thread as a co-report: ``feedback.coreport:<draft id>``."""

    kind: ClassVar[str] = COREPORT_EVENT
    draft_id: int


@dataclass(frozen=True, slots=True)
class Offer:
    draft_id: int
    matches: list[engine.Match]


@dataclass(frozen=True, slots=True)
class SavedDraft:
    id: int
    guild_id: int
    user_id: int
    beta_id: int | None
    draft: Draft
    suggested: tuple[int, ...]
    state: str
    result_id: int | None


@dataclass(frozen=True, slots=True)
class CoReport:
    item_id: int
    vote: str  # counted, already, own
    votes: int
    following: bool


def _saved(row: Any) -> SavedDraft:
    return SavedDraft(int(row.id), int(row.guild_id), int(row.user_id), row.beta_id,
                      Draft(row.type, row.title, row.details, row.steps, row.version,
                            screenshots.from_json(row.screenshots)),
                      tuple(int(i) for i in row.suggested.split(",") if i), row.state, row.result_id)


class Suggestions:
    def __init__(self, service: FeedbackService) -> None:
        self.service = service

    async def similar(self, conn: AsyncConnection, guild_id: int, title: str, body: str, *,
                      statuses: tuple[str, ...] = OPEN_STATUSES, exclude: tuple[int, ...] = (),
                      limit: int = SUGGESTIONS, min_score: float | None = None,
                      exclude_author: int | None = None) -> list[engine.Match]:
        return await engine.similar(conn, guild_id=guild_id, kind="feedback", title=title, body=body,
                                    statuses=statuses, exclude=exclude, limit=limit, min_score=min_score,
                                    exclude_author=exclude_author,
                                    language=self.service.policy_for(guild_id).search_language)

    async def offer(self, guild_id: int, user_id: int, draft: Draft, *, beta_id: int | None) -> Offer | None:
        """Open items like ``draft`` (None: nothing alike, or suggestions are off): the draft is kept. The
        intake rules (reports per day, the same title twice) refuse first, as they would on posting."""
        if not self.service.policy_for(guild_id).suggest_similar:
            return None
        now = self.service.clock.now()
        async with self.service.db.begin() as conn:
            # The member's own reports are not offered: the same-title check and their thread cover those.
            await self.service._check_intake(conn, guild_id, user_id, draft.title)
            matches = await self.similar(conn, guild_id, draft.title, draft.details, exclude_author=user_id)
            if not matches:
                return None
            result = await conn.execute(insert(feedback_drafts).values(
                guild_id=guild_id, user_id=user_id, beta_id=beta_id, type=draft.type, title=draft.title,
                details=draft.details, steps=draft.steps, version=draft.version,
                screenshots=screenshots.to_json(draft.screenshots),
                suggested=",".join(str(m.ref_id) for m in matches), state="open", created_at=now,
                updated_at=now).returning(feedback_drafts.c.id))
            return Offer(int(result.scalar_one()), matches)

    async def _draft(self, conn: AsyncConnection, guild_id: int, draft_id: int, user_id: int) -> SavedDraft:
        row = (await conn.execute(select(feedback_drafts).where(
            feedback_drafts.c.id == draft_id, feedback_drafts.c.guild_id == guild_id))).first()
        if row is None:
            raise NotFound(N_("That report is gone (it may have been erased). Open the form again with /feedback new."))
        saved = _saved(row)
        if saved.user_id != user_id:
            raise NotAllowed(N_("These buttons belong to the member who wrote that report."))
        if saved.state != "open":
            where = f" (#{saved.result_id})" if saved.result_id else ""
            if saved.state == "posted":
                raise Conflict(N_("You already posted it{where}."), where=where)
            raise Conflict(N_("You already voted for it{where}."), where=where)
        return saved

    async def get(self, guild_id: int, draft_id: int) -> SavedDraft:
        async with self.service.db.connect() as conn:
            row = (await conn.execute(select(feedback_drafts).where(
                feedback_drafts.c.id == draft_id, feedback_drafts.c.guild_id == guild_id))).first()
        if row is None:
            raise NotFound(N_("There is no feedback draft {draft_id}."), draft_id=draft_id)
        return _saved(row)

    async def take(self, guild_id: int, draft_id: int, user_id: int) -> SavedDraft:
        """``Post mine anyway``: the kept form (still open; :meth:`mark_posted` closes it once posted)."""
        async with self.service.db.connect() as conn:
            return await self._draft(conn, guild_id, draft_id, user_id)

    async def mark_posted(self, guild_id: int, draft_id: int, item_id: int) -> None:
        async with self.service.db.begin() as conn:
            await conn.execute(update(feedback_drafts).where(
                feedback_drafts.c.id == draft_id, feedback_drafts.c.guild_id == guild_id).values(
                state="posted", result_id=item_id, updated_at=self.service.clock.now()))

    async def vote_for(self, guild_id: int, draft_id: int, item_id: int, user_id: int) -> CoReport:
        """``Vote for #N`` (see the module docstring), one transaction."""
        now = self.service.clock.now()
        async with self.service.db.begin() as conn:
            await lock_for_write(conn, guild_id, [user_id])
            saved = await self._draft(conn, guild_id, draft_id, user_id)
            if item_id not in saved.suggested:
                raise InvalidInput(N_("Feedback #{item_id} was not one of the suggestions."),
                                   item_id=item_id)
            item = await repo.get(conn, guild_id, item_id, for_update=True)
            if item is None or item.thread_id is None:
                raise NotFound(N_("Feedback #{item_id} is gone. Post yours with \"Post mine anyway\"."),
                               item_id=item_id)
            if item.status not in OPEN_STATUSES:
                raise Conflict(N_("Feedback #{item_id} is no longer open ({value}): post yours with \"Post "
                                  "mine anyway\"."),
                               item_id=item_id, value=item.status.replace('_', ' '))
            own = user_id == item.reporter_id
            if own and not self.service.policy_for(guild_id).self_votes_count:
                vote = "own"
            else:
                vote = "counted" if await repo.add_vote(conn, item.id, user_id, now) else "already"
            if not own:  # the reporter hears about every update already
                await repo.add_follower(conn, item.id, user_id, now)
                await repo.add_coreporter(conn, item.id, user_id, None, now)
            refreshed = await repo.get(conn, guild_id, item_id)
            assert refreshed is not None
            self.service.changed.send(guild_id)
            await search_index.set_state(conn, "feedback", item.id, votes=refreshed.vote_count, now=now)
            if vote == "counted":
                await self.service.queue_embed(conn, guild_id, item.id)
            await conn.execute(update(feedback_drafts).where(feedback_drafts.c.id == draft_id).values(
                state="voted", result_id=item.id, updated_at=now))
            if self.service._schedule_job is not None:
                await self.service._schedule_job(conn, CoReportKey(draft_id), {
                    "guild_id": guild_id, "feedback_id": item.id, "draft_id": draft_id, "user_id": user_id})
            return CoReport(item.id, vote, refreshed.vote_count, True)


__all__ = ["COREPORT_EVENT", "CoReport", "CoReportKey", "Offer", "SavedDraft", "Suggestions"]
