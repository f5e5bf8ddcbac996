"""Contribution capture rules, between the cogs (which speak Discord) and the ledger (which keeps score).

Nothing half-written
--------------------
Some captures change Discord as well as the database: an accepted answer tags the post "Solved", a feature
posts a showcase card. Those methods take the Discord change as a callable (``apply`` / ``post_card``) and
run it *inside* the database transaction, after every row is written and before the commit:

- the Discord change fails (403, deleted channel…) → its exception propagates and the transaction rolls
  back: no ledger row, no solution row, no timer, no domain event;
- the commit fails after the Discord change → ``undo`` / ``delete_card`` compensates, then the error
  propagates.

Everything the decision implies (ledger rows, aggregates, the rewards engine's hooks, domain events, the
durable timers that close the post or release probation, and the member's receipt DM as a durable job,
:mod:`bot.contributions.jobs`) commits together: the receipt goes out for every credit that committed, once,
retried through a Discord outage, and never for one that rolled back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.contributions import store as repo
from bot.contributions.jobs import (
    CARD_EVENT,
    RECEIPT_EVENT,
    SOLUTION_NOTE_EVENT,
    CardKey,
    ReceiptKey,
    SolutionNoteKey,
)
from bot.ledger import Contribution, CreditResult, LedgerService, Ring
from bot.ledger import queries as ledger_queries
from bot.ledger.explain import ts
from bot.platform import audit
from bot.platform.audit import store as audit_repo
from bot.platform.clock import Clock
from bot.platform.db import Database, locks
from bot.platform.errors import Conflict, InvalidInput, NotAllowed
from bot.platform.i18n import N_
from bot.platform.jobs import store as jobs_store
from bot.platform.jobs.keys import SolvedClose
from bot.platform.jobs.scheduler import TimerScheduler
from bot.platform.text import check_range, check_text, is_invisible
from bot.privacy import is_tracking_disabled
from bot.search import index as search_index

Apply = Callable[[], Awaitable[None]]
Emit = Callable[[AsyncConnection, str, int, int, dict[str, Any]], Awaitable[None]]

# Timer events (handlers live in the contributions cog).
CLOSE_SOLVED = "contrib_close_solved"
RELEASE = "contrib_release"
RELEASE_RECEIPT = "contrib_release_receipt"
DAILY = "contrib_daily"
RING_REPORT = "contrib_ring_report"

MAX_GIVE = 1000  # /contrib give points: the slash option's range, checked again here
MAX_REASON = 300  # /contrib give and revoke reasons
MAX_ID = 2**63 - 1  # BIGINT

RING_REPORT_ACTION = "ledger.ring_reported"
RING_REPORT_EVERY = timedelta(days=7)


def _title(title: str) -> str:
    """A post title (a thread name, from a context menu's target) as the ledger's reason: bidi controls
    stripped, NUL refused."""
    return (check_text(title, "post title", title=True) or "")[:100]


def _reason(reason: str) -> None:
    """A staff reason: required (not only invisible characters), no NUL, at most :data:`MAX_REASON`."""
    check_text(reason, "reason")
    if is_invisible(reason):
        raise InvalidInput(N_("Give a reason: it is shown to the member and kept in the audit log."))
    if len(reason) > MAX_REASON:
        raise InvalidInput(N_("Keep the reason to {max_reason} characters (it has {length})."),
                           max_reason=MAX_REASON, length=len(reason))


@dataclass(frozen=True, slots=True)
class SolutionOutcome:
    """``status``: ``accepted`` (first solution of the post), ``moved`` (replaced the previous one),
    ``added`` (one more solution, when several are allowed). ``credit`` is the answerer's credit (``None``
    when nothing could be credited, ``message`` then says why); ``reversal`` the previous answerer's."""

    status: Literal["accepted", "moved", "added"]
    credit: CreditResult | None
    reversal: CreditResult | None
    previous_answerers: tuple[int, ...]
    message: str


@dataclass(frozen=True, slots=True)
class FeatureOutcome:
    """``showcase_message_id`` is ``None`` when the card is a job still to run (the starboard's)."""

    author_credit: CreditResult
    curator_credit: CreditResult | None
    showcase_message_id: int | None


