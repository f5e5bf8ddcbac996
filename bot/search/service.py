"""Help posts and similar items, for the Discord side (``cogs/search``) and the dashboard.

- ``help_post_opened``: a new help post is indexed (``open``) and, when solved posts like it exist, a durable
  job (:class:`HelpSuggestKey`) that posts "Maybe already answered:" in it — one transaction.
- ``solved_it``: the asker says an older solved post answered theirs ("This solved it"). In one transaction:
  the record (``search_helped``, one per new post, so the answerer is credited once), the new post marked
  solved in the index with the original's answer, and the original answerer's ``curation`` credit ("your
  answer helped again") — never for the asker's own answer, and at most ``search.helped_per_day`` per answerer
  and UTC day. ``apply`` (tag the post Solved) runs inside the transaction, as ``accept_solution`` does: a
  refusal from Discord writes nothing.
- ``duplicates``: likely duplicates of a feedback item, with their scores, for staff.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger import CreditResult, LedgerService
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.db.locks import lock_for_write
from bot.platform.db.upsert import insert_for
from bot.platform.errors import Conflict, NotAllowed, NotFound
from bot.platform.i18n import N_
from bot.platform.jobs.effects import JobKey
from bot.search import engine, index
from bot.search.tables import search_docs, search_helped

HELP_SUGGEST_EVENT = "search.help_suggest"
SUGGESTIONS = 3
FEEDBACK_OPEN = ("new", "acknowledged", "planned", "in_progress")

ScheduleJob = Callable[[AsyncConnection, JobKey, dict[str, Any]], Awaitable[None]]
Apply = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class HelpSuggestKey(JobKey):
    """Post "Maybe already answered:" in a new help post: ``search.help_suggest:<thread id>``."""

    kind: ClassVar[str] = HELP_SUGGEST_EVENT
    thread_id: int


@dataclass(frozen=True, slots=True)
class SearchPolicy:
    language: str = "english"
    help_suggestions: bool = True
    helped_per_day: int = 3

    @classmethod
    def from_config(cls, guild_config: Any) -> SearchPolicy:
        s = guild_config.search
        return cls(language=s.language, help_suggestions=s.help_suggestions, helped_per_day=s.helped_per_day)


@dataclass(frozen=True, slots=True)
class Helped:
    original_thread_id: int
    answerer_id: int | None
    credit: CreditResult | None
    message: str  # why there is no credit, when there is none


def first_line(text: str, limit: int = 150) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


class SearchService:
    def __init__(self, db: Database, clock: Clock, ledger: LedgerService, policy_for: Callable[[int], SearchPolicy],
                 schedule_job: ScheduleJob) -> None:
        self.db = db
        self.clock = clock
        self.ledger = ledger
        self.policy_for = policy_for
        self._schedule_job = schedule_job

    async def help_post_opened(self, guild_id: int, thread_id: int, *, asker_id: int, title: str,
                               body: str) -> list[engine.Match]:
        """Index a new help post; with similar solved posts, write the suggestion job (see the module doc)."""
        policy = self.policy_for(guild_id)
        now = self.clock.now()
        async with self.db.begin() as conn:
            existing = (await conn.execute(select(search_docs.c.id).where(
                search_docs.c.kind == "help", search_docs.c.ref_id == thread_id))).first()
            if existing is not None:  # a second thread_create (a resume) changes nothing
                return []
            await index.put(conn, guild_id=guild_id, kind="help", ref_id=thread_id, title=title, body=body,
                            status="open", thread_id=thread_id, author_id=asker_id, now=now,
                            language=policy.language)
            if not policy.help_suggestions:
                return []
            matches = await engine.similar(conn, guild_id=guild_id, kind="help", title=title, body=body,
                                           statuses=("solved",), exclude=(thread_id,), limit=SUGGESTIONS,
                                           language=policy.language)
            if matches:
                await self._schedule_job(conn, HelpSuggestKey(thread_id), {
                    "guild_id": guild_id, "thread_id": thread_id,
                    "matches": [{"thread_id": m.ref_id, "title": m.title, "answer": first_line(m.answer),
                                 "answer_message_id": m.answer_message_id, "score": m.score} for m in matches],
                })
            return matches

    async def solved_it(self, guild_id: int, thread_id: int, original_thread_id: int, *, actor_id: int,
                        title: str, apply: Apply) -> Helped:
        """"This solved it" (see the module docstring)."""
        policy = self.policy_for(guild_id)
        now = self.clock.now()
        async with self.db.begin() as conn:
            docs = {r.ref_id: r for r in await conn.execute(select(search_docs).where(
                search_docs.c.kind == "help", search_docs.c.ref_id.in_([thread_id, original_thread_id]),
                search_docs.c.guild_id == guild_id))}
            post, original = docs.get(thread_id), docs.get(original_thread_id)
            if post is None or original is None or original.status != "solved":
                raise NotFound(N_("That suggestion is no longer available."))
            if post.author_id != actor_id:
                raise NotAllowed(N_("Only the member who asked can say a suggestion solved it."))
            answerer = int(original.answerer_id) if original.answerer_id is not None else None
            await lock_for_write(conn, guild_id, [u for u in (actor_id, answerer) if u is not None])
            done = (await conn.execute(select(search_helped.c.original_thread_id).where(
                search_helped.c.thread_id == thread_id))).first()
            if done is not None:
                raise Conflict(N_("You already marked <#{value}> as what solved this post."),
                               value=int(done[0]))
            credit: CreditResult | None = None
            message = ""
            if answerer is None:
                message = "The earlier answer's author is unknown, so no one is credited."
            elif answerer == actor_id:
                message = "That answer is your own, so it earns no credit."
            else:
                today = now.replace(hour=0, minute=0, second=0, microsecond=0)
                given = int((await conn.execute(select(func.count()).select_from(search_helped).where(
                    search_helped.c.guild_id == guild_id, search_helped.c.answerer_id == answerer,
                    search_helped.c.credited == 1, search_helped.c.created_at >= today))).scalar_one())
                if policy.helped_per_day and given < policy.helped_per_day:
                    credit = await self.ledger.credit(
                        guild_id, answerer, "curation", source_key=f"helped:{thread_id}", actor_id=actor_id,
                        reason=f"your answer helped again: {title}"[:300], thread_id=original_thread_id,
                        message_id=original.answer_message_id, strict=False, conn=conn)
                    if credit.status == "refused":
                        message = f"No credit this time: {credit.message}"
                else:
                    message = "Its author has had today's \"helped again\" credits already."
            credited = credit is not None and credit.status not in ("refused", "duplicate")
            await conn.execute(insert_for(conn, search_helped).values(
                thread_id=thread_id, guild_id=guild_id, original_thread_id=original_thread_id, asker_id=actor_id,
                answerer_id=answerer, credited=1 if credited else 0, created_at=now))
            await index.set_answer(conn, "help", thread_id, answer=original.answer, answerer_id=answerer,
                                   message_id=original.answer_message_id, status="solved", now=now)
            await apply()
            return Helped(original_thread_id, answerer, credit if credited else None, message)

    async def helped_of(self, thread_id: int) -> int | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(search_helped.c.original_thread_id).where(
                search_helped.c.thread_id == thread_id))).first()
        return int(row[0]) if row is not None else None

    async def duplicates(self, guild_id: int, item_id: int, title: str, body: str, *,
                         limit: int = 5) -> list[engine.Match]:
        """Likely duplicates of feedback ``item_id`` among public items (open or shipped), with scores."""
        policy = self.policy_for(guild_id)
        async with self.db.connect() as conn:
            return await engine.similar(conn, guild_id=guild_id, kind="feedback", title=title, body=body,
                                        statuses=(*FEEDBACK_OPEN, "shipped"), exclude=(item_id,), limit=limit,
                                        language=policy.language)



__all__ = ["HELP_SUGGEST_EVENT", "Helped", "HelpSuggestKey", "SearchPolicy", "SearchService", "first_line"]
