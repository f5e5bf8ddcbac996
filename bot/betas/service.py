"""Beta programs: create, announce within the broadcast budget, join with capacity and a FIFO waitlist,
leave, remind, nudge, close with thank-yous.

Capacity
--------
A join or leave runs in one transaction under :func:`bot.betas.store.lock_beta` (``BEGIN IMMEDIATE`` on SQLite,
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

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.betas import store as repo
from bot.betas._announce import _Announcing
from bot.betas._closing import _Closing
from bot.betas._common import (
    ANNOUNCE_EVENT,
    CHANGES_EVENT,
    CLOSE_EVENT,
    NEWS_EVENT,
    NUDGE_EVENT,
    REFRESH_EVENT,
    REMIND_EVENT,
    REPLIES_EVENT,
    THREAD_EVENT,
    WELCOME_EVENT,
    BetaPolicy,
    EmitNamed,
    OutboundFn,
    Schedule,
    day_start,
    week_start,
)
from bot.betas._joining import _Joining
from bot.betas.models import Beta, BetaDraft, Eligibility, Participant, validate_draft
from bot.betas.polls import _Polls
from bot.feedback import queries as feedback_queries
from bot.ledger import LedgerService
from bot.platform import audit
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.errors import Conflict, InvalidInput, NotFound
from bot.platform.events import Signal
from bot.platform.i18n import N_
from bot.platform.spreadsheet import csv_bytes
from bot.rewards import RewardsService


class BetaService(_Announcing, _Joining, _Closing, _Polls):
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
        outbound: OutboundFn | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ledger = ledger
        self.rewards = rewards
        self.policy_for = policy_for
        self.emit = emit
        self.schedule = schedule
        self.outbound = outbound
        # Sent (with the guild id) when a beta or its announcement changes outside the outbound events (an
        # announcement posted, an edit): the public pages re-read their version (bot.public listens).
        self.changed: Signal[int] = Signal("betas changed")

    # ------------------------------------------------------------------ reading

    async def _view(self, conn: AsyncConnection, row: repo.BetaRow) -> Beta:
        n = await repo.counts(conn, row.id)
        return Beta(row, joined=n.get("joined", 0), waitlisted=n.get("waitlisted", 0), left=n.get("left", 0))

    async def _get(self, conn: AsyncConnection, guild_id: int, beta_id: int) -> repo.BetaRow:
        row = await repo.get(conn, guild_id, beta_id)
        if row is None:
            raise NotFound(N_("There is no beta #{beta_id} in this server (it may have been deleted)."),
                           beta_id=beta_id)
        return row

    async def get(self, guild_id: int, beta_id: int) -> Beta:
        async with self.db.connect() as conn:
            return await self._view(conn, await self._get(conn, guild_id, beta_id))

    async def by_name(self, guild_id: int, name: str) -> Beta:
        async with self.db.connect() as conn:
            row = await repo.by_name(conn, guild_id, " ".join(name.split()))
            if row is None:
                raise NotFound(N_("There is no beta named {value} here. `/beta list` shows them all."),
                               value=repr(name.strip()))
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
            fb = await feedback_queries.beta_reporters(conn, beta_id)
        return [Participant(r.user_id, r.status, r.seq, r.joined_at, r.left_at, r.terms_accepted_at,
                            fb.get(r.user_id, 0)) for r in rows]

    async def export_csv(self, guild_id: int, beta_id: int, names: dict[int, str] | None = None) -> bytes:
        """A beta's participants and waitlist as CSV (``/beta export`` and the dashboard); display names are
        member text, defused against spreadsheet formulas (bot.platform.spreadsheet)."""
        people = await self.participants(guild_id, beta_id)
        data, _ = csv_bytes(
            ["user_id", "name", "status", "order", "joined_at", "left_at", "terms_accepted_at", "feedback"],
            ([p.user_id, (names or {}).get(p.user_id, ""), p.status, p.seq, p.joined_at, p.left_at,
              p.terms_accepted_at, p.feedback] for p in people))
        return data

    @staticmethod
    def export_filename(name: str) -> str:
        """``beta-photos-v2.csv``: the export's file name, from the beta's name."""
        return f"beta-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-') or 'beta'}.csv"

    # ------------------------------------------------------------------ creating and editing

    async def check_new(self, guild_id: int, draft: BetaDraft) -> BetaDraft:
        """Validate a draft without writing (the cog checks before creating a cohort role)."""
        draft = validate_draft(draft, self.clock.now())
        self._check_stage(guild_id, draft.eligibility)
        async with self.db.connect() as conn:
            if await repo.by_name(conn, guild_id, draft.name) is not None:
                raise Conflict(N_("A beta called **{draft_name}** already exists; pick another name."),
                               draft_name=draft.name)
        return draft

    def _check_stage(self, guild_id: int, rules: Eligibility) -> None:
        if rules.stage:
            stages = [s.name for s in self.ledger.policy_for(guild_id).ladder]
            if rules.stage not in stages:
                raise InvalidInput(N_("Unknown ladder stage {stage}; the stages are {value}."),
                                   stage=repr(rules.stage), value=', '.join(stages))

    async def create(self, guild_id: int, actor_id: int, draft: BetaDraft) -> Beta:
        """Write the beta (``draft``); announce it with :meth:`reserve_slot`."""
        draft = await self.check_new(guild_id, draft)
        now = self.clock.now()
        async with self.db.begin() as conn:
            if await repo.by_name(conn, guild_id, draft.name) is not None:
                raise Conflict(N_("A beta called **{draft_name}** already exists; pick another name."),
                               draft_name=draft.name)
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
            raise InvalidInput(N_("Nothing to change: give at least one option."))
        async with self.db.begin() as conn:
            await repo.lock_beta(conn, beta_id)
            row = await self._get(conn, guild_id, beta_id)
            if row.status == "closed":
                raise Conflict(N_("**{row_name}** is closed; it can't be edited any more."),
                               row_name=row.name)
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
                raise Conflict(N_("A beta called **{draft_name}** already exists; pick another name."),
                               draft_name=draft.name)
            joined = (await repo.counts(conn, beta_id)).get("joined", 0)
            if draft.capacity is not None and draft.capacity < joined:
                raise InvalidInput(N_("{joined} members have joined already; the capacity can't go below "
                                      "that."),
                                   joined=joined)
            await repo.update_beta(conn, beta_id, name=draft.name, description=draft.description,
                                   incentive=draft.incentive, terms=draft.terms, capacity=draft.capacity,
                                   waitlist=draft.waitlist, ends_at=draft.ends_at,
                                   feedback_forum_id=draft.feedback_forum_id)
            self.changed.send(guild_id)
            row = await self._get(conn, guild_id, beta_id)
            if "ends_at" in fields and row.status == "open":
                await self._schedule_end(conn, row)
            promoted = await self._promote(conn, row, now) if row.status == "open" else []
            await self._queue_refresh(conn, row, now)
            await audit.record(conn, now=now, action="beta.edited", guild_id=guild_id, actor_id=actor_id,
                               target_id=beta_id, details={k: str(v) for k, v in fields.items()})
            return await self._view(conn, row), tuple(promoted)


__all__ = ["BetaService", "ANNOUNCE_EVENT", "CHANGES_EVENT", "CLOSE_EVENT", "NEWS_EVENT", "NUDGE_EVENT", "REMIND_EVENT", "REFRESH_EVENT", "REPLIES_EVENT", "THREAD_EVENT", "WELCOME_EVENT", "BetaPolicy", "day_start", "week_start"]
