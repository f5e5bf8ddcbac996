"""Beta programs: create, announce within the broadcast budget, join with capacity and a FIFO waitlist,
leave, remind, nudge, close with thank-yous.

Capacity
--------
A join or leave runs in one transaction under :func:`bot.db.betas.lock_beta` (``BEGIN IMMEDIATE`` on SQLite,
the beta's row ``FOR UPDATE`` on PostgreSQL): counting the joined members and writing the new row happen
under the lock, so concurrent clicks never put a beta one member over. A leave promotes the first of the
waitlist (lowest ``seq``) in the same transaction.

Rewards
-------
Everything a member gets goes through the rewards outbox (``RewardsService.queue_grant``) in the deciding
transaction, and the reward dispatcher delivers it exactly once: the cohort role (``role_add`` /
``role_remove``, dedupe keys carry the membership's ``seq`` so a re-join gives the role again), the
promotion, reminder, nudge and thank-you DMs, and the feedback bonus. Joining credits ``beta`` points once
per member and beta (``source_key = beta:<id>:<user>``) and emits ``beta_joined`` (reward rules react to it).

Broadcast budget
----------------
At most ``per_channel_per_day`` announcements per channel per UTC day and ``per_channel_per_week`` per
week (weeks start on Monday, 00:00 UTC), counting posted and still scheduled ones. Over budget,
:class:`LimitReached` says when the next slot opens.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.db import Database
from bot.db import betas as repo
from bot.db import ledger as ledger_repo
from bot.db.rewards import cancel_timers_like
from bot.services import audit
from bot.services.betas.models import (
    Beta,
    BetaDraft,
    CloseResult,
    Eligibility,
    JoinResult,
    LeaveResult,
    MemberFacts,
    Participant,
    Slot,
    validate_draft,
)
from bot.services.errors import Conflict, InvalidInput, LimitReached, NotAllowed, NotFound
from bot.services.ledger import KINDS, LedgerService
from bot.services.ledger.explain import ts
from bot.services.ledger.policy import LedgerPolicy
from bot.services.rewards import RewardsService, render

ANNOUNCE_EVENT = "betas.announce"
NEWS_EVENT = "announce.post"  # a scheduled /announce post
REPLIES_EVENT = "announce.replies"  # count the members who replied in an announcement's discussion thread
CLOSE_EVENT = "betas.close"
REMIND_EVENT = "betas.remind"
NUDGE_EVENT = "betas.nudge"

PROMOTED_DM = "A spot opened up: you're now in the **{beta}** beta! Use *Give feedback* on the announcement any time."
REMINDER_DM = ("The **{beta}** beta ends {ends}. Tell us what you think before it closes: *Give feedback* on the "
               "announcement. (Run `/beta mute name:{beta}` to stop these reminders.)")
NUDGE_DM = ("We'd love your feedback on the **{beta}** beta: what works, what doesn't? Use *Give feedback* on the "
            "announcement. This is the only nudge you'll get.")

EmitNamed = Callable[[AsyncConnection, str, int, int, dict[str, Any]], Awaitable[None]]
Schedule = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class BetaPolicy:
    per_channel_per_day: int = 2
    per_channel_per_week: int = 5
    remove_cohort_role_on_close: bool = True
    reminder_hours_before_end: int = 24
    feedback_nudge_hours: int = 72
    feedback_bonus_points: int = 0
    thank_you: str = "Thank you for taking part in the {beta} beta! Your feedback shapes what we build next."
    reply_count_hours: int = 24

    @classmethod
    def from_config(cls, cfg: Any) -> BetaPolicy:
        b = cfg.betas
        return cls(cfg.broadcast.per_channel_per_day, cfg.broadcast.per_channel_per_week,
                   b.remove_cohort_role_on_close, b.reminder_hours_before_end, b.feedback_nudge_hours,
                   b.feedback_bonus_points, b.thank_you, cfg.broadcast.reply_count_after_hours)


def day_start(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def week_start(t: datetime) -> datetime:
    d = day_start(t)
    return d - timedelta(days=d.weekday())


def stage_index(policy: LedgerPolicy, stats: dict[tuple[str, str], tuple[int, int]]) -> int:
    all_time = {kind: stats.get((kind, ""), (0, 0)) for kind in (*KINDS, "*")}
    reached = [i for i, stage in enumerate(policy.ladder) if stage.reached(all_time)]
    return reached[-1] if reached else 0


class BetaService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        ledger: LedgerService,
        rewards: RewardsService,
        policy_for: Callable[[int], BetaPolicy],
        *,
        emit: EmitNamed,
        schedule: Schedule,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ledger = ledger
        self.rewards = rewards
        self.policy_for = policy_for
        self.emit = emit
        self.schedule = schedule

    # ------------------------------------------------------------------ reading

    async def _view(self, conn: AsyncConnection, row: repo.BetaRow) -> Beta:
        n = await repo.counts(conn, row.id)
        return Beta(row, joined=n.get("joined", 0), waitlisted=n.get("waitlisted", 0), left=n.get("left", 0))

    async def _get(self, conn: AsyncConnection, guild_id: int, beta_id: int) -> repo.BetaRow:
        row = await repo.get(conn, guild_id, beta_id)
        if row is None:
            raise NotFound(f"There is no beta #{beta_id} in this server (it may have been deleted).")
        return row

    async def get(self, guild_id: int, beta_id: int) -> Beta:
        async with self.db.connect() as conn:
            return await self._view(conn, await self._get(conn, guild_id, beta_id))

    async def by_name(self, guild_id: int, name: str) -> Beta:
        async with self.db.connect() as conn:
            row = await repo.by_name(conn, guild_id, " ".join(name.split()))
            if row is None:
                raise NotFound(f"There is no beta named {name.strip()!r} here. `/beta list` shows them all.")
            return await self._view(conn, row)

    async def all(self, guild_id: int) -> list[Beta]:
        async with self.db.connect() as conn:
            return [await self._view(conn, row) for row in await repo.all_for(conn, guild_id)]

    async def names(self, guild_id: int, prefix: str = "") -> list[str]:
        async with self.db.connect() as conn:
            return await repo.names(conn, guild_id, prefix.strip())

    async def participants(self, guild_id: int, beta_id: int) -> list[Participant]:
        async with self.db.connect() as conn:
            await self._get(conn, guild_id, beta_id)
            rows = await repo.by_status(conn, beta_id, ("joined", "waitlisted", "left", "removed"))
            fb = await repo.feedback_by_reporter(conn, beta_id)
        return [Participant(r.user_id, r.status, r.seq, r.joined_at, r.left_at, r.terms_accepted_at,
                            fb.get(r.user_id, 0)) for r in rows]

    async def export_csv(self, guild_id: int, beta_id: int, names: dict[int, str] | None = None) -> bytes:
        people = await self.participants(guild_id, beta_id)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["user_id", "name", "status", "order", "joined_at", "left_at", "terms_accepted_at",
                         "feedback"])
        for p in people:
            writer.writerow([p.user_id, (names or {}).get(p.user_id, ""), p.status, p.seq,
                             p.joined_at.isoformat(), p.left_at.isoformat() if p.left_at else "",
                             p.terms_accepted_at.isoformat() if p.terms_accepted_at else "", p.feedback])
        return out.getvalue().encode("utf-8")

    # ------------------------------------------------------------------ creating and editing

    async def check_new(self, guild_id: int, draft: BetaDraft) -> BetaDraft:
        """Validate a draft without writing (the cog checks before creating a cohort role)."""
        draft = validate_draft(draft, self.clock.now())
        self._check_stage(guild_id, draft.eligibility)
        async with self.db.connect() as conn:
            if await repo.by_name(conn, guild_id, draft.name) is not None:
                raise Conflict(f"A beta called **{draft.name}** already exists; pick another name.")
        return draft

    def _check_stage(self, guild_id: int, rules: Eligibility) -> None:
        if rules.stage:
            stages = [s.name for s in self.ledger.policy_for(guild_id).ladder]
            if rules.stage not in stages:
                raise InvalidInput(f"Unknown ladder stage {rules.stage!r}; the stages are {', '.join(stages)}.")

    async def create(self, guild_id: int, actor_id: int, draft: BetaDraft) -> Beta:
        """Write the beta (``draft``); announce it with :meth:`reserve_slot`."""
        draft = await self.check_new(guild_id, draft)
        now = self.clock.now()
        async with self.db.begin() as conn:
            if await repo.by_name(conn, guild_id, draft.name) is not None:
                raise Conflict(f"A beta called **{draft.name}** already exists; pick another name.")
            beta_id = await repo.create(
                conn, guild_id=guild_id, name=draft.name, description=draft.description, incentive=draft.incentive,
                terms=draft.terms, capacity=draft.capacity, waitlist=draft.waitlist,
                eligibility=draft.eligibility.to_json(), status="draft", starts_at=draft.starts_at,
                ends_at=draft.ends_at, announcement_channel_id=draft.channel_id,
                feedback_forum_id=draft.feedback_forum_id, cohort_role_id=draft.cohort_role_id,
                private_channel_id=draft.private_channel_id, created_by=actor_id, created_at=now,
            )
            await audit.record(conn, now=now, action="beta.created", guild_id=guild_id, actor_id=actor_id,
                               target_id=beta_id, details={"name": draft.name, "capacity": draft.capacity})
            return await self._view(conn, await self._get(conn, guild_id, beta_id))

    async def discard(self, guild_id: int, beta_id: int) -> None:
        """Remove a beta whose announcement could not be posted (nothing is left half-created)."""
        async with self.db.begin() as conn:
            row = await self._get(conn, guild_id, beta_id)
            if row.announcement_message_id is None:
                await repo.delete_beta(conn, beta_id)

    async def edit(self, guild_id: int, beta_id: int, actor_id: int, **changes: Any) -> tuple[Beta, tuple[int, ...]]:
        """Change fields of a beta; a larger capacity promotes from the waitlist. Returns (beta, promoted)."""
        now = self.clock.now()
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            raise InvalidInput("Nothing to change: give at least one option.")
        async with self.db.begin() as conn:
            await repo.lock_beta(conn, beta_id)
            row = await self._get(conn, guild_id, beta_id)
            if row.status == "closed":
                raise Conflict(f"**{row.name}** is closed; it can't be edited any more.")
            current = BetaDraft(
                name=row.name, description=row.description, incentive=row.incentive, terms=row.terms,
                capacity=row.capacity, waitlist=row.waitlist, eligibility=Eligibility.from_json(row.eligibility),
                starts_at=row.starts_at if row.status in ("draft", "scheduled") else None, ends_at=row.ends_at,
                channel_id=row.announcement_channel_id, feedback_forum_id=row.feedback_forum_id,
                cohort_role_id=row.cohort_role_id,
            )
            fields = {f: changes[f] for f in ("name", "description", "incentive", "terms", "capacity", "ends_at",
                                               "waitlist", "feedback_forum_id") if f in changes}
            draft = validate_draft(BetaDraft(**{**{s: getattr(current, s) for s in BetaDraft.__slots__}, **fields}),
                                   now)
            if draft.name.lower() != row.name.lower() and await repo.by_name(conn, guild_id, draft.name):
                raise Conflict(f"A beta called **{draft.name}** already exists; pick another name.")
            joined = (await repo.counts(conn, beta_id)).get("joined", 0)
            if draft.capacity is not None and draft.capacity < joined:
                raise InvalidInput(f"{joined} members have joined already; the capacity can't go below that.")
            await repo.update_beta(conn, beta_id, name=draft.name, description=draft.description,
                                   incentive=draft.incentive, terms=draft.terms, capacity=draft.capacity,
                                   waitlist=draft.waitlist, ends_at=draft.ends_at,
                                   feedback_forum_id=draft.feedback_forum_id)
            row = await self._get(conn, guild_id, beta_id)
            if "ends_at" in fields and row.status == "open":
                await self._schedule_end(conn, row)
            promoted = await self._promote(conn, row, now) if row.status == "open" else []
            await audit.record(conn, now=now, action="beta.edited", guild_id=guild_id, actor_id=actor_id,
                               target_id=beta_id, details={k: str(v) for k, v in fields.items()})
            return await self._view(conn, row), tuple(promoted)

    # ------------------------------------------------------------------ announcing (broadcast budget)

    async def next_slot(self, conn: AsyncConnection, guild_id: int, channel_id: int, at: datetime) -> datetime:
        """The earliest time at or after ``at`` with room in the channel's daily and weekly budget."""
        policy = self.policy_for(guild_id)
        if policy.per_channel_per_day == 0 or policy.per_channel_per_week == 0:
            raise LimitReached(f"The broadcast budget of <#{channel_id}> is 0, so nothing can be announced there. "
                               "An admin can raise `broadcast.per_channel_per_day` in the config.")
        t = at
        for _ in range(400):
            day, week = day_start(t), week_start(t)
            if await repo.slots_used(conn, channel_id, week, week + timedelta(days=7)) >= policy.per_channel_per_week:
                t = week + timedelta(days=7)
                continue
            if await repo.slots_used(conn, channel_id, day, day + timedelta(days=1)) >= policy.per_channel_per_day:
                t = day + timedelta(days=1)
                continue
            return t
        raise LimitReached(f"<#{channel_id}> has no free announcement slot in the coming year.")

    async def _refuse_over_budget(self, conn: AsyncConnection, guild_id: int, channel_id: int, when: datetime) -> None:
        policy = self.policy_for(guild_id)
        slot = await self.next_slot(conn, guild_id, channel_id, when)
        if slot > when:
            day_used = await repo.slots_used(conn, channel_id, day_start(when), day_start(when) + timedelta(days=1))
            raise LimitReached(
                f"<#{channel_id}> is at its broadcast budget ({day_used} announcement"
                f"{'s' if day_used != 1 else ''} on that day; at most {policy.per_channel_per_day} a day and "
                f"{policy.per_channel_per_week} a week). The next slot opens {ts(slot)} ({ts(slot, 'R')}): "
                "schedule it for then, or later. The community is not a billboard."
            )

    async def check_budget(self, guild_id: int, channel_id: int, at: datetime | None = None) -> None:
        """Raise the budget refusal now, before staff type a description (nothing is written)."""
        now = self.clock.now()
        async with self.db.connect() as conn:
            await self._refuse_over_budget(conn, guild_id, channel_id, max(at or now, now))

    async def unschedule(self, guild_id: int, beta_id: int) -> bool:
        """Cancel a beta's scheduled announcement (``/beta open`` posts it now instead)."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            row = await self._get(conn, guild_id, beta_id)
            cancelled = False
            for ann in await repo.announcements_of(conn, guild_id, "beta", beta_id):
                if ann.status == "scheduled":
                    await repo.update_announcement(conn, ann.id, status="cancelled")
                    await cancel_timers_like(conn, f"betas:announce:{ann.id}:", now=now)
                    cancelled = True
            if cancelled and row.status == "scheduled":
                await repo.update_beta(conn, beta_id, status="draft")
            return cancelled

    async def by_id(self, beta_id: int) -> Beta | None:
        async with self.db.connect() as conn:
            row = await repo.by_id(conn, beta_id)
            return await self._view(conn, row) if row is not None else None

    async def reserve_slot(self, guild_id: int, channel_id: int, *, subject: str, subject_id: int | None,
                           actor_id: int, at: datetime | None = None, event: str = ANNOUNCE_EVENT,
                           content: dict[str, Any] | None = None) -> Slot:
        """Take a slot of the channel's broadcast budget for ``at`` (default: now); a later one gets a timer.

        Every broadcast goes through here: beta announcements (``subject="beta"``), ``/announce`` posts
        (``"news"``, with their ``content`` columns, posted by the ``event`` timer) and "what we changed" posts
        (``"changes"``, one per beta). Over budget: :class:`LimitReached` with the time the next slot opens."""
        now = self.clock.now()
        when = max(at or now, now)
        async with self.db.begin() as conn:
            await repo.lock_channel_budget(conn, guild_id, channel_id)
            if subject in ("beta", "changes") and subject_id is not None:
                row = await self._get(conn, guild_id, subject_id)
                if subject == "beta" and row.status == "closed":
                    raise Conflict(f"**{row.name}** is closed.")
                live = [a for a in await repo.announcements_of(conn, guild_id, subject, subject_id)
                        if a.status in ("scheduled", "posted")]
                if live:
                    what = "posted" if live[-1].status == "posted" else f"scheduled for {ts(live[-1].scheduled_for)}"
                    raise Conflict(f"**{row.name}** is already announced ({what})." if subject == "beta" else
                                   f"The changes post of **{row.name}** is out already.")
            await self._refuse_over_budget(conn, guild_id, channel_id, when)
            scheduled = when > now
            ann_id = await repo.create_announcement(
                conn, guild_id=guild_id, channel_id=channel_id, subject=subject, subject_id=subject_id,
                status="scheduled", scheduled_for=when, created_by=actor_id, created_at=now, **(content or {}),
            )
            if subject == "beta" and subject_id is not None:
                await repo.update_beta(conn, subject_id, announcement_channel_id=channel_id,
                                       status="scheduled" if scheduled else "draft")
            if scheduled:
                await self.schedule(event, {"announcement_id": ann_id}, at=when,
                                    dedupe_key=f"betas:announce:{ann_id}:{when.isoformat()}", conn=conn)
            return Slot(ann_id, when, scheduled)

    async def move_slot(self, guild_id: int, announcement_id: int, at: datetime, *, event: str) -> Slot:
        """Reschedule a scheduled announcement within the same budget (its own slot does not count against
        the new time); the old timer is replaced. Over budget: :class:`LimitReached`, nothing changes."""
        now = self.clock.now()
        when = max(at, now)
        async with self.db.begin() as conn:
            ann = await repo.announcement(conn, announcement_id)
            if ann is None or ann.guild_id != guild_id:
                raise NotFound(f"There is no announcement #{announcement_id} here.")
            if ann.status != "scheduled":
                raise Conflict(f"Announcement #{announcement_id} is {ann.status}; only a scheduled one can move.")
            await repo.lock_channel_budget(conn, guild_id, ann.channel_id)
            await repo.update_announcement(conn, announcement_id, status="cancelled")  # free its own slot
            await self._refuse_over_budget(conn, guild_id, ann.channel_id, when)  # raising rolls back
            await repo.update_announcement(conn, announcement_id, status="scheduled", scheduled_for=when)
            await cancel_timers_like(conn, f"betas:announce:{announcement_id}:", now=now)
            scheduled = when > now
            if scheduled:
                await self.schedule(event, {"announcement_id": announcement_id}, at=when,
                                    dedupe_key=f"betas:announce:{announcement_id}:{when.isoformat()}", conn=conn)
            return Slot(announcement_id, when, scheduled)

    async def announcement(self, announcement_id: int) -> repo.AnnouncementRow:
        async with self.db.connect() as conn:
            ann = await repo.announcement(conn, announcement_id)
        if ann is None:
            raise NotFound(f"There is no announcement #{announcement_id}.")
        return ann

    async def mark_posted(self, announcement_id: int, *, message_id: int, thread_id: int | None) -> Beta | None:
        """The announcement is out: the beta opens (and its end and reminder timers are set)."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            ann = await repo.announcement(conn, announcement_id)
            assert ann is not None
            await repo.update_announcement(conn, announcement_id, status="posted", posted_at=now,
                                           message_id=message_id, thread_id=thread_id, image=None)
            hours = self.policy_for(ann.guild_id).reply_count_hours
            if thread_id is not None and hours:
                await self.schedule(REPLIES_EVENT, {"announcement_id": announcement_id},
                                    at=now + timedelta(hours=hours), dedupe_key=f"announce:replies:{announcement_id}",
                                    conn=conn)
            if ann.subject != "beta" or ann.subject_id is None:
                return None
            await repo.update_beta(conn, ann.subject_id, status="open", announcement_message_id=message_id,
                                   thread_id=thread_id, announcement_channel_id=ann.channel_id,
                                   starts_at=now)
            row = await self._get(conn, ann.guild_id, ann.subject_id)
            await self._schedule_end(conn, row)
            return await self._view(conn, row)

    async def mark_failed(self, announcement_id: int, reason: str) -> None:
        async with self.db.begin() as conn:
            ann = await repo.announcement(conn, announcement_id)
            if ann is None:
                return
            await repo.update_announcement(conn, announcement_id, status="failed")
            if ann.subject == "beta" and ann.subject_id is not None:
                row = await repo.by_id(conn, ann.subject_id)
                if row is not None and row.status == "scheduled":
                    await repo.update_beta(conn, row.id, status="draft")
                await self.rewards.notice(conn, ann.guild_id, f"The announcement of beta #{ann.subject_id} could "
                                          f"not be posted in <#{ann.channel_id}>: {reason}",
                                          key=f"beta-announce-failed:{announcement_id}")
            elif ann.subject == "news":
                await self.rewards.notice(conn, ann.guild_id, f"Announcement #{announcement_id} "
                                          f"({ann.title or ann.body[:60]!r}) could not be posted in "
                                          f"<#{ann.channel_id}>: {reason}", key=f"news-failed:{announcement_id}")

    async def _schedule_end(self, conn: AsyncConnection, row: repo.BetaRow) -> None:
        now = self.clock.now()
        await cancel_timers_like(conn, f"betas:close:{row.id}:", now=now)
        await cancel_timers_like(conn, f"betas:remind:{row.id}:", now=now)
        if row.ends_at is None:
            return
        stamp = row.ends_at.isoformat()
        await self.schedule(CLOSE_EVENT, {"beta_id": row.id}, at=row.ends_at,
                            dedupe_key=f"betas:close:{row.id}:{stamp}", conn=conn)
        hours = self.policy_for(row.guild_id).reminder_hours_before_end
        remind_at = row.ends_at - timedelta(hours=hours)
        if hours and remind_at > now:
            await self.schedule(REMIND_EVENT, {"beta_id": row.id, "ends_at": stamp}, at=remind_at,
                                dedupe_key=f"betas:remind:{row.id}:{stamp}", conn=conn)

    # ------------------------------------------------------------------ joining

    async def _refusal(self, conn: AsyncConnection, row: repo.BetaRow, facts: MemberFacts, now: datetime) -> str | None:
        if row.status == "closed":
            return f"The **{row.name}** beta is closed. Thanks for your interest!"
        if row.status != "open":
            return f"The **{row.name}** beta isn't open yet."
        if row.ends_at is not None and row.ends_at <= now:
            return f"The **{row.name}** beta has ended."
        rules = Eligibility.from_json(row.eligibility)
        if rules.role_id and rules.role_id not in facts.role_ids:
            return f"The **{row.name}** beta is for members with the <@&{rules.role_id}> role."
        if rules.account_age_days and facts.account_created_at is not None:
            age = (now - facts.account_created_at).days
            if age < rules.account_age_days:
                return (f"Your Discord account needs to be at least {rules.account_age_days} days old to join "
                        f"**{row.name}** (yours is {age} day{'s' if age != 1 else ''} old). You can join from "
                        f"{ts(facts.account_created_at + timedelta(days=rules.account_age_days), 'D')}.")
        if rules.min_points or rules.stage:
            stats = await ledger_repo.stats_for(conn, row.guild_id, facts.user_id)
            points = stats.get(("*", ""), (0, 0))[0]
            if rules.min_points and points < rules.min_points:
                return (f"The **{row.name}** beta is open to members with at least {rules.min_points} points; you "
                        f"have {points}. Helping others and sharing feedback earns points (see `/profile`).")
            if rules.stage:
                ladder = self.ledger.policy_for(row.guild_id).ladder
                names = [s.name for s in ladder]
                if rules.stage in names:
                    mine = stage_index(self.ledger.policy_for(row.guild_id), stats)
                    if mine < names.index(rules.stage):
                        return (f"The **{row.name}** beta is open from the **{rules.stage}** stage of the "
                                f"contributor ladder; you're at **{names[mine]}**. `/profile` shows what's missing.")
        return None

    async def check_join(self, guild_id: int, beta_id: int, facts: MemberFacts) -> tuple[Beta, str | None]:
        """Before the terms confirm: (beta, the member's current status or None). Refusals raise."""
        async with self.db.connect() as conn:
            row = await self._get(conn, guild_id, beta_id)
            mine = await repo.participant(conn, beta_id, facts.user_id)
            beta = await self._view(conn, row)
            if mine is not None and mine.status in ("joined", "waitlisted"):
                return beta, mine.status
            refusal = await self._refusal(conn, row, facts, self.clock.now())
        if refusal:
            raise NotAllowed(refusal)
        if beta.spots_left == 0 and not row.waitlist:
            raise Conflict(f"The **{row.name}** beta is full ({row.capacity} of {row.capacity} spots taken) and "
                           "has no waitlist.")
        return beta, None

    async def join(self, guild_id: int, beta_id: int, facts: MemberFacts, *, terms_accepted: bool = False) -> JoinResult:
        now = self.clock.now()
        user_id = facts.user_id
        async with self.db.begin() as conn:
            await repo.lock_beta(conn, beta_id)
            row = await self._get(conn, guild_id, beta_id)
            mine = await repo.participant(conn, beta_id, user_id)
            if mine is not None and mine.status == "joined":
                return JoinResult("already_joined", await self._view(conn, row))
            if mine is not None and mine.status == "waitlisted":
                position = await repo.waitlist_position(conn, beta_id, mine.seq)
                return JoinResult("already_waitlisted", await self._view(conn, row), position)
            refusal = await self._refusal(conn, row, facts, now)
            if refusal:
                raise NotAllowed(refusal)
            if row.terms and not terms_accepted:
                raise NotAllowed(f"Please accept the terms of **{row.name}** first (click Join again).")
            joined = (await repo.counts(conn, beta_id)).get("joined", 0)
            full = row.capacity is not None and joined >= row.capacity
            if full and not row.waitlist:
                raise Conflict(f"The **{row.name}** beta is full ({row.capacity} of {row.capacity} spots taken) "
                               "and has no waitlist.")
            seq = await repo.next_seq(conn, beta_id)
            status = "waitlisted" if full else "joined"
            await repo.put_participant(conn, beta_id=beta_id, user_id=user_id, exists=mine is not None, status=status,
                                       terms_accepted_at=now if row.terms else None, joined_at=now, left_at=None,
                                       seq=seq)
            if status == "joined":
                await self._on_joined(conn, row, user_id, seq, now)
                return JoinResult("joined", await self._view(conn, row))
            position = await repo.waitlist_position(conn, beta_id, seq)
            return JoinResult("waitlisted", await self._view(conn, row), position)

    async def _on_joined(self, conn: AsyncConnection, row: repo.BetaRow, user_id: int, seq: int, now: datetime,
                         *, promoted: bool = False) -> None:
        """Credit, cohort role, reward event, feedback nudge: inside the joining transaction."""
        credit = await self.ledger.credit(row.guild_id, user_id, "beta", source_key=f"beta:{row.id}:{user_id}", actor_id=None,
                                          reason=f"joined the {row.name} beta"[:300], conn=conn)
        if row.cohort_role_id:
            await self.rewards.queue_grant(
                conn, guild_id=row.guild_id, user_id=user_id, action="role_add",
                payload={"role_id": row.cohort_role_id}, dedupe_key=f"beta:{row.id}:{user_id}:role:{seq}",
                rule_name=f"beta:{row.name}", cause="event:beta_joined")
        if promoted:
            await self.rewards.queue_grant(
                conn, guild_id=row.guild_id, user_id=user_id, action="dm",
                payload={"template": PROMOTED_DM, "context": {"beta": row.name}},
                dedupe_key=f"beta:{row.id}:{user_id}:promoted:{seq}", rule_name=f"beta:{row.name}",
                cause="beta:promoted")
        if credit.status != "duplicate":  # the first time this member joins this beta
            await self.emit(conn, "beta_joined", row.guild_id, user_id, {"beta": row.name, "beta_id": row.id})
            hours = self.policy_for(row.guild_id).feedback_nudge_hours
            at = now + timedelta(hours=hours)
            if hours and (row.ends_at is None or at < row.ends_at):
                await self.schedule(NUDGE_EVENT, {"beta_id": row.id, "user_id": user_id}, at=at,
                                    dedupe_key=f"betas:nudge:{row.id}:{user_id}", conn=conn)

    async def _promote(self, conn: AsyncConnection, row: repo.BetaRow, now: datetime) -> list[int]:
        """Move the first of the waitlist in while there is room (FIFO by ``seq``)."""
        promoted: list[int] = []
        while True:
            joined = (await repo.counts(conn, row.id)).get("joined", 0)
            if row.capacity is not None and joined >= row.capacity:
                return promoted
            nxt = await repo.by_status(conn, row.id, ("waitlisted",), limit=1)
            if not nxt:
                return promoted
            first = nxt[0]
            await repo.set_participant(conn, row.id, first.user_id, status="joined", joined_at=now)
            await self._on_joined(conn, row, first.user_id, first.seq, now, promoted=True)
            promoted.append(first.user_id)

    async def leave(self, guild_id: int, beta_id: int, user_id: int) -> LeaveResult:
        now = self.clock.now()
        async with self.db.begin() as conn:
            await repo.lock_beta(conn, beta_id)
            row = await self._get(conn, guild_id, beta_id)
            mine = await repo.participant(conn, beta_id, user_id)
            if mine is None or mine.status not in ("joined", "waitlisted"):
                raise Conflict(f"You're not in the **{row.name}** beta.")
            if row.status == "closed":
                raise Conflict(f"The **{row.name}** beta is closed already.")
            await repo.set_participant(conn, beta_id, user_id, status="left", left_at=now)
            promoted: list[int] = []
            if mine.status == "joined":
                if row.cohort_role_id:
                    await self.rewards.queue_grant(
                        conn, guild_id=guild_id, user_id=user_id, action="role_remove",
                        payload={"role_id": row.cohort_role_id},
                        dedupe_key=f"beta:{row.id}:{user_id}:unrole:{mine.seq}", rule_name=f"beta:{row.name}",
                        cause="beta:left")
                await cancel_timers_like(conn, f"betas:nudge:{row.id}:{user_id}", now=now)
                promoted = await self._promote(conn, row, now)
            await audit.record(conn, now=now, action="beta.left", guild_id=guild_id, actor_id=user_id,
                               target_id=beta_id, details={"was": mine.status, "promoted": promoted})
            return LeaveResult(await self._view(conn, row), mine.status, tuple(promoted))

    async def set_reminders(self, guild_id: int, beta_id: int, user_id: int, on: bool) -> Beta:
        async with self.db.begin() as conn:
            row = await self._get(conn, guild_id, beta_id)
            if not await repo.set_participant(conn, beta_id, user_id, reminders=on):
                raise Conflict(f"You're not in the **{row.name}** beta.")
            return await self._view(conn, row)

    # ------------------------------------------------------------------ timers

    async def remind(self, beta_id: int, ends_at: str | None = None) -> int:
        """Queue the "ends soon" DM to participants who did not mute reminders; once per member and end date."""
        async with self.db.begin() as conn:
            row = await repo.by_id(conn, beta_id)
            if row is None or row.status != "open" or row.ends_at is None:
                return 0
            stamp = row.ends_at.isoformat()
            if ends_at is not None and ends_at != stamp:
                return 0  # the end date moved: a newer timer reminds
            queued = 0
            for p in await repo.by_status(conn, beta_id, ("joined",)):
                if not p.reminders:
                    continue
                gid = await self.rewards.queue_grant(
                    conn, guild_id=row.guild_id, user_id=p.user_id, action="dm",
                    payload={"template": REMINDER_DM, "context": {"beta": row.name, "ends": ts(row.ends_at, "R")}},
                    dedupe_key=f"beta:{beta_id}:{p.user_id}:remind:{stamp}", rule_name=f"beta:{row.name}",
                    cause="beta:reminder")
                queued += gid is not None
            return queued

    async def nudge(self, beta_id: int, user_id: int) -> bool:
        """One "we'd love your feedback" DM, if the member is still in and has given none."""
        async with self.db.begin() as conn:
            row = await repo.by_id(conn, beta_id)
            if row is None or row.status != "open":
                return False
            mine = await repo.participant(conn, beta_id, user_id)
            if mine is None or mine.status != "joined" or not mine.reminders:
                return False
            if (await repo.feedback_by_reporter(conn, beta_id)).get(user_id):
                return False
            gid = await self.rewards.queue_grant(
                conn, guild_id=row.guild_id, user_id=user_id, action="dm",
                payload={"template": NUDGE_DM, "context": {"beta": row.name}},
                dedupe_key=f"beta:{beta_id}:{user_id}:nudge", rule_name=f"beta:{row.name}", cause="beta:nudge")
            return gid is not None

    # ------------------------------------------------------------------ closing

    async def close(self, guild_id: int, beta_id: int, *, actor_id: int | None,
                    alumni_role_id: int | None = None) -> CloseResult:
        """Close the beta: thank-you DMs, cohort role off (per config), alumni role, feedback bonus, summary."""
        now = self.clock.now()
        policy = self.policy_for(guild_id)
        async with self.db.begin() as conn:
            await repo.lock_beta(conn, beta_id)
            row = await self._get(conn, guild_id, beta_id)
            if row.status == "closed":
                raise Conflict(f"**{row.name}** is closed already.")
            await repo.update_beta(conn, beta_id, status="closed", closed_at=now)
            for prefix in (f"betas:close:{beta_id}:", f"betas:remind:{beta_id}:", f"betas:nudge:{beta_id}:"):
                await cancel_timers_like(conn, prefix, now=now)
            for ann in await repo.announcements_of(conn, guild_id, "beta", beta_id):
                if ann.status == "scheduled":
                    await repo.update_announcement(conn, ann.id, status="cancelled")
                    await cancel_timers_like(conn, f"betas:announce:{ann.id}:", now=now)
            joined = await repo.by_status(conn, beta_id, ("joined",))
            fb = await repo.feedback_by_reporter(conn, beta_id)
            name = f"beta:{row.name}"
            for p in joined:
                u = p.user_id
                base = f"beta:{beta_id}:{u}"
                await self.rewards.queue_grant(
                    conn, guild_id=guild_id, user_id=u, action="dm",
                    payload={"template": policy.thank_you, "context": {"beta": row.name, "member": f"<@{u}>"}},
                    dedupe_key=f"{base}:thanks", rule_name=name, cause="beta:closed")
                if row.cohort_role_id and policy.remove_cohort_role_on_close:
                    await self.rewards.queue_grant(
                        conn, guild_id=guild_id, user_id=u, action="role_remove",
                        payload={"role_id": row.cohort_role_id}, dedupe_key=f"{base}:unrole:{p.seq}",
                        rule_name=name, cause="beta:closed")
                if alumni_role_id:
                    await self.rewards.queue_grant(
                        conn, guild_id=guild_id, user_id=u, action="role_add", payload={"role_id": alumni_role_id},
                        dedupe_key=f"{base}:alumni", rule_name=name, cause="beta:closed")
                if policy.feedback_bonus_points and fb.get(u):
                    await self.rewards.queue_grant(
                        conn, guild_id=guild_id, user_id=u, action="points",
                        payload={"points": policy.feedback_bonus_points, "kind": "beta"},
                        dedupe_key=f"{base}:feedback-bonus", rule_name=name, cause="beta:closed")
            summary = await self._summary(conn, row, joined, fb)
            await self.rewards.notice(conn, guild_id, summary, key=f"beta-closed:{beta_id}")
            await audit.record(conn, now=now, action="beta.closed", guild_id=guild_id, actor_id=actor_id,
                               target_id=beta_id, details={"participants": len(joined)})
            view = await self._view(conn, await self._get(conn, guild_id, beta_id))
            return CloseResult(view, tuple(p.user_id for p in joined), summary)

    async def _summary(self, conn: AsyncConnection, row: repo.BetaRow, joined: list[repo.ParticipantRow],
                       fb: dict[int, int]) -> str:
        n = await repo.counts(conn, row.id)
        ever = len(joined) + n.get("left", 0)
        active = sum(1 for p in joined if fb.get(p.user_id))
        lines = [f"**Beta {row.name} closed.**",
                 f"Joined: {ever} ({len(joined)} still in at the end, {n.get('left', 0)} left) · "
                 f"waitlist at close: {n.get('waitlisted', 0)} · active (gave feedback): {active}"]
        breakdown = await repo.feedback_breakdown(conn, row.id)
        if breakdown:
            by_type: dict[str, list[str]] = {}
            for t, s, k in breakdown:
                by_type.setdefault(t, []).append(f"{s.replace('_', ' ')} {k}")
            lines.append("Feedback: " + "; ".join(f"{t} {sum(k for tt, _, k in breakdown if tt == t)} "
                                                 f"({', '.join(v)})" for t, v in by_type.items()))
        else:
            lines.append("Feedback: none")
        if fb:
            top = sorted(fb.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
            lines.append("Top contributors: " + ", ".join(f"<@{u}> ({k})" for u, k in top))
        if breakdown and any(st == "shipped" for _, st, _ in breakdown):
            lines.append(f"Thank the members whose feedback shipped: `/announce changes beta:{row.name}`.")
        return "\n".join(lines)[:1900]

    async def close_due(self, beta_id: int, *, alumni_role_id: int | None = None) -> CloseResult | None:
        async with self.db.connect() as conn:
            row = await repo.by_id(conn, beta_id)
        if row is None or row.status == "closed" or row.ends_at is None or row.ends_at > self.clock.now():
            return None
        return await self.close(row.guild_id, beta_id, actor_id=None, alumni_role_id=alumni_role_id)


def thank_you_text(template: str, beta: str, user_id: int) -> str:
    return render(template, {"beta": beta, "member": f"<@{user_id}>"})
