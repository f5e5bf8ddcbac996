"""Joining and leaving a beta: eligibility, terms, atomic capacity, the waitlist."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.betas import store as repo
from bot.betas._common import NUDGE_EVENT, PROMOTED_DM, WELCOME_EVENT, OutboundFn, dm_payload, stage_index
from bot.betas.models import Beta, Eligibility, JoinResult, LeaveResult, MemberFacts
from bot.ledger import queries as ledger_queries
from bot.ledger.explain import ts
from bot.platform import audit
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.errors import Conflict, NotAllowed
from bot.platform.events import Outbound
from bot.platform.i18n import N_
from bot.platform.jobs.keys import BetaNudge, BetaWelcome
from bot.platform.jobs.store import cancel_series


class _Joining:
    """Part of :class:`bot.betas.BetaService` (shares its attributes)."""

    db: Database
    outbound: OutboundFn | None
    clock: Clock

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
            stats = await ledger_queries.stats_for(conn, row.guild_id, facts.user_id)
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

    def _rejoin_refusal(self, row: repo.BetaRow, mine: repo.ParticipantRow | None, now: datetime) -> str | None:
        """Leaving and joining again costs role changes, an audit row and an announcement edit each time: a
        member who left waits ``rejoin_cooldown_seconds`` before joining again."""
        cooldown = self.policy_for(row.guild_id).rejoin_cooldown_seconds
        if not cooldown or mine is None or mine.status != "left" or mine.left_at is None:
            return None
        again = mine.left_at + timedelta(seconds=cooldown)
        if now >= again:
            return None
        return (f"You left the **{row.name}** beta a moment ago. You can join again {ts(again, 'R')} "
                f"(at {ts(again, 't')}).")

    async def check_join(self, guild_id: int, beta_id: int, facts: MemberFacts) -> tuple[Beta, str | None]:
        """Before the terms confirm: (beta, the member's current status or None). Refusals raise."""
        async with self.db.connect() as conn:
            row = await self._get(conn, guild_id, beta_id)
            mine = await repo.participant(conn, beta_id, facts.user_id)
            beta = await self._view(conn, row)
            if mine is not None and mine.status in ("joined", "waitlisted"):
                return beta, mine.status
            now = self.clock.now()
            refusal = self._rejoin_refusal(row, mine, now) or await self._refusal(conn, row, facts, now)
        if refusal:
            raise NotAllowed(refusal)
        if beta.spots_left == 0 and not row.waitlist:
            raise Conflict(N_("The **{row_name}** beta is full ({capacity} of {capacity} spots taken) and "
                              "has no waitlist."),
                           row_name=row.name, capacity=row.capacity)
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
            refusal = self._rejoin_refusal(row, mine, now) or await self._refusal(conn, row, facts, now)
            if refusal:
                raise NotAllowed(refusal)
            if row.terms and not terms_accepted:
                raise NotAllowed(N_("Please accept the terms of **{row_name}** first: click Join again and tick "
                                    "the box in the form."), row_name=row.name)
            joined = (await repo.counts(conn, beta_id)).get("joined", 0)
            full = row.capacity is not None and joined >= row.capacity
            if full and not row.waitlist:
                raise Conflict(N_("The **{row_name}** beta is full ({capacity} of {capacity} spots taken) "
                                  "and has no waitlist."),
                               row_name=row.name, capacity=row.capacity)
            seq = await repo.next_seq(conn, beta_id)
            status = "waitlisted" if full else "joined"
            await repo.put_participant(conn, beta_id=beta_id, user_id=user_id, exists=mine is not None, status=status,
                                       terms_accepted_at=now if row.terms else None, joined_at=now, left_at=None,
                                       seq=seq)
            await self._queue_refresh(conn, row, now)
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
                payload=dm_payload(PROMOTED_DM, {"beta": row.name}),
                dedupe_key=f"beta:{row.id}:{user_id}:promoted:{seq}", rule_name=f"beta:{row.name}",
                cause="beta:promoted")
        if credit.status != "duplicate":  # the first time this member joins this beta
            await self.emit(conn, "beta_joined", row.guild_id, user_id, {"beta": row.name, "beta_id": row.id})
            if self.outbound is not None:
                await self.outbound(conn, Outbound(row.guild_id, "beta.joined", f"{row.id}:{user_id}:{seq}", now, {
                    "beta": {"id": row.id, "name": row.name}, "member_id": str(user_id), "promoted": promoted,
                }, member_id=user_id))
            hours = self.policy_for(row.guild_id).feedback_nudge_hours
            at = now + timedelta(hours=hours)
            if hours and (row.ends_at is None or at < row.ends_at):
                await self.schedule(NUDGE_EVENT, {"beta_id": row.id, "user_id": user_id}, at=at,
                                    dedupe_key=BetaNudge(row.id, user_id).dedupe(), conn=conn)

    async def _promote(self, conn: AsyncConnection, row: repo.BetaRow, now: datetime) -> list[int]:
        """Move the first of the waitlist in while there is room (FIFO by ``seq``)."""
        promoted: list[int] = []
        key: BetaWelcome | None = None
        while True:
            joined = (await repo.counts(conn, row.id)).get("joined", 0)
            if row.capacity is not None and joined >= row.capacity:
                break
            nxt = await repo.by_status(conn, row.id, ("waitlisted",), limit=1)
            if not nxt:
                break
            first = nxt[0]
            await repo.set_participant(conn, row.id, first.user_id, status="joined", joined_at=now)
            await self._on_joined(conn, row, first.user_id, first.seq, now, promoted=True)
            promoted.append(first.user_id)
            key = key or BetaWelcome(row.id, first.user_id, first.seq)
        if key is not None and row.thread_id is not None:  # besides the DM: a ping in the discussion thread
            await self.schedule(WELCOME_EVENT, {"guild_id": row.guild_id, "beta_id": row.id, "user_ids": promoted},
                                at=now, dedupe_key=key.dedupe(), conn=conn)
        return promoted

    async def leave(self, guild_id: int, beta_id: int, user_id: int) -> LeaveResult:
        now = self.clock.now()
        async with self.db.begin() as conn:
            await repo.lock_beta(conn, beta_id)
            row = await self._get(conn, guild_id, beta_id)
            mine = await repo.participant(conn, beta_id, user_id)
            if mine is None or mine.status not in ("joined", "waitlisted"):
                raise Conflict(N_("You're not in the **{row_name}** beta."), row_name=row.name)
            if row.status == "closed":
                raise Conflict(N_("The **{row_name}** beta is closed already."), row_name=row.name)
            await repo.set_participant(conn, beta_id, user_id, status="left", left_at=now)
            promoted: list[int] = []
            if mine.status == "joined":
                if row.cohort_role_id:
                    await self.rewards.queue_grant(
                        conn, guild_id=guild_id, user_id=user_id, action="role_remove",
                        payload={"role_id": row.cohort_role_id},
                        dedupe_key=f"beta:{row.id}:{user_id}:unrole:{mine.seq}", rule_name=f"beta:{row.name}",
                        cause="beta:left")
                await cancel_series(conn, BetaNudge(row.id, user_id), now=now)
                promoted = await self._promote(conn, row, now)
            await self._queue_refresh(conn, row, now)
            await audit.record(conn, now=now, action="beta.left", guild_id=guild_id, actor_id=user_id,
                               target_id=beta_id, details={"was": mine.status, "promoted": promoted})
            if self.outbound is not None:
                await self.outbound(conn, Outbound(guild_id, "beta.left", f"{beta_id}:{user_id}:{mine.seq}", now, {
                    "beta": {"id": row.id, "name": row.name}, "member_id": str(user_id), "was": mine.status,
                }, member_id=user_id))
            return LeaveResult(await self._view(conn, row), mine.status, tuple(promoted))

    async def set_reminders(self, guild_id: int, beta_id: int, user_id: int, on: bool) -> Beta:
        async with self.db.begin() as conn:
            row = await self._get(conn, guild_id, beta_id)
            if not await repo.set_participant(conn, beta_id, user_id, reminders=on):
                raise Conflict(N_("You're not in the **{row_name}** beta."), row_name=row.name)
            return await self._view(conn, row)