class ContributionsService:
    def __init__(self, db: Database, clock: Clock, ledger: LedgerService, scheduler: TimerScheduler,
                 emit: Emit, *, receipt_dms: Callable[[int], bool] | None = None) -> None:
        self.db = db
        self.clock = clock
        self.ledger = ledger
        self.scheduler = scheduler
        self._emit = emit
        # Whether a guild's receipts are DMs (``ledger.receipts = "dm"``); none are written without it.
        self._receipt_dms = receipt_dms or (lambda _guild_id: False)

    # ------------------------------------------------------------------ helpers

    async def _after_credit(self, conn: AsyncConnection, guild_id: int, result: CreditResult | None) -> None:
        """A held credit gets a durable timer that releases it when probation ends."""
        if result is not None and result.status == "pending" and result.held_until is not None:
            await self.scheduler.schedule(
                RELEASE, {"guild_id": guild_id}, at=result.held_until, conn=conn,
                dedupe_key=f"contrib-release:{guild_id}:{int(result.held_until.timestamp())}",
            )

    async def _receipt(self, conn: AsyncConnection, guild_id: int, result: CreditResult | None, *,
                       actor_id: int | None) -> None:
        """The member's receipt DM as a durable job in the credit's transaction (when receipts are DMs, and
        not for whoever gave the credit themselves). One per ledger entry: :class:`ReceiptKey`."""
        if (result is None or not result.receipt or not result.written or result.contribution_id is None
                or result.user_id == actor_id or not self._receipt_dms(guild_id)):
            return
        key = ReceiptKey(guild_id, result.contribution_id)
        await self.scheduler.schedule(
            RECEIPT_EVENT, {"guild_id": guild_id, "user_id": result.user_id, "status": result.status,
                            "receipt": result.receipt},
            conn=conn, dedupe_key=key.dedupe(),
        )

    @staticmethod
    async def _run(apply_and_commit: Callable[[], Awaitable[Any]], undo: Apply | None, applied: list[bool]) -> Any:
        try:
            return await apply_and_commit()
        except BaseException:
            if applied and undo is not None:
                await undo()
            raise

    # ------------------------------------------------------------------ answers

    async def accept_solution(
        self, *, guild_id: int, forum_id: int, thread_id: int, message_id: int, answerer_id: int,
        answerer_joined_at: datetime | None, post_author_id: int | None, actor_id: int, title: str,
        multiple: bool, close_after_hours: int, apply: Apply, undo: Apply | None = None, answer_text: str = "",
    ) -> SolutionOutcome:
        """Accept ``message_id`` as a solution of the help post ``thread_id`` and credit its author.

        One active solution per post unless ``multiple``: accepting another reply moves the credit (a
        reversal plus a new credit). A reply by the asker, or accepted by its own author, earns nothing.
        ``apply`` (tag the post) runs inside the transaction; see the module docstring. The note in the
        thread is a durable job written in it (:class:`~bot.contributions.jobs.SolutionNoteKey`). The post
        becomes a solved post of the search index (bot.search), ``answer_text`` its accepted answer.
        """
        if message_id == thread_id:
            raise InvalidInput(N_("That's the question itself. Use “Mark as solution” on the reply that solved it."))
        applied: list[bool] = []

        async def work() -> SolutionOutcome:
            now = self.clock.now()
            async with self.db.begin() as conn:
                await locks.lock_for_write(conn, guild_id, {answerer_id})
                existing = await repo.solution(conn, thread_id, message_id)
                if existing is not None and existing.active:
                    raise Conflict(N_("This reply is already the accepted solution of this post."))
                active = await repo.active_solutions(conn, guild_id, thread_id)
                replaced = [] if multiple else active
                status: Literal["accepted", "moved", "added"] = (
                    "moved" if replaced else ("added" if active else "accepted"))
                source = f"answer:{thread_id}:{message_id}"
                where = dict(channel_id=forum_id, thread_id=thread_id, message_id=message_id)
                reason = _title(title)
                previous = next((s for s in replaced if s.contribution_id is not None), None)
                asker_reply = post_author_id is not None and answerer_id == post_author_id
                credit: CreditResult | None = None
                reversal: CreditResult | None = None
                if previous is not None and not asker_reply:
                    reversal, credit = await self.ledger.move_credit(
                        guild_id, previous.contribution_id, answerer_id, source_key=source, actor_id=actor_id,
                        reason=reason, member_joined_at=answerer_joined_at, conn=conn, **where,
                    )
                else:
                    if previous is not None:
                        reversal = await self.ledger.reverse(
                            guild_id, previous.contribution_id, actor_id=actor_id, reason="solution moved", conn=conn)
                    if not asker_reply:
                        credit = await self.ledger.credit(
                            guild_id, answerer_id, "answer", source_key=source, actor_id=actor_id, reason=reason,
                            member_joined_at=answerer_joined_at, allow_recredit=True, conn=conn, **where,
                        )
                if asker_reply:
                    message = ("Marked as the solution. It earns no points: the reply is from the person who "
                               "asked, and answers are credited to the members who help others.")
                elif credit is not None and credit.status == "refused":
                    message = f"Marked as the solution, but it earns no points: {credit.message}"
                else:
                    message = credit.message if credit is not None else ""
                await repo.end_solutions(conn, [s.id for s in replaced], now)
                contribution_id = credit.contribution_id if credit is not None and credit.written else None
                if existing is not None:
                    await repo.reactivate_solution(conn, existing.id, accepted_by=actor_id,
                                                   contribution_id=contribution_id, now=now)
                else:
                    await repo.add_solution(conn, guild_id=guild_id, thread_id=thread_id, message_id=message_id,
                                            answerer_id=answerer_id, accepted_by=actor_id,
                                            contribution_id=contribution_id, active=True, created_at=now)
                await self._after_credit(conn, guild_id, credit)
                for result in (credit, reversal):
                    await self._receipt(conn, guild_id, result, actor_id=actor_id)
                if credit is not None and credit.status == "credited":
                    await self._emit(conn, "answer_accepted", guild_id, answerer_id, {
                        "thread_id": thread_id, "message_id": message_id, "accepted_by": actor_id,
                        "contribution_id": credit.contribution_id})
                # one close timer per post: a new or moved solution replaces the pending one
                series = SolvedClose(thread_id)
                await jobs_store.cancel_series(conn, series, now=now)
                note = SolutionNoteKey(thread_id)
                change = await jobs_store.series_size(conn, note) + 1
                await self.scheduler.schedule(
                    SOLUTION_NOTE_EVENT, {"guild_id": guild_id, "thread_id": thread_id, "message_id": message_id,
                                          "answerer_id": answerer_id, "actor_id": actor_id, "status": status},
                    conn=conn, dedupe_key=note.at(str(change)),
                )
                if close_after_hours > 0:
                    occurrence = f"{message_id}:{await jobs_store.series_size(conn, series) + 1}"
                    await self.scheduler.schedule(
                        CLOSE_SOLVED, {"guild_id": guild_id, "thread_id": thread_id},
                        at=now + timedelta(hours=close_after_hours), conn=conn, dedupe_key=series.at(occurrence),
                    )
                if not await search_index.set_answer(conn, "help", thread_id, answer=answer_text,
                                                     answerer_id=answerer_id, message_id=message_id,
                                                     status="solved", now=now):
                    # opened before the index existed: indexed now, by its title and answer
                    await search_index.put(conn, guild_id=guild_id, kind="help", ref_id=thread_id, title=reason,
                                           body="", status="solved", thread_id=thread_id, author_id=post_author_id,
                                           now=now)
                    await search_index.set_answer(conn, "help", thread_id, answer=answer_text,
                                                  answerer_id=answerer_id, message_id=message_id, status="solved",
                                                  now=now)
                await apply()
                applied.append(True)
            return SolutionOutcome(status, credit, reversal, tuple(s.answerer_id for s in replaced), message)

        return await self._run(work, undo, applied)

    async def has_active_solution(self, guild_id: int, thread_id: int) -> bool:
        async with self.db.connect() as conn:
            return bool(await repo.active_solutions(conn, guild_id, thread_id))

    # ------------------------------------------------------------------ curation

    async def is_featured(self, guild_id: int, message_id: int) -> bool:
        async with self.db.connect() as conn:
            return await repo.featured(conn, guild_id, message_id) is not None

    async def feature(
        self, *, guild_id: int, channel_id: int, thread_id: int | None, message_id: int, author_id: int,
        author_joined_at: datetime | None, curator_id: int | None, curator_joined_at: datetime | None = None,
        title: str = "", post_card: Callable[[], Awaitable[int]] | None = None,
        delete_card: Callable[[int], Awaitable[None]] | None = None, card_job: dict[str, Any] | None = None,
    ) -> FeatureOutcome:
        """Feature a post (by a curator, or by the starboard when ``curator_id`` is None): the author gets
        creation credit, the curator curation credit, and the showcase gets a card. Once per message.

        The card: ``post_card`` (run inside the transaction) posts it and returns its message id, and
        ``delete_card`` removes it when the commit fails; or, without ``post_card``, a durable
        :data:`~bot.contributions.jobs.CARD_EVENT` job written in the transaction posts it later (``card_job``:
        what the Discord side needs to draw it, plus guild, message and author) and records it with
        :meth:`record_card`."""
        if post_card is None and card_job is None:
            raise TypeError("feature() needs post_card or card_job")
        if curator_id is not None and curator_id == author_id:
            raise NotAllowed(N_("You can't feature your own post; ask another curator to feature it."))
        card: list[int] = []

        async def work() -> FeatureOutcome:
            now = self.clock.now()
            async with self.db.begin() as conn:
                await locks.lock_for_write(conn, guild_id, {author_id} | ({curator_id} if curator_id else set()))
                featured_id = await repo.add_featured(
                    conn, guild_id=guild_id, channel_id=channel_id, message_id=message_id, author_id=author_id,
                    featured_by=curator_id, via="curator" if curator_id else "starboard", created_at=now,
                )
                if featured_id is None:
                    row = await repo.featured(conn, guild_id, message_id)
                    when = f" on {ts(row.created_at)}" if row is not None else ""
                    raise Conflict(N_("This post was already featured{when}."), when=when)
                source = f"featured:{message_id}"
                where = dict(channel_id=channel_id, thread_id=thread_id, message_id=message_id)
                reason = _title(title)
                author_credit = await self.ledger.credit(
                    guild_id, author_id, "creation", source_key=source, actor_id=curator_id, reason=reason,
                    member_joined_at=author_joined_at, conn=conn, **where,
                )
                curator_credit = None
                if curator_id is not None:
                    # Curation is peer-given: the author whose post is featured is the "giver", so the
                    # distinct-giver rule and ring detection see a curator who keeps featuring one friend.
                    curator_credit = await self.ledger.credit(
                        guild_id, curator_id, "curation", source_key=source, actor_id=author_id, reason=reason,
                        member_joined_at=curator_joined_at, strict=False, conn=conn, **where,
                    )
                for result in (author_credit, curator_credit):
                    await self._after_credit(conn, guild_id, result)
                # The curator reads their own credit in the reply; the author gets the receipt.
                await self._receipt(conn, guild_id, author_credit, actor_id=curator_id)
                if author_credit.status == "credited":
                    await self._emit(conn, "post_featured", guild_id, author_id, {
                        "message_id": message_id, "channel_id": channel_id, "featured_by": curator_id,
                        "via": "curator" if curator_id else "starboard"})
                if post_card is None:
                    key = CardKey(guild_id, message_id)
                    await self.scheduler.schedule(
                        CARD_EVENT, {**(card_job or {}), "guild_id": guild_id, "message_id": message_id,
                                     "author_id": author_id},
                        conn=conn, dedupe_key=key.dedupe(),
                    )
                    return FeatureOutcome(author_credit, curator_credit, None)
                showcase_id = await post_card()
                card.append(showcase_id)
                await repo.set_showcase_message(conn, featured_id, showcase_id)
            return FeatureOutcome(author_credit, curator_credit, showcase_id)

        async def undo() -> None:
            if delete_card is not None:
                await delete_card(card[0])

        return await self._run(work, undo, card)  # type: ignore[arg-type]

    async def showcase_card(self, guild_id: int, message_id: int) -> int | None:
        """The showcase card's message id of a featured message (``None``: not featured, or no card yet)."""
        async with self.db.connect() as conn:
            row = await repo.featured(conn, guild_id, message_id)
        return row.showcase_message_id if row is not None else None

    async def record_card(self, guild_id: int, message_id: int, card_id: int) -> None:
        """A card job posted the showcase card of a featured message."""
        async with self.db.begin() as conn:
            row = await repo.featured(conn, guild_id, message_id)
            if row is not None:
                await repo.set_showcase_message(conn, row.id, card_id)

    # ------------------------------------------------------------------ creation, thanks, staff

    async def approve_guide(
        self, *, guild_id: int, channel_id: int, thread_id: int | None, message_id: int, author_id: int,
        author_joined_at: datetime | None, actor_id: int, title: str,
    ) -> CreditResult:
        if author_id == actor_id:
            raise NotAllowed(N_("You can't approve your own guide; ask another staff member."))
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, guild_id, {author_id})
            result = await self.ledger.credit(
                guild_id, author_id, "creation", source_key=f"guide:{message_id}", actor_id=actor_id,
                reason=_title(title), channel_id=channel_id, thread_id=thread_id, message_id=message_id,
                member_joined_at=author_joined_at, conn=conn,
            )
            if result.status == "duplicate":
                raise Conflict(N_("This guide was already approved; it is credited once."))
            await self._after_credit(conn, guild_id, result)
            await self._receipt(conn, guild_id, result, actor_id=actor_id)
        return result

    async def thank(
        self, *, guild_id: int, giver_id: int, receiver_id: int, receiver_joined_at: datetime | None,
        source_key: str, reason: str, channel_id: int | None, thread_id: int | None = None,
        message_id: int | None = None,
    ) -> CreditResult:
        """Peer thanks. The ledger's strict rules raise (self, daily cap, pair cooldown, distinct giver)."""
        check_text(reason, "reason")
        if is_invisible(reason):
            reason = ""  # optional: a reason that shows as nothing is no reason
        if len(reason) > 200:
            raise InvalidInput(N_("Keep the reason under 200 characters (it has {length})."),
                               length=len(reason))
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, guild_id, {giver_id, receiver_id})
            result = await self.ledger.credit(
                guild_id, receiver_id, "thanks", source_key=source_key, actor_id=giver_id, reason=reason,
                channel_id=channel_id, thread_id=thread_id, message_id=message_id,
                member_joined_at=receiver_joined_at, strict=True, conn=conn,
            )
            if result.status == "duplicate":
                raise Conflict(N_("You already thanked them for this; each thanks counts once."))
            await self._after_credit(conn, guild_id, result)
            await self._receipt(conn, guild_id, result, actor_id=giver_id)
        return result

    async def give(
        self, *, guild_id: int, actor_id: int, user_id: int, kind: str, points: int | None, reason: str,
        source_key: str, joined_at: datetime | None,
    ) -> CreditResult:
        """A staff credit (``/contrib give``), audited. Staff can't credit themselves. ``points`` is checked here
        too (0 to :data:`MAX_GIVE`), not only by the slash option's range, which a web route or a script skips."""
        _reason(reason)
        check_range(points, "points", low=0, high=MAX_GIVE)
        if actor_id == user_id:
            raise NotAllowed(N_("You can't give credit to yourself; ask another staff member."))
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, guild_id, {user_id})
            result = await self.ledger.credit(
                guild_id, user_id, kind, source_key=source_key, actor_id=actor_id, reason=reason, points=points,
                member_joined_at=joined_at, strict=False, conn=conn,
            )
            if result.status == "refused":
                raise NotAllowed(result.message)
            await self._after_credit(conn, guild_id, result)
            await self._receipt(conn, guild_id, result, actor_id=actor_id)
            await audit.record(conn, now=self.clock.now(), action="contrib.give", guild_id=guild_id,
                               actor_id=actor_id, target_id=user_id,
                               details={"kind": kind, "points": result.points, "status": result.status,
                                        "contribution_id": result.contribution_id, "reason": reason})
        return result

    async def revoke(self, *, guild_id: int, actor_id: int, contribution_id: int, reason: str) -> CreditResult:
        """Reverse an entry (``/contrib revoke``). The ledger audits it and tells its hooks (rewards)."""
        _reason(reason)
        check_range(contribution_id, "entry", low=1, high=MAX_ID)
        async with self.db.begin() as conn:
            result = await self.ledger.reverse(guild_id, contribution_id, actor_id=actor_id, reason=reason, conn=conn)
            await self._receipt(conn, guild_id, result, actor_id=actor_id)
        if result.status == "duplicate":
            raise Conflict(result.message)
        return result

    async def record_view(self, *, guild_id: int, actor_id: int, user_id: int, action: str) -> None:
        """Staff looked at a member's ledger (history / explain): kept in the audit log too."""
        async with self.db.begin() as conn:
            await audit.record(conn, now=self.clock.now(), action=action, guild_id=guild_id, actor_id=actor_id,
                               target_id=user_id)

    # ------------------------------------------------------------------ periodic work

    async def release(self, guild_id: int, *, receipts: bool = False) -> int:
        """Count the credit held for members whose probation ended; returns how many rows were released.

        With ``receipts``, every member released gets a :data:`RELEASE_RECEIPT` timer written in the
        releasing transaction: the receipt commits with the release (never lost), a timer fires once
        (a restart does not send it again), and a failed send is retried by the timer without touching
        the release, which never repeats."""
        return await self.ledger.release_pending(guild_id, on_release=self._queue_release_receipt if receipts else None)

    async def _queue_release_receipt(self, conn: AsyncConnection, user_id: int, rows: list[Contribution]) -> None:
        guild_id = rows[0].guild_id
        points = sum(r.points for r in rows)
        count = sum(-1 if r.is_reversal else 1 for r in rows)
        if count <= 0 or await is_tracking_disabled(conn, guild_id, user_id):
            return  # a held credit released with its held reversal: nothing to announce
        total = await ledger_queries.total_points(conn, guild_id, user_id)
        await self.scheduler.schedule(
            RELEASE_RECEIPT, {"guild_id": guild_id, "user_id": user_id, "points": points, "count": count,
                              "total": total},
            conn=conn, dedupe_key=f"contrib-release-receipt:{guild_id}:{user_id}:{rows[0].id}",
        )

    async def rings_to_report(self, guild_id: int, *, window_days: int, min_exchanges: int) -> list[Ring]:
        """Reciprocal rings of the last ``window_days`` not reported in the past week; each one returned is
        recorded in the audit log as reported, and the staff-log post that reports them (:data:`RING_REPORT`)
        is a job written in the same transaction. A report, never a sanction."""
        if window_days <= 0:
            return []
        now = self.clock.now()
        found = await self.ledger.rings(guild_id, now - timedelta(days=window_days), min_exchanges=min_exchanges)
        if not found:
            return []
        async with self.db.begin() as conn:
            recent = await audit_repo.recent(conn, guild_id, action=RING_REPORT_ACTION, since=now - RING_REPORT_EVERY,
                                             limit=500)
            seen = {(r["details"].get("a"), r["details"].get("b")) for r in recent}
            fresh = [ring for ring in found if (ring.a, ring.b) not in seen]
            for ring in fresh:
                await audit.record(conn, now=now, action=RING_REPORT_ACTION, guild_id=guild_id,
                                   details={"a": ring.a, "b": ring.b, "a_to_b": ring.a_to_b, "b_to_a": ring.b_to_a,
                                            "window_days": window_days})
            if fresh:  # the staff-log post, a job written with the rings it reports (recorded as reported)
                await self.scheduler.schedule(
                    RING_REPORT, {"guild_id": guild_id, "window_days": window_days,
                                  "rings": [[r.a, r.b, r.a_to_b, r.b_to_a] for r in fresh]},
                    conn=conn, dedupe_key=f"contrib-ring-report:{guild_id}:{now.date().isoformat()}")
        return fresh

    async def schedule_daily(self, guild_id: int, *, after: datetime | None = None) -> None:
        """The daily sweep (probation release, ring report) at the next 00:05 UTC; once per guild and day."""
        now = after or self.clock.now()
        nxt = (now + timedelta(days=1)).replace(hour=0, minute=5, second=0, microsecond=0)
        if now < now.replace(hour=0, minute=5, second=0, microsecond=0):
            nxt = now.replace(hour=0, minute=5, second=0, microsecond=0)
        await self.scheduler.schedule(DAILY, {"guild_id": guild_id}, at=nxt,
                                      dedupe_key=f"contrib-daily:{guild_id}:{nxt.date().isoformat()}")
