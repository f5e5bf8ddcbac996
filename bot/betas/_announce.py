"""Announcing betas and news within the broadcast budget."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.announcements import budget
from bot.betas import store as repo
from bot.betas._common import (
    ANNOUNCE_EVENT,
    CLOSE_EVENT,
    REFRESH_EVENT,
    REMIND_EVENT,
    REPLIES_EVENT,
    THREAD_EVENT,
    day_start,
    week_start,
)
from bot.betas.models import Beta, Slot
from bot.ledger.explain import ts
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.errors import Conflict, LimitReached, NotFound
from bot.platform.events import Signal
from bot.platform.i18n import N_
from bot.platform.jobs.keys import BetaAnnounce, BetaClose, BetaRefresh, BetaRemind
from bot.platform.jobs.store import cancel_series, pending_in_series


class _Announcing:
    """Part of :class:`bot.betas.BetaService` (shares its attributes)."""

    db: Database
    clock: Clock
    changed: Signal[int]

    # ------------------------------------------------------------------ the announcement's edit

    async def _queue_refresh(self, conn: AsyncConnection, row: repo.BetaRow, now: datetime) -> None:
        """In the changing transaction: the durable job that edits the beta's announcement to show it as it
        is now (the ``REFRESH_EVENT`` timer). One per announcement is pending at a time: a later change finds
        it and rides on it, since the edit reads the beta when it runs, so a burst of clicks is one edit. It is
        due ``announcement_debounce_seconds`` later (the Discord side may bring it forward)."""
        if row.announcement_message_id is None:
            return
        key = BetaRefresh(row.id)
        if await pending_in_series(conn, key):
            return
        delay = timedelta(seconds=self.policy_for(row.guild_id).announcement_debounce_seconds)
        await self.schedule(REFRESH_EVENT, {"guild_id": row.guild_id, "beta_id": row.id}, at=now + delay,
                            dedupe_key=key.at(uuid.uuid4().hex[:16]), conn=conn)

    # ------------------------------------------------------------------ announcing (broadcast budget)

    async def next_slot(self, conn: AsyncConnection, guild_id: int, channel_id: int, at: datetime) -> datetime:
        """The earliest time at or after ``at`` with room in the channel's daily and weekly budget."""
        policy = self.policy_for(guild_id)
        if policy.per_channel_per_day == 0 or policy.per_channel_per_week == 0:
            raise LimitReached(N_("The broadcast budget of <#{channel_id}> is 0, so nothing can be announced "
                                  "there. An admin can raise `announcements.per_channel_per_day` in the "
                                  "config."),
                               channel_id=channel_id)
        t = at
        for _ in range(400):
            day, week = day_start(t), week_start(t)
            if await budget.slots_used(conn, channel_id, week, week + timedelta(days=7)) >= policy.per_channel_per_week:
                t = week + timedelta(days=7)
                continue
            if await budget.slots_used(conn, channel_id, day, day + timedelta(days=1)) >= policy.per_channel_per_day:
                t = day + timedelta(days=1)
                continue
            return t
        raise LimitReached(N_("<#{channel_id}> has no free announcement slot in the coming year."),
                           channel_id=channel_id)

    async def _refuse_over_budget(self, conn: AsyncConnection, guild_id: int, channel_id: int, when: datetime) -> None:
        policy = self.policy_for(guild_id)
        slot = await self.next_slot(conn, guild_id, channel_id, when)
        if slot > when:
            day_used = await budget.slots_used(conn, channel_id, day_start(when), day_start(when) + timedelta(days=1))
            raise LimitReached(
                N_("<#{channel_id}> is at its broadcast budget (announcements on that day: {day_used}; at most "
                   "{per_channel_per_day} a day and {per_channel_per_week} a week). The next slot opens {slot} "
                   "({slot_in}): schedule it for then, or later. The community is not a billboard."),
                channel_id=channel_id, day_used=day_used, per_channel_per_day=policy.per_channel_per_day,
                per_channel_per_week=policy.per_channel_per_week, slot=ts(slot), slot_in=ts(slot, 'R')
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
            for ann in await budget.of_subject(conn, guild_id, "beta", beta_id):
                if ann.status == "scheduled":
                    await budget.cancel(conn, ann.id)
                    await cancel_series(conn, BetaAnnounce(ann.id), now=now)
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
        (``"news"``, with their ``content`` columns), both posted by the ``event`` job written here (due now or
        at ``at``), and "what we changed" posts
        (``"changes"``, one per beta). Over budget: :class:`LimitReached` with the time the next slot opens."""
        now = self.clock.now()
        when = max(at or now, now)
        async with self.db.begin() as conn:
            await budget.lock_channel(conn, guild_id, channel_id)
            if subject in ("beta", "changes") and subject_id is not None:
                row = await self._get(conn, guild_id, subject_id)
                if subject == "beta" and row.status == "closed":
                    raise Conflict(N_("**{row_name}** is closed."), row_name=row.name)
                live = [a for a in await budget.of_subject(conn, guild_id, subject, subject_id)
                        if a.status in ("scheduled", "posted")]
                if live:
                    if subject != "beta":
                        raise Conflict(N_("The changes post of **{row_name}** is out already."), row_name=row.name)
                    if live[-1].status == "posted":
                        raise Conflict(N_("**{row_name}** is already announced (posted)."), row_name=row.name)
                    raise Conflict(N_("**{row_name}** is already announced (scheduled for {when})."),
                                   row_name=row.name, when=ts(live[-1].scheduled_for))
            await self._refuse_over_budget(conn, guild_id, channel_id, when)
            scheduled = when > now
            ann_id = await budget.create(
                conn, guild_id=guild_id, channel_id=channel_id, subject=subject, subject_id=subject_id,
                scheduled_for=when, created_by=actor_id, created_at=now, content=content,
            )
            if subject == "beta" and subject_id is not None:
                await repo.update_beta(conn, subject_id, announcement_channel_id=channel_id,
                                       status="scheduled" if scheduled else "draft")
            if scheduled or subject in ("news", "beta", "changes"):  # these go out through their job, now or later
                await self.schedule(event, {"announcement_id": ann_id}, at=when,
                                    dedupe_key=BetaAnnounce(ann_id).at(when.isoformat()), conn=conn)
            return Slot(ann_id, when, scheduled)

    async def move_slot(self, guild_id: int, announcement_id: int, at: datetime, *, event: str) -> Slot:
        """Reschedule a scheduled announcement within the same budget (its own slot does not count against
        the new time); the old timer is replaced. Over budget: :class:`LimitReached`, nothing changes."""
        now = self.clock.now()
        when = max(at, now)
        async with self.db.begin() as conn:
            ann = await budget.get(conn, announcement_id)
            if ann is None or ann.guild_id != guild_id:
                raise NotFound(N_("There is no announcement #{announcement_id} here."),
                               announcement_id=announcement_id)
            if ann.status != "scheduled":
                raise Conflict(N_("Announcement #{announcement_id} is {ann_status}; only a scheduled one can "
                                  "move."),
                               announcement_id=announcement_id, ann_status=ann.status)
            await budget.lock_channel(conn, guild_id, ann.channel_id)
            await budget.cancel(conn, announcement_id)  # free its own slot
            await self._refuse_over_budget(conn, guild_id, ann.channel_id, when)  # raising rolls back
            await budget.reschedule(conn, announcement_id, when)
            await cancel_series(conn, BetaAnnounce(announcement_id), now=now)
            scheduled = when > now
            if scheduled or ann.subject == "news":  # moved to now: its job posts it now
                await self.schedule(event, {"announcement_id": announcement_id}, at=when,
                                    dedupe_key=BetaAnnounce(announcement_id).at(when.isoformat()), conn=conn)
            return Slot(announcement_id, when, scheduled)

    async def announcement(self, announcement_id: int) -> budget.AnnouncementRow:
        async with self.db.connect() as conn:
            ann = await budget.get(conn, announcement_id)
        if ann is None:
            raise NotFound(N_("There is no announcement #{announcement_id}."),
                           announcement_id=announcement_id)
        return ann

    async def mark_posted(self, announcement_id: int, *, message_id: int, thread_id: int | None) -> Beta | None:
        """The announcement is out: the beta opens (and its end and reminder timers are set)."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            ann = await budget.get(conn, announcement_id)
            assert ann is not None
            await budget.mark_posted(conn, announcement_id, posted_at=now, message_id=message_id,
                                     thread_id=thread_id)
            self.changed.send(ann.guild_id)
            await cancel_series(conn, BetaAnnounce(announcement_id), now=now)  # a pending post job has nothing to do
            hours = self.policy_for(ann.guild_id).reply_count_hours
            if thread_id is not None and hours:
                await self.schedule(REPLIES_EVENT, {"announcement_id": announcement_id},
                                    at=now + timedelta(hours=hours), dedupe_key=f"announce:replies:{announcement_id}",
                                    conn=conn)
            if ann.subject != "beta" or ann.subject_id is None:
                return None
            if thread_id is None:  # the post job could not open the discussion thread: its own job does
                await self.schedule(THREAD_EVENT, {"announcement_id": announcement_id, "guild_id": ann.guild_id,
                                                   "beta_id": ann.subject_id},
                                    dedupe_key=f"{THREAD_EVENT}:{announcement_id}", conn=conn)
            await repo.update_beta(conn, ann.subject_id, status="open", announcement_message_id=message_id,
                                   thread_id=thread_id, announcement_channel_id=ann.channel_id,
                                   starts_at=now)
            row = await self._get(conn, ann.guild_id, ann.subject_id)
            await self._schedule_end(conn, row)
            return await self._view(conn, row)

    async def set_thread(self, announcement_id: int, thread_id: int) -> None:
        """The ``betas.thread`` job opened the discussion thread: the announcement and its beta know it (and its
        replies are counted later, as for a thread opened with the post)."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            ann = await budget.get(conn, announcement_id)
            if ann is None or ann.thread_id is not None:
                return
            await budget.set_thread(conn, announcement_id, thread_id)
            if ann.subject == "beta" and ann.subject_id is not None:
                await repo.update_beta(conn, ann.subject_id, thread_id=thread_id)
            hours = self.policy_for(ann.guild_id).reply_count_hours
            if hours:
                await self.schedule(REPLIES_EVENT, {"announcement_id": announcement_id},
                                    at=now + timedelta(hours=hours), dedupe_key=f"announce:replies:{announcement_id}",
                                    conn=conn)
            self.changed.send(ann.guild_id)

    async def mark_failed(self, announcement_id: int, reason: str) -> None:
        async with self.db.begin() as conn:
            ann = await budget.get(conn, announcement_id)
            if ann is None:
                return
            await budget.mark_failed(conn, announcement_id)
            if ann.subject == "beta" and ann.subject_id is not None:
                row = await repo.by_id(conn, ann.subject_id)
                if row is not None and row.status == "scheduled":
                    await repo.update_beta(conn, row.id, status="draft")
                await self.rewards.notice(conn, ann.guild_id, N_("The announcement of beta #{beta} could not be "
                                                                 "posted in {channel}: {reason}"),
                                          values={"beta": ann.subject_id, "channel": f"<#{ann.channel_id}>",
                                                  "reason": reason},
                                          key=f"beta-announce-failed:{announcement_id}")
            elif ann.subject == "news":
                await self.rewards.notice(conn, ann.guild_id, N_("Announcement #{number} ({title}) could not be "
                                                                 "posted in {channel}: {reason}"),
                                          values={"number": announcement_id, "title": repr(ann.title or ann.body[:60]),
                                                  "channel": f"<#{ann.channel_id}>", "reason": reason},
                                          key=f"news-failed:{announcement_id}")

    async def _schedule_end(self, conn: AsyncConnection, row: repo.BetaRow) -> None:
        now = self.clock.now()
        await cancel_series(conn, BetaClose(row.id), now=now)
        await cancel_series(conn, BetaRemind(row.id), now=now)
        if row.ends_at is None:
            return
        stamp = row.ends_at.isoformat()
        await self.schedule(CLOSE_EVENT, {"beta_id": row.id}, at=row.ends_at,
                            dedupe_key=BetaClose(row.id).at(stamp), conn=conn)
        hours = self.policy_for(row.guild_id).reminder_hours_before_end
        remind_at = row.ends_at - timedelta(hours=hours)
        if hours and remind_at > now:
            await self.schedule(REMIND_EVENT, {"beta_id": row.id, "ends_at": stamp}, at=remind_at,
                                dedupe_key=BetaRemind(row.id).at(stamp), conn=conn)
