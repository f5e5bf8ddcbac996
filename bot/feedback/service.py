"""Feedback threads that close the loop: intake, review, status lifecycle, votes, followers, duplicates.

Flow of a report
----------------
``create_draft`` records a validated report without a thread (``pending_review`` when the guild holds
reports for review, else ``new``; a held report's card in the review channel is a job written with it,
:class:`~bot.feedback.jobs.ReviewPostKey`); the cog then opens the forum post and calls ``publish``, which attaches
the thread and — in the same transaction — credits the reporter (kind ``feedback_given``, source
``feedback:<id>``, so a retry never pays twice) and emits ``first_feedback`` for a member's first public
report. If the post cannot be opened, ``discard`` removes the draft: nothing is half-written. A post
written directly in the forum goes through ``record_post`` (one transaction, idempotent on the thread).

Status changes (``change_status``) check the allowed transitions, credit the reporter and co-reporters
(kind ``feedback_acknowledged``, source ``feedback:<id>:heard`` — ``…:co:<user>`` for co-reporters — once
when first acknowledged / planned / in progress; kind ``feedback_shipped``, source ``feedback:<id>:shipped``,
when shipped), emit ``feedback_shipped``, merge duplicates, and write the change's Discord side effects as
durable jobs (:mod:`bot.feedback.jobs`: one DM per member to tell, one for the thread's status line) — all
in one transaction, so the effects happen exactly for the changes that committed, each at most once per
change. Items without a thread (drafts) are invisible to every query.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback import store as repo
from bot.feedback.curation import Curation
from bot.feedback.following import Following
from bot.feedback.jobs import (
    DmKey,
    ItemEmbed,
    ItemEmbedRun,
    MergeNoteKey,
    OpenPostKey,
    PostFailedKey,
    PostFailedStaffKey,
    ReviewOutcomeKey,
    ReviewPostKey,
    StatusLineKey,
)
from bot.feedback.lookups import BetaLookups, DmsMemory
from bot.feedback.models import (
    MAX_NOTE,
    MAX_VERSION,
    PUBLIC_STATUSES,
    Draft,
    FeedbackItem,
    FeedbackPolicy,
    StatusChange,
    VoteResult,
    check_transition,
    label,
    same_title,
)
from bot.feedback.reads import Reads
from bot.ledger import FEEDBACK_KINDS, LedgerService
from bot.platform import audit
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.db.locks import lock_for_write
from bot.platform.errors import Conflict, InvalidInput, LimitReached, NotFound
from bot.platform.events import DomainEvent, Outbound, Signal
from bot.platform.i18n import N_
from bot.platform.jobs.effects import JobKey
from bot.platform.jobs.store import pending_in_series
from bot.platform.text import check_text, is_invisible
from bot.search import index as search_index

Emit = Callable[[AsyncConnection, Any], Awaitable[None]]
# Write a durable job inside the caller's transaction; its event is ``key.kind``, its dedupe key ``key``.
ScheduleJob = Callable[[AsyncConnection, JobKey, dict[str, Any]], Awaitable[None]]

# The one-timer-per-change notice of earlier versions: still handled (fanned out into DM jobs) for timers
# written before the upgrade, never written any more.
NOTIFY_EVENT = "feedback.notify"
# The ledger kinds of the three stages (see bot.ledger.FEEDBACK_KINDS).
GIVEN, ACKNOWLEDGED, SHIPPED = FEEDBACK_KINDS
HEARD = ("acknowledged", "planned", "in_progress")
MAX_CHAIN = 50


def item_document(item: FeedbackItem) -> dict[str, Any]:
    """The item as outbound events (webhooks) show it: ids as strings, no thread contents beyond the title."""
    return {
        "id": item.id, "type": item.type, "title": item.title, "status": item.status,
        "reporter_id": str(item.reporter_id), "vote_count": item.vote_count, "version": item.version,
        "beta_id": item.beta_id, "duplicate_of": item.duplicate_of,
        "thread_id": str(item.thread_id) if item.thread_id is not None else None,
    }


def _key(item: FeedbackItem, stage: str, user_id: int) -> str:
    """Ledger source key of a stage credit: ``feedback:<id>:<stage>``, plus ``:co:<user>`` for a co-reporter."""
    base = f"feedback:{item.id}:{stage}"
    return base if user_id == item.reporter_id else f"{base}:co:{user_id}"


class FeedbackService(Reads, BetaLookups, DmsMemory, Following):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        ledger: LedgerService,
        policy_for: Callable[[int], FeedbackPolicy],
        *,
        emit: Emit | None = None,
        schedule_job: ScheduleJob | None = None,
        outbound: Emit | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ledger = ledger
        self.policy_for = policy_for
        self._emit = emit
        self._schedule_job = schedule_job
        self._outbound = outbound  # Outbound events (webhooks), in the change's transaction
        # Sent (with the guild id) by every change the public pages show: a new item, a status, a vote, a merge,
        # a staff mark, an approval from the review queue. Receivers must not block (bot.public listens).
        self.changed: Signal[int] = Signal("feedback changed")
        # "Is it one of these?" (bot.feedback.suggest): imported here, it imports this module for typing only.
        from bot.feedback.screenshots import Screenshots
        from bot.feedback.suggest import Suggestions

        self.suggestions = Suggestions(self)
        # Retyping and merge proposals by privilege holders (bot.feedback.curation).
        self.curation = Curation(self)
        self.screenshots = Screenshots(self)

    # ------------------------------------------------------------------ helpers

    @asynccontextmanager
    async def _write(self, guild_id: int) -> AsyncIterator[AsyncConnection]:
        """A write transaction; on SQLite it takes the write lock before the first read."""
        async with self.db.begin() as conn:
            await lock_for_write(conn, guild_id, [])
            yield conn

    async def _event(self, conn: AsyncConnection, guild_id: int, user_id: int, name: str, data: dict[str, Any]) -> None:
        if self._emit is None:
            return

        await self._emit(conn, DomainEvent(guild_id, user_id, name, self.clock.now(), data))

    async def _out(self, conn: AsyncConnection, item: FeedbackItem, type_: str, key: str, data: dict[str, Any],
                   *, member_id: int | None = None) -> None:
        """An outbound event (webhooks) about ``item``, in the caller's transaction."""
        self.changed.send(item.guild_id)
        if self._outbound is None:
            return
        await self._outbound(conn, Outbound(item.guild_id, type_, key, self.clock.now(),
                                        {"feedback": item_document(item), **data},
                                        member_id=item.reporter_id if member_id is None else member_id))

    async def _effects(self, conn: AsyncConnection, change_id: int, notice: dict[str, Any], recipients: Sequence[int],
                       *, thread: bool) -> None:
        """The change's side effects as jobs in its transaction: a DM per recipient, and (``thread``) the
        thread's status line. ``notice``: what the DM says (guild, item, event, status, note …)."""
        if self._schedule_job is None:
            return
        base = {**notice, "change_id": change_id}
        for user_id in dict.fromkeys(recipients):
            await self._schedule_job(conn, DmKey(change_id, user_id), {**base, "user_id": user_id})
        if thread:
            await self._schedule_job(conn, StatusLineKey(int(notice["feedback_id"]), change_id), base)
        if notice.get("target_id"):
            await self._schedule_job(conn, MergeNoteKey(int(notice["target_id"]), change_id), base)

    async def _get(self, conn: AsyncConnection, guild_id: int, item_id: int, *, for_update: bool = False) -> FeedbackItem:
        item = await repo.get(conn, guild_id, item_id, for_update=for_update)
        if item is None:
            raise NotFound(N_("There is no feedback #{item_id} in this server. Check the number in the "
                              "post's embed."),
                           item_id=item_id)
        return item

    async def _index(self, conn: AsyncConnection, item: FeedbackItem) -> None:
        """Keep the item's search row (bot.search) in step, in the caller's transaction."""
        await search_index.put(conn, guild_id=item.guild_id, kind="feedback", ref_id=item.id, title=item.title,
                               body=item.details, status=item.status, votes=item.vote_count,
                               thread_id=item.thread_id, author_id=item.reporter_id, now=self.clock.now(),
                               language=self.policy_for(item.guild_id).search_language)

    async def _public(self, conn: AsyncConnection, guild_id: int, item_id: int, *, for_update: bool = False) -> FeedbackItem:
        item = await self._get(conn, guild_id, item_id, for_update=for_update)
        if item.thread_id is None or item.status in ("pending_review", "rejected"):
            raise NotFound(N_("Feedback #{item_id} is not public (it is waiting for review or was rejected)."),
                           item_id=item_id)
        return item

    async def recipients(self, conn: AsyncConnection, item: FeedbackItem, *, exclude: Sequence[int] = ()) -> list[int]:
        """Reporter, co-reporters, voters and followers, each once, in that order, minus ``exclude``."""
        everyone = [item.reporter_id, *await repo.coreporters(conn, item.id), *await repo.voters(conn, item.id),
                    *await repo.followers(conn, item.id)]
        skip = set(exclude)
        return [u for u in dict.fromkeys(everyone) if u not in skip]

    # ------------------------------------------------------------------ intake

    async def _check_intake(self, conn: AsyncConnection, guild_id: int, reporter_id: int, title: str | None) -> None:
        """Refuse a report the member may not open: over ``reports_per_day`` today (UTC), or (``title``) one
        with the title of their report of the last 24 hours, with a link to that one."""
        now = self.clock.now()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        recent = await repo.reports_since(conn, guild_id, reporter_id, min(today, now - timedelta(days=1)))
        if title is not None:
            key = same_title(title)
            for earlier in recent:
                if earlier.status == "rejected" or same_title(earlier.title) != key:
                    continue
                where = (f"<#{earlier.thread_id}>" if earlier.thread_id is not None
                         else "it is waiting for a review by the team")
                raise Conflict(N_("You reported this in the last day: feedback #{earlier_id} has the same "
                                  "title ({where}). Add to it in its thread, or give this one a title of its "
                                  "own."),
                               earlier_id=earlier.id, where=where)
        limit = self.policy_for(guild_id).reports_per_day
        if limit and sum(r.created_at >= today for r in recent) >= limit:
            raise LimitReached(N_("You've opened {limit} reports today, the most one member can in a day. "
                                  "You can open more tomorrow (the day turns at 00:00 UTC); until then, add "
                                  "to an existing report in its thread or with its \"Me too\" button."),
                               limit=limit)

    async def check_can_report(self, guild_id: int, reporter_id: int) -> None:
        """Raise :class:`LimitReached` when the member has opened ``reports_per_day`` reports today (checked
        before the form opens; :meth:`create_draft` checks again)."""
        async with self.db.connect() as conn:
            await self._check_intake(conn, guild_id, reporter_id, None)

    async def create_draft(self, guild_id: int, reporter_id: int, draft: Draft, *, beta_id: int | None = None,
                           review: bool | None = None) -> FeedbackItem:
        """Record a report that has no thread yet (see the module docstring). Refused over the member's daily
        limit of reports, or with the title of one of theirs of the last day (:meth:`_check_intake`)."""
        if review is None:
            review = self.policy_for(guild_id).review_queue
        now = self.clock.now()
        async with self._write(guild_id) as conn:
            await lock_for_write(conn, guild_id, [reporter_id])  # the member's reports, one at a time
            await self._check_intake(conn, guild_id, reporter_id, draft.title)
            item_id = await repo.create(
                conn, guild_id=guild_id, beta_id=beta_id, reporter_id=reporter_id, type=draft.type,
                title=draft.title, details=draft.details, steps=draft.steps, version=draft.version,
                status="pending_review" if review else "new", created_at=now, updated_at=now,
            )
            if review and self._schedule_job is not None:  # its card in the review channel: a job, with it
                await self._schedule_job(conn, ReviewPostKey(item_id), {"guild_id": guild_id, "feedback_id": item_id})
            elif self._schedule_job is not None:  # its forum post: a job, with it (cogs/feedback/posting.py)
                await self._schedule_job(conn, OpenPostKey(item_id), {"guild_id": guild_id, "feedback_id": item_id})
            await repo.add_screenshots(conn, item_id, draft.screenshots)
            return await self._get(conn, guild_id, item_id)

    async def post_failed(self, guild_id: int, item_id: int, reason: str, *, approved_by: int | None = None) -> None:
        """The forum post of a draft could not be made in the end: the draft goes (never a public item) and,
        in the same transaction, the jobs that tell its reporter by DM, with their text (nothing is lost), the
        staff log which report it was and, for one approved from the review queue, its card (no "on its way")."""
        async with self._write(guild_id) as conn:
            item = await repo.get(conn, guild_id, item_id, for_update=True)
            if item is None or item.thread_id is not None or item.status not in ("new", "pending_review"):
                return
            if self._schedule_job is not None:
                payload = {"guild_id": guild_id, "feedback_id": item_id, "user_id": item.reporter_id,
                           "title": item.title, "details": item.details, "reason": reason[:300]}
                await self._schedule_job(conn, PostFailedKey(item_id), payload)  # the reporter, by DM
                await self._schedule_job(conn, PostFailedStaffKey(item_id), payload)  # and the staff log
                if item.review_channel_id and item.review_message_id:  # the card outlives the draft: ids go along
                    await self._schedule_job(conn, ReviewOutcomeKey(item_id), {
                        "guild_id": guild_id, "feedback_id": item_id, "actor_id": approved_by, "failed": True,
                        "review_channel_id": item.review_channel_id, "review_message_id": item.review_message_id})
            await repo.delete_item(conn, item_id)

    async def purge_stale_drafts(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Delete drafts a crash left without a post (run at start-up). Returns how many went."""
        async with self.db.begin() as conn:
            stale = await repo.stale_drafts(conn, self.clock.now() - older_than)
            for item in stale:
                await repo.delete_item(conn, item.id)
        return len(stale)

    async def publish(self, guild_id: int, item_id: int, *, forum_id: int, thread_id: int,
                      status_message_id: int | None, approved_by: int | None = None) -> FeedbackItem:
        """Attach the forum post to a draft, credit the reporter and emit ``first_feedback``, atomically.
        ``approved_by``: the staff member who approved it from the review queue; its card then links the post."""
        async with self._write(guild_id) as conn:
            # The item's row lock: a concurrent publish (or discard) of the same draft waits, then sees its thread.
            item = await self._get(conn, guild_id, item_id, for_update=True)
            await lock_for_write(conn, guild_id, [item.reporter_id])
            if item.thread_id is not None:
                return item
            await repo.update_item(conn, item_id, forum_id=forum_id, thread_id=thread_id,
                                   status_message_id=status_message_id, status="new", updated_at=self.clock.now())
            await self._credit_intake(conn, await self._get(conn, guild_id, item_id))
            item = await self._get(conn, guild_id, item_id)
            await self._out(conn, item, "feedback.created", str(item.id), {})
            await self._index(conn, item)
            await self.screenshots.schedule(conn, guild_id, item_id)  # the form's images, into the thread
            if approved_by is not None and item.review_message_id and self._schedule_job is not None:
                await self._schedule_job(conn, ReviewOutcomeKey(item_id), {  # "on its way" becomes the link
                    "guild_id": guild_id, "feedback_id": item_id, "actor_id": approved_by})
            return item

    async def record_post(self, guild_id: int, reporter_id: int, *, forum_id: int, thread_id: int, draft: Draft,
                          beta_id: int | None = None) -> tuple[FeedbackItem, bool]:
        """Record a post written directly in a feedback forum. Returns ``(item, created)``; a thread that is
        already recorded is returned as it is."""
        now = self.clock.now()
        async with self._write(guild_id) as conn:
            await lock_for_write(conn, guild_id, [reporter_id])
            existing = await repo.by_thread(conn, thread_id)
            if existing is not None:
                return existing, False
            item_id = await repo.create(
                conn, guild_id=guild_id, beta_id=beta_id, reporter_id=reporter_id, type=draft.type,
                title=draft.title, details=draft.details, steps=draft.steps, version=draft.version, status="new",
                forum_id=forum_id, thread_id=thread_id, created_at=now, updated_at=now,
            )
            item = await self._get(conn, guild_id, item_id)
            await self._credit_intake(conn, item)
            await self._out(conn, item, "feedback.created", str(item.id), {})
            await self._index(conn, item)
            return item, True

    async def _credit_intake(self, conn: AsyncConnection, item: FeedbackItem) -> None:
        await self.ledger.credit(
            item.guild_id, item.reporter_id, GIVEN, source_key=f"feedback:{item.id}", actor_id=None,
            reason=f"feedback #{item.id}: {item.title}"[:300], channel_id=item.forum_id, thread_id=item.thread_id,
            strict=False, conn=conn,
        )
        if await repo.published_count(conn, item.guild_id, item.reporter_id) == 1:
            await self._event(conn, item.guild_id, item.reporter_id, "first_feedback",
                              {"feedback_id": item.id, "type": item.type, "beta_id": item.beta_id})

    async def set_status_message(self, guild_id: int, item_id: int, message_id: int) -> None:
        async with self._write(guild_id) as conn:
            await self._get(conn, guild_id, item_id)
            await repo.update_item(conn, item_id, status_message_id=message_id)

    async def set_review_message(self, guild_id: int, item_id: int, channel_id: int, message_id: int) -> None:
        async with self._write(guild_id) as conn:
            await self._get(conn, guild_id, item_id)
            await repo.update_item(conn, item_id, review_channel_id=channel_id, review_message_id=message_id)

    # ------------------------------------------------------------------ review queue

    async def claim_review(self, guild_id: int, item_id: int, actor_id: int) -> FeedbackItem:
        """Approve: take the report out of the queue (the cog then posts it and calls ``publish``)."""
        async with self._write(guild_id) as conn:
            item = await self._get(conn, guild_id, item_id, for_update=True)
            if item.status != "pending_review":
                raise Conflict(N_("Feedback #{item_id} was already handled ({value})."),
                               item_id=item_id, value=label(item.status).lower())
            await repo.update_item(conn, item_id, status="new", updated_at=self.clock.now())
            self.changed.send(guild_id)
            await audit.record(conn, now=self.clock.now(), action="feedback.approve", guild_id=guild_id,
                               actor_id=actor_id, target_id=item_id)
            if self._schedule_job is not None:  # its forum post: a job, with the approval
                await self._schedule_job(conn, OpenPostKey(item_id), {"guild_id": guild_id, "feedback_id": item_id,
                                                                      "actor_id": actor_id})
            return await self._get(conn, guild_id, item_id)

    async def unclaim_review(self, guild_id: int, item_id: int) -> None:
        """Put an approved report back in the queue when its post could not be opened."""
        async with self._write(guild_id) as conn:
            item = await repo.get(conn, guild_id, item_id, for_update=True)
            if item is not None and item.thread_id is None and item.status == "new":
                await repo.update_item(conn, item_id, status="pending_review")

    async def reject(self, guild_id: int, item_id: int, actor_id: int, reason: str | None = None) -> FeedbackItem:
        note = (check_text(reason, "reason") or "").strip()[:MAX_NOTE] or None
        now = self.clock.now()
        async with self._write(guild_id) as conn:
            item = await self._get(conn, guild_id, item_id, for_update=True)
            if item.status != "pending_review":
                raise Conflict(N_("Feedback #{item_id} was already handled ({value})."),
                               item_id=item_id, value=label(item.status).lower())
            await repo.update_item(conn, item_id, status="rejected", status_note=note, updated_at=now)
            change_id = await audit.record(conn, now=now, action="feedback.reject", guild_id=guild_id,
                                           actor_id=actor_id, target_id=item_id, details={"reason": note or ""})
            await self._effects(conn, change_id, {"guild_id": guild_id, "feedback_id": item_id, "event": "rejected",
                                                  "status": "rejected", "note": note},
                                [item.reporter_id], thread=False)
            if self._schedule_job is not None:  # the review card shows the outcome (a job, with the change)
                await self._schedule_job(conn, ReviewOutcomeKey(item_id), {
                    "guild_id": guild_id, "feedback_id": item_id, "actor_id": actor_id, "change_id": change_id})
            return await self._get(conn, guild_id, item_id)

    # ------------------------------------------------------------------ status lifecycle

    async def change_status(self, guild_id: int, item_id: int, status: str, *, actor_id: int,
                            note: str | None = None, version: str | None = None,
                            duplicate_of: int | None = None,
                            also: Callable[[AsyncConnection, StatusChange], Awaitable[None]] | None = None,
                            ) -> StatusChange:
        """``also``: more writes in the change's transaction (a merge proposal closed: bot.feedback.curation)."""
        note = (check_text(note, "note") or "").strip() or None
        version = (check_text(version, "version") or "").strip() or None
        if note is not None and is_invisible(note):
            note = None  # a note that shows as nothing is no note (and a decline needs a real one)
        if note is not None and len(note) > MAX_NOTE:
            raise InvalidInput(N_("The note is {length} characters long; keep it to {max_note}."),
                               length=len(note), max_note=MAX_NOTE)
        if version is not None and len(version) > MAX_VERSION:
            raise InvalidInput(N_("The version is {length} characters long; keep it to {max_version}."),
                               length=len(version), max_version=MAX_VERSION)
        if status == "shipped" and version is None:
            raise InvalidInput(N_("Say which version shipped it: add the `version` option (e.g. 2.4.0)."))
        if status == "declined" and note is None:
            raise InvalidInput(N_("Give the reporter a reason when declining: add the `note` option."))
        if status == "duplicate" and duplicate_of is None:
            raise InvalidInput(N_("Say which report this duplicates: add the `of` option with its number."))
        if status != "duplicate" and duplicate_of is not None:
            raise InvalidInput(N_("The `of` option only goes with the duplicate status."))
        now = self.clock.now()
        policy = self.policy_for(guild_id)
        async with self._write(guild_id) as conn:
            item = await self._get(conn, guild_id, item_id, for_update=True)
            check_transition(item, status)
            previous = item.status
            reporters = [item.reporter_id, *await repo.coreporters(conn, item.id)]
            await lock_for_write(conn, guild_id, reporters)
            recipients = await self.recipients(conn, item, exclude=[actor_id])
            target: FeedbackItem | None = None
            moved = 0
            values: dict[str, Any] = {"status": status, "status_note": note, "updated_at": now}
            if status == "shipped":
                values["version"] = version
            if status == "duplicate":
                assert duplicate_of is not None
                target, moved = await self._merge(conn, item, duplicate_of, policy, now)
                values["duplicate_of"] = target.id
            await repo.update_item(conn, item.id, **values)
            await repo.mark_staff_response(conn, item.id, now)
            item = await self._get(conn, guild_id, item_id)
            await search_index.set_state(conn, "feedback", item.id, status=item.status, votes=item.vote_count, now=now)
            if target is not None:
                await search_index.set_state(conn, "feedback", target.id, votes=target.vote_count, now=now)
            # Each stage is credited once per reporter (its source key), at the points of its kind — also
            # when those are 0, so a "count of feedback_shipped" reward still sees it.
            if status in HEARD:
                for user_id in dict.fromkeys(reporters):
                    await self.ledger.credit(
                        guild_id, user_id, ACKNOWLEDGED, source_key=_key(item, "heard", user_id),
                        actor_id=actor_id, reason=f"feedback #{item.id} {label(status).lower()}",
                        thread_id=item.thread_id, channel_id=item.forum_id, strict=False, conn=conn,
                    )
            if status == "shipped":
                for user_id in dict.fromkeys(reporters):
                    await self.ledger.credit(
                        guild_id, user_id, SHIPPED, source_key=_key(item, "shipped", user_id), actor_id=actor_id,
                        reason=f"feedback #{item.id} shipped in {version}", thread_id=item.thread_id,
                        channel_id=item.forum_id, strict=False, conn=conn,
                    )
                    await self._event(conn, guild_id, user_id, "feedback_shipped", {
                        "feedback_id": item.id, "version": version, "beta_id": item.beta_id, "type": item.type,
                        "title": item.title,
                    })
            # The audit entry's id names the change: the jobs' keys carry it.
            change_id = await audit.record(conn, now=now, action="feedback.status", guild_id=guild_id,
                                           actor_id=actor_id, target_id=item.id,
                                           details={"from": previous, "to": status, "note": note or "",
                                                    "version": version or "", "duplicate_of": item.duplicate_of})
            await self._effects(conn, change_id, {
                "guild_id": guild_id, "feedback_id": item.id, "event": "status", "status": status, "note": note,
                "version": version, "target_id": target.id if target else None,
            }, recipients, thread=True)
            await self._out(conn, item, "feedback.status_changed", f"change:{change_id}", {
                "from": previous, "to": status, "note": note, "version": version,
                "actor_id": str(actor_id) if actor_id else None})
            if target is not None:
                await self._out(conn, item, "feedback.merged", f"change:{change_id}", {
                    "into": item_document(target), "moved_votes": moved,
                    "actor_id": str(actor_id) if actor_id else None})
            change = StatusChange(item=item, previous=previous, recipients=recipients, target=target,
                                  moved_votes=moved)
            if also is not None:
                await also(conn, change)
            if target is not None:  # a proposal of this merge still open is settled with it
                await self.curation.settle(conn, change, actor_id)
        return change

    async def _merge(self, conn: AsyncConnection, item: FeedbackItem, original_id: int, policy: FeedbackPolicy,
                     now: datetime) -> tuple[FeedbackItem, int]:
        """Merge ``item`` into ``original_id`` (or the report that one was merged into): votes and followers
        move over; the duplicate's reporter (and its co-reporters) become co-reporters and count as votes."""
        if original_id == item.id:
            raise InvalidInput(N_("Feedback #{item_id} can't be a duplicate of itself."),
                               item_id=item.id)
        target = await repo.get(conn, item.guild_id, original_id)
        if target is None:
            raise NotFound(N_("There is no feedback #{original_id} in this server to merge #{item_id} into."),
                           original_id=original_id, item_id=item.id)
        seen = {item.id}
        while target.status == "duplicate" and target.duplicate_of is not None:
            if target.id in seen or len(seen) > MAX_CHAIN:
                raise InvalidInput(N_("Merging #{item_id} into #{original_id} would make a cycle of "
                                      "duplicates."),
                                   item_id=item.id, original_id=original_id)
            seen.add(target.id)
            nxt = await repo.get(conn, item.guild_id, target.duplicate_of)
            if nxt is None:
                break
            target = nxt
        if target.id in seen:
            raise InvalidInput(N_("Merging #{item_id} into #{original_id} would make a cycle of duplicates."),
                               item_id=item.id, original_id=original_id)
        if target.thread_id is None or target.status in ("pending_review", "rejected"):
            raise InvalidInput(N_("Feedback #{target_id} is not public, so nothing can be merged into it."),
                               target_id=target.id)
        skip = [] if policy.self_votes_count else [target.reporter_id]
        moved = await repo.move_votes_and_followers(conn, item.id, target.id, skip, now)
        for user_id in dict.fromkeys([item.reporter_id, *await repo.coreporters(conn, item.id)]):
            if user_id == target.reporter_id:
                continue
            await repo.add_coreporter(conn, target.id, user_id, item.id, now)
            if await repo.add_vote(conn, target.id, user_id, now):
                moved += 1
        refreshed = await repo.get(conn, item.guild_id, target.id)
        assert refreshed is not None
        return refreshed, moved

    async def record_staff_response(self, guild_id: int, thread_id: int) -> bool | None:
        """A staff member wrote in a thread: record the first response time of its feedback item (once).

        True: recorded now. False: the item's first response was recorded before (later staff messages in
        this thread need no look-up). None: the thread is not (or not yet) a feedback item of this guild."""
        async with self.db.connect() as conn:  # most staff messages need no write: no write lock for them
            item = await repo.by_thread(conn, thread_id)
        if item is None or item.guild_id != guild_id:
            return None
        if item.first_staff_response_at is not None:
            return False
        async with self._write(guild_id) as conn:
            item = await repo.by_thread(conn, thread_id)
            if item is None or item.guild_id != guild_id:
                return None
            if item.first_staff_response_at is not None:
                return False
            return await repo.mark_staff_response(conn, item.id, self.clock.now())

    # ------------------------------------------------------------------ votes (following: bot.feedback.following)

    async def vote(self, guild_id: int, item_id: int, user_id: int) -> VoteResult:
        """"Me too": one vote per member; the reporter's own vote counts only when the guild says so."""
        async with self._write(guild_id) as conn:
            # The item's row lock (a vote updates the row anyway): a concurrent merge into another report waits,
            # so no vote or follow lands on the duplicate after its votes and followers moved.
            item = await self._public(conn, guild_id, item_id, for_update=True)
            if item.status == "duplicate":
                raise Conflict(N_("This report was merged into #{duplicate_of}: vote there."),
                               duplicate_of=item.duplicate_of)
            if item.status == "shipped":
                raise Conflict(N_("Feedback #{item_id} has already shipped ({item_version}) — no vote needed."),
                               item_id=item.id, item_version=item.version)
            if user_id == item.reporter_id and not self.policy_for(guild_id).self_votes_count:
                return VoteResult("own", item)
            added = await repo.add_vote(conn, item.id, user_id, self.clock.now())
            item = await self._get(conn, guild_id, item_id)
            if added:
                await self._out(conn, item, "feedback.voted", f"{item.id}:{user_id}", {"voter_id": str(user_id)},
                                member_id=user_id)
                await search_index.set_state(conn, "feedback", item.id, votes=item.vote_count, now=self.clock.now())
                await self.queue_embed(conn, guild_id, item.id)
            return VoteResult("counted" if added else "already", item)

    async def queue_embed(self, conn: AsyncConnection, guild_id: int, item_id: int) -> None:
        """In a vote's transaction: the job that shows the item's vote count on its embed. One is pending per
        item; a later vote rides on it (the edit reads the item when it runs)."""
        if self._schedule_job is not None and not await pending_in_series(conn, ItemEmbed(item_id)):
            await self._schedule_job(conn, ItemEmbedRun(item_id, uuid.uuid4().hex[:16]),
                                     {"guild_id": guild_id, "feedback_id": item_id})

    async def refresh_card(self, guild_id: int, item_id: int) -> None:
        """Something the card shows changed outside this feature (a GitHub link): queue its edit job."""
        async with self._write(guild_id) as conn:
            await self.queue_embed(conn, guild_id, item_id)


__all__ = ["FeedbackService", "NOTIFY_EVENT", "PUBLIC_STATUSES"]
