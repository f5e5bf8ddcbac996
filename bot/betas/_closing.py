"""Beta timers (scheduled posts, reminders, nudges) and closing with thank-yous."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.announcements import budget
from bot.betas import polls
from bot.betas import store as repo
from bot.betas._common import NUDGE_DM, REMINDER_DM, OutboundFn, dm_payload
from bot.betas.models import CloseResult
from bot.feedback import label
from bot.feedback import queries as feedback_queries
from bot.ledger.explain import ts
from bot.platform import audit, deferred
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.errors import Conflict
from bot.platform.events import Outbound
from bot.platform.i18n import N_, translator
from bot.platform.jobs.keys import BetaAnnounce, BetaClose, BetaNudges, BetaRemind
from bot.platform.jobs.store import cancel_series


class _Closing:
    """Part of :class:`bot.betas.BetaService` (shares its attributes)."""

    db: Database
    outbound: OutboundFn | None
    clock: Clock

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
                    payload=dm_payload(REMINDER_DM, {"beta": row.name, "ends": ts(row.ends_at, "R")}),
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
            if (await feedback_queries.beta_reporters(conn, beta_id)).get(user_id):
                return False
            gid = await self.rewards.queue_grant(
                conn, guild_id=row.guild_id, user_id=user_id, action="dm",
                payload=dm_payload(NUDGE_DM, {"beta": row.name}),
                dedupe_key=f"beta:{beta_id}:{user_id}:nudge", rule_name=f"beta:{row.name}", cause="beta:nudge")
            return gid is not None

    # ------------------------------------------------------------------ closing

    async def close(self, guild_id: int, beta_id: int, *, actor_id: int | None,
                    alumni_role_id: int | None = None) -> CloseResult:
        """Close the beta: thank-you DMs (one text for feedback givers, one for the other participants), a DM
        to the waitlist, cohort role off (per config), alumni role, feedback bonus, summary."""
        now = self.clock.now()
        policy = self.policy_for(guild_id)
        async with self.db.begin() as conn:
            await repo.lock_beta(conn, beta_id)
            row = await self._get(conn, guild_id, beta_id)
            if row.status == "closed":
                raise Conflict(N_("**{row_name}** is closed already."), row_name=row.name)
            await repo.update_beta(conn, beta_id, status="closed", closed_at=now)
            await self._queue_refresh(conn, row, now)
            for series in (BetaClose(beta_id), BetaRemind(beta_id), BetaNudges(beta_id)):
                await cancel_series(conn, series, now=now)
            for ann in await budget.of_subject(conn, guild_id, "beta", beta_id):
                if ann.status == "scheduled":
                    await budget.cancel(conn, ann.id)
                    await cancel_series(conn, BetaAnnounce(ann.id), now=now)
            joined = await repo.by_status(conn, beta_id, ("joined",))
            fb = await feedback_queries.beta_reporters(conn, beta_id)
            name = f"beta:{row.name}"
            for p in joined:
                u = p.user_id
                base = f"beta:{beta_id}:{u}"
                # feedback givers hear that it shapes what comes next; the others are thanked for taking part
                template = policy.thank_you if fb.get(u) else policy.thank_you_no_feedback
                await self.rewards.queue_grant(
                    conn, guild_id=guild_id, user_id=u, action="dm",
                    payload=dm_payload(template, {"beta": row.name, "member": f"<@{u}>"}),
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
            waitlisted = await repo.by_status(conn, beta_id, ("waitlisted",))
            for p in waitlisted:  # no spot opened up for them: they still hear how it ended
                await self.rewards.queue_grant(
                    conn, guild_id=guild_id, user_id=p.user_id, action="dm",
                    payload=dm_payload(policy.waitlist_closed, {"beta": row.name, "member": f"<@{p.user_id}>"}),
                    dedupe_key=f"beta:{beta_id}:{p.user_id}:waitlist-closed", rule_name=name, cause="beta:closed")
            said = await self._summary(conn, row, joined, fb)
            summary = str(deferred.render(translator(), said))[:1900]  # English: the result and the log
            await self.rewards.notice(conn, guild_id, said, key=f"beta-closed:{beta_id}")
            await audit.record(conn, now=now, action="beta.closed", guild_id=guild_id, actor_id=actor_id,
                               target_id=beta_id, details={"participants": len(joined)})
            if self.outbound is not None:
                await self.outbound(conn, Outbound(guild_id, "beta.closed", str(beta_id), now, {
                    "beta": {"id": row.id, "name": row.name}, "participants": len(joined),
                    "feedback_givers": sum(1 for p in joined if fb.get(p.user_id)),
                    "actor_id": str(actor_id) if actor_id else None,
                }))
            view = await self._view(conn, await self._get(conn, guild_id, beta_id))
            return CloseResult(view, tuple(p.user_id for p in joined), summary,
                               waitlisted=tuple(p.user_id for p in waitlisted))

    async def _summary(self, conn: AsyncConnection, row: repo.BetaRow, joined: list[repo.ParticipantRow],
                       fb: dict[int, int]) -> deferred.Message:
        """The staff log's closing summary, said in the server's language when it is posted."""
        n = await repo.counts(conn, row.id)
        ever = len(joined) + n.get("left", 0)
        voted = await polls.poll_participants(conn, row.id)
        active = sum(1 for p in joined if fb.get(p.user_id) or p.user_id in voted)
        numbers = dict(joined=ever, still=len(joined), left=n.get("left", 0), waitlisted=n.get("waitlisted", 0),
                       active=active)
        lines = [deferred.message(N_("**Beta {name} closed.**"), name=row.name),
                 deferred.message(N_("Joined: {joined} ({still} still in at the end, {left} left) · waitlist at "
                                     "close: {waitlisted} · active (gave feedback or voted in a poll): {active}"),
                                  **numbers) if voted else
                 deferred.message(N_("Joined: {joined} ({still} still in at the end, {left} left) · waitlist at "
                                     "close: {waitlisted} · active (gave feedback): {active}"), **numbers)]
        breakdown = await feedback_queries.beta_breakdown(conn, row.id)
        if breakdown:
            by_type: dict[str, list[deferred.Message]] = {}
            for t, s, k in breakdown:
                by_type.setdefault(t, []).append(deferred.message(N_("{status} {count}"),
                                                                  status=deferred.message(label(s)), count=k))
            lines.append(deferred.message(N_("Feedback: {types}"), types=deferred.joined("; ", [
                deferred.message(N_("{type} {count} ({statuses})"), type=deferred.message(label(t)),
                                 count=sum(k for tt, _, k in breakdown if tt == t), statuses=deferred.joined(", ", v))
                for t, v in by_type.items()])))
        else:
            lines.append(deferred.message(N_("Feedback: none")))
        if fb:
            top = sorted(fb.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
            lines.append(deferred.message(N_("Top contributors: {members}"),
                                          members=", ".join(f"<@{u}> ({k})" for u, k in top)))
        lines += await polls.summary_lines(conn, row.id)
        if breakdown and any(st == "shipped" for _, st, _ in breakdown):
            lines.append(deferred.message(N_("Thank the members whose feedback shipped: {command}."),
                                          command=f"`/announce changes beta:{row.name}`"))
        return deferred.joined("\n", lines)

    async def close_due(self, beta_id: int, *, alumni_role_id: int | None = None) -> CloseResult | None:
        async with self.db.connect() as conn:
            row = await repo.by_id(conn, beta_id)
        if row is None or row.status == "closed" or row.ends_at is None or row.ends_at > self.clock.now():
            return None
        return await self.close(row.guild_id, beta_id, actor_id=None, alumni_role_id=alumni_role_id)
