"""Deciding grants: measuring rules, writing grants in the cause's transaction, demotion, retroactive sync."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger import ContributionEvent
from bot.ledger import queries as ledger_queries
from bot.platform import audit, deferred
from bot.platform import guilds as guild_repo
from bot.platform.clock import Clock
from bot.platform.db import Database, locks
from bot.platform.errors import Conflict, InvalidInput, NotFound
from bot.platform.i18n import N_, translator
from bot.platform.jobs import store as jobs_store
from bot.platform.jobs.keys import RewardDemotion
from bot.rewards import marks_store
from bot.rewards import store as repo
from bot.rewards._common import (
    ACTIONS,
    DEFAULT_PERK_DM,
    DEMOTION_KEY,
    NOTICE_USER,
    WAITING_DM,
    PreviewResult,
    _stage_reached,
    given_before,
    log,
    next_earning,
)
from bot.rewards.conditions import MemberFacts, check_conditions
from bot.rewards.marks import MemberMarks, earning_after_erasure, earning_day
from bot.rewards.rules import Rule


def _threshold_text(rule: Rule) -> str:
    """``30 points``, ``20 points this season``, ``3 answer credits``: a threshold rule's line, for members."""
    t = rule.trigger
    if t.type == "kind":
        n = int(t.count or 0)
        return f"{n} {t.kind} credit{'s' if n != 1 else ''}"
    scope = f" within {t.window_days} days" if t.window_days else (" this season" if t.season else "")
    return f"{rule.threshold} point{'s' if rule.threshold != 1 else ''}{scope}"


class _Decisions:
    """Part of :class:`bot.rewards.RewardsService` (shares its attributes)."""

    db: Database
    clock: Clock
    marks: MemberMarks

    # ------------------------------------------------------------------ measuring

    async def _measure(self, conn: AsyncConnection, rule: Rule, guild_id: int, user_id: int, now: datetime, *,
                       event: ContributionEvent | None = None) -> int:
        t = rule.trigger
        if t.type == "kind":
            if event is not None and event.kind == t.kind:
                return event.kind_count
            stats = await ledger_queries.stats_for(conn, guild_id, user_id, ("",))
            return stats.get((str(t.kind), ""), (0, 0))[1]
        if t.type == "points":
            if t.window_days:
                return await ledger_queries.counted_points_since(conn, guild_id, user_id,
                                                                now - timedelta(days=t.window_days))
            if t.season:
                if event is not None:
                    return event.season_points
                season = self.policy_for(guild_id).season_for(now)
                stats = await ledger_queries.stats_for(conn, guild_id, user_id, (season,))
                return stats.get(("*", season), (0, 0))[0] if season else 0
            if event is not None:
                return event.total_points
            stats = await ledger_queries.stats_for(conn, guild_id, user_id, ("",))
            return stats.get(("*", ""), (0, 0))[0]
        if t.type == "ladder_stage":
            stats = await ledger_queries.stats_for(conn, guild_id, user_id, ("",))
            return 1 if _stage_reached(self.policy_for(guild_id), str(t.ladder_stage), stats) else 0
        return 0

    # ------------------------------------------------------------------ deciding

    async def _facts(self, conn: AsyncConnection, guild_id: int, user_id: int) -> MemberFacts:
        if self.facts_provider is not None:
            facts = self.facts_provider(guild_id, user_id)
            if facts is not None:
                return facts
        joined = await guild_repo.member_joined_at(conn, guild_id, user_id)
        return MemberFacts(user_id, joined_at=joined, role_ids=None)

    async def _decide(
        self, conn: AsyncConnection, rule: Rule, guild_id: int, user_id: int, *, cause: str,
        context: dict[str, Any], now: datetime, facts: MemberFacts | None = None, first_only: bool = False,
    ) -> list[int]:
        """Write the grants of ``rule`` for the member if they are due; returns the new grant ids.

        ``first_only``: a repeatable rule is given only if the member never earned it (bonus points)."""
        previous = await repo.rule_grants(conn, guild_id, user_id, rule.name)
        seq = next_earning(rule, previous, now)
        if seq is None or (first_only and rule.config.repeatable and seq > 1):
            return []
        facts = facts or await self._facts(conn, guild_id, user_id)
        ok, reason = check_conditions(rule.config.conditions, facts, now)
        if not ok:
            log.debug("rule %s not given to %s in guild %s: %s", rule.name, user_id, guild_id, reason)
            return []
        c = rule.config
        replace = bool(c.role_group and c.replace_in_group and rule.role_id is not None)
        rank = self._rank(rule, guild_id)
        below: list[repo.Grant] = []
        if replace:
            rungs = [g for g in await repo.live_role_grants(conn, guild_id, now=now, user_id=user_id)
                     if g.payload.get("group") == c.role_group and g.rule_name != rule.name]
            higher = [g for g in rungs if int(g.payload.get("rank", 0)) > rank]
            if higher:  # holds (or is about to get) a higher rung of the group: this one is not earned
                log.debug("rule %s not given to %s: outranked by %s", rule.name, user_id, higher[0].rule_name)
                return []
            below = [g for g in rungs if g.status == "pending" and g.hold is None]
        base = f"rule:{guild_id}:{rule.name}:{user_id}:{seq}"
        created: list[int] = []
        ctx = {"rule": rule.name, "member": f"<@{user_id}>", **context}
        actions: list[tuple[str, dict[str, Any]]] = []
        if rule.role_id is not None:
            payload: dict[str, Any] = {"role_id": rule.role_id}
            if c.role_duration_days:
                payload["duration_days"] = c.role_duration_days
            if c.role_group:
                payload["group"] = c.role_group
                if c.replace_in_group:
                    payload["replaces"] = await self._group_roles(conn, guild_id, c.role_group, rule.role_id)
                    payload["rank"] = rank
            actions.append(("role_add", payload))
        if c.perk_pool:
            actions.append(("perk", {"pool": c.perk_pool, "template": c.dm or DEFAULT_PERK_DM,
                                     "context": {**ctx, "pool": c.perk_pool}}))
        elif c.dm:
            actions.append(("dm", {"template": c.dm, "context": ctx}))
        if c.bonus_points:
            actions.append(("points", {"points": c.bonus_points, "kind": rule.bonus_kind}))
        if seq > 1 and not c.repeatable:  # earned again after a demotion: the role comes back, the rest not
            once = given_before(previous)
            actions = [(a, p) for a, p in actions if a not in once]
        for action, payload in actions:
            grant_id = await self.queue_grant(
                conn, guild_id=guild_id, user_id=user_id, action=action, payload=payload,
                dedupe_key=f"{base}:{action}", rule_name=rule.name, rule_id=rule.id, cause=cause, notify=False,
            )
            if grant_id is None:
                if not created:
                    return []  # a concurrent trigger decided this earning first
                continue
            created.append(grant_id)
        if created:  # kept by erasure: the same member never earns this earning again (bot/rewards/marks.py)
            await marks_store.record_earning(conn, guild_id, self.marks.of(guild_id, user_id), rule.name,
                                             earning_day(now))
        for lower in below:  # decided in this transaction or not yet taken by the dispatcher: never applied
            await repo.set_values(conn, lower.id, status="revoked", last_error=f"replaced by {rule.name}")
            await audit.record(conn, now=now, action="reward.revoked", guild_id=guild_id, target_id=user_id,
                               details={"grant": lower.id, "rule": lower.rule_name,
                                        "reason": f"replaced by {rule.name}"})
        self._notify(created)
        return created

    def _rank(self, rule: Rule, guild_id: int) -> int:
        """The rule's rung in its role group (replace mode: a higher rung replaces the lower ones)."""
        if rule.trigger.type == "ladder_stage":
            names = [s.name for s in self.policy_for(guild_id).ladder]
            stage = str(rule.trigger.ladder_stage)
            return names.index(stage) + 1 if stage in names else 0
        return rule.threshold

    async def _fall_back(self, conn: AsyncConnection, rule: Rule, guild_id: int, user_id: int, now: datetime
                         ) -> None:
        """Demoted from a rung of a replace group: give the highest lower rung the member still meets."""
        rank = self._rank(rule, guild_id)
        group = [r for r in await self.rules(guild_id, conn=conn, enabled_only=True)
                 if r.name != rule.name and r.config.role_group == rule.config.role_group
                 and r.config.replace_in_group and r.trigger.type != "event" and self._rank(r, guild_id) < rank]
        for lower in sorted(group, key=lambda r: self._rank(r, guild_id), reverse=True):
            if await self._measure(conn, lower, guild_id, user_id, now) < lower.threshold:
                continue
            if await self._decide(conn, lower, guild_id, user_id, cause="demotion", context={}, now=now):
                return

    async def _next_seq(self, conn: AsyncConnection, rule: Rule, guild_id: int, user_id: int, now: datetime
                        ) -> int | None:
        """Which earning of the rule this would be, or None when not due (once, cooldown). A member with no
        grants of it under their id may have earned it before an erasure: their mark says."""
        previous = await repo.rule_grants(conn, guild_id, user_id, rule.name)
        if previous:
            return next_earning(rule, previous, now)
        earned = await marks_store.earned_on(conn, guild_id, self.marks.of(guild_id, user_id), rule.name)
        return earning_after_erasure(rule, earned, now)

    async def _group_roles(self, conn: AsyncConnection, guild_id: int, group: str, except_role: int) -> list[int]:
        out = []
        for other in await self.rules(guild_id, conn=conn):
            if other.config.role_group == group and other.role_id is not None and other.role_id != except_role:
                out.append(other.role_id)
        return sorted(set(out))

    async def queue_grant(
        self, conn: AsyncConnection, *, guild_id: int, user_id: int, action: str, payload: dict[str, Any],
        dedupe_key: str, rule_name: str, rule_id: int | None = None, cause: str = "", hold: str | None = None,
        notify: bool = True, budget: bool = True,
    ) -> int | None:
        """Queue one grant in the caller's transaction; ``None`` if ``dedupe_key`` was queued before.

        This is the API other features use (e.g. betas giving the cohort role)::

            await bot.rewards.queue_grant(
                conn, guild_id=g, user_id=u, action="role_add", payload={"role_id": role_id},
                dedupe_key=f"beta:{beta_id}:{u}:role", rule_name=f"beta:{beta_name}", cause="event:beta_joined")
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown grant action {action!r}")
        if len(dedupe_key) > 200:
            raise ValueError("dedupe_key is limited to 200 characters")
        now = self.clock.now()
        code_id: int | None = None
        if action == "perk":
            pool = await repo.pool(conn, guild_id, str(payload["pool"]))
            if pool is None:
                raise NotFound(N_("There is no perk pool called {value}."), value=repr(payload['pool']))
            if pool.per_member_limit and await self._held(conn, pool.id, guild_id, user_id) >= pool.per_member_limit:
                await audit.record(conn, now=now, action="reward.skipped", guild_id=guild_id, target_id=user_id,
                                   details={"rule": rule_name, "reason": f"holds {pool.per_member_limit} code(s) "
                                            f"of {pool.name} already (per-member limit)"})
                return None
            if hold is None and budget and pool.budget is not None:
                # Budget decisions of the pool one at a time (PostgreSQL: the members' own locks don't serialize
                # two members), each seeing the codes the one before assigned.
                await repo.lock_pool(conn, pool.id)
                since = now - timedelta(days=pool.budget_period_days)
                if await repo.assigned_since(conn, pool.id, since) >= pool.budget:
                    hold = "approval"
        grant_id = await repo.insert_grant(
            conn, guild_id=guild_id, user_id=user_id, rule_id=rule_id, rule_name=rule_name[:100], action=action,
            payload=payload, status="pending", attempts=0, dedupe_key=dedupe_key, created_at=now, cause=cause[:200],
            hold=hold,
        )
        if grant_id is None:
            return None
        if action == "perk" and hold is None:
            code = await self._claim(conn, guild_id, str(payload["pool"]), user_id, grant_id, now)
            code_id = code.id if code else None
        if action != "notice":
            await audit.record(conn, now=now, action="reward.granted", guild_id=guild_id, target_id=user_id,
                               details={"grant": grant_id, "rule": rule_name, "action": action, "cause": cause,
                                        "held": hold, "code_id": code_id})
        if hold == "approval":
            await self.notice(conn, guild_id, N_("A {pool} code for {member} ({rule}) is over the pool's budget "
                                                 "and waits for approval (grant #{grant})."),
                              values={"pool": payload["pool"], "member": f"<@{user_id}>", "rule": rule_name,
                                      "grant": grant_id},
                              key=f"approval:{grant_id}", approve_grant=grant_id)
        if notify:
            self._notify([grant_id])
        return grant_id

    async def _held(self, conn: AsyncConnection, pool_id: int, guild_id: int, user_id: int) -> int:
        """Codes of the pool the member holds: under their id, or under their mark (codes held before an
        erasure count too)."""
        return max(await repo.held_by(conn, pool_id, user_id),
                   await marks_store.held(conn, pool_id, self.marks.of(guild_id, user_id)))

    async def _claim(self, conn: AsyncConnection, guild_id: int, pool_name: str, user_id: int, grant_id: int,
                     now: datetime) -> repo.Code | None:
        pool = await repo.pool(conn, guild_id, pool_name)
        if pool is None:
            return None
        existing = await repo.code_for_grant(conn, grant_id)
        if existing is not None:
            return existing  # claimed before (and counted under the mark then)
        code = await repo.claim_code(conn, pool.id, user_id=user_id, grant_id=grant_id, now=now)
        if code is not None:
            await marks_store.add_held(conn, pool.id, self.marks.of(guild_id, user_id), 1)
        left = await repo.available(conn, pool.id, now=now)
        # Two alerts per dip, each with its own flag (a restock clears both): "running low" once stock falls
        # under low_stock_warning, "out of codes" once a member has to wait; each says who waits.
        low = bool(code is not None and pool.low_stock_warning and left < pool.low_stock_warning)
        if code is None or low:
            empty = code is None
            if await repo.mark_low_stock_alerted(conn, pool.id, empty=empty):
                waiting = len(await repo.waiting_for_codes(conn, guild_id, pool.name))
                if empty:
                    text = N_("Perk pool **{pool}** is out of codes (members waiting for a code: {waiting}). "
                              "Their rewards wait until `/perks add-codes` restocks it.")
                else:
                    text = N_("Perk pool **{pool}** is running low (codes left: {left}; members waiting for a "
                              "code: {waiting}).")
                dip = await repo.code_total(conn, pool.id)  # one key per alert and dip, whatever the clock says
                await self.notice(conn, guild_id, text, values={"pool": pool.name, "left": left, "waiting": waiting},
                                  key=f"stock-{'empty' if empty else 'low'}:{pool.id}:{dip}")
        if code is None:  # the member hears that their code is on its way (once per grant)
            await self.queue_grant(
                conn, guild_id=guild_id, user_id=user_id, action="dm", payload={
                    "template": WAITING_DM, "context": {"pool": pool.name}, "optional": True},
                dedupe_key=f"waiting:{grant_id}", rule_name=f"waiting:{pool.name}"[:100], cause=f"waiting:{grant_id}")
        return code

    async def notice(self, conn: AsyncConnection, guild_id: int, text: str | deferred.Message, *, key: str,
                     approve_grant: int | None = None, values: dict[str, Any] | None = None) -> int | None:
        """Queue a staff-log line (delivered by the dispatcher, once). With ``values``, ``text`` is a message
        marked ``N_`` with named placeholders: the payload keeps it and its values, and the dispatcher says it
        in the server's language when it posts (``text`` stays the English line). ``text`` may also be a
        :mod:`bot.platform.deferred` message (a report of several parts), kept whole the same way."""
        if isinstance(text, dict):
            payload: dict[str, Any] = {"text": deferred.render(translator(), text), "message": text}
        else:
            payload = {"text": text.format_map(values) if values is not None else text}
        if values is not None and not isinstance(text, dict):
            payload["msgid"], payload["values"] = text, values
        if approve_grant is not None:
            payload["approve_grant"] = approve_grant
        return await self.queue_grant(conn, guild_id=guild_id, user_id=NOTICE_USER, action="notice",
                                      payload=payload, dedupe_key=f"notice:{guild_id}:{key}"[:200],
                                      rule_name="staff notice")

    def _notify(self, ids: list[int]) -> None:
        if ids:
            self.grants_written.send(list(ids))

    # ------------------------------------------------------------------ demotion with hysteresis

    async def _watch_demotion(self, conn: AsyncConnection, rule: Rule, guild_id: int, user_id: int, value: int,
                              now: datetime, cause: str) -> None:
        active = [g for g in await repo.rule_grants(conn, guild_id, user_id, rule.name)
                  if g.action == "role_add" and g.status == "delivered"]
        if not active:
            return
        delivery = self.delivery_for(guild_id)
        line = delivery.demote_below * rule.threshold
        for grant in active:
            series = RewardDemotion(grant.id)
            if value < line:
                if self.schedule is not None and not await jobs_store.pending_in_series(conn, series):
                    await self.schedule(
                        "rewards.demote", {"grant_id": grant.id}, at=now + timedelta(days=delivery.demote_after_days),
                        dedupe_key=series.at(cause)[:200], conn=conn,
                    )
            else:
                await jobs_store.cancel_series(conn, series, now=now)

    async def demote_due(self, grant_id: int) -> bool:
        """Timer: the member stayed below the line long enough; take the role back (with a DM)."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            grant = await repo.grant(conn, grant_id)
            if grant is None or grant.status != "delivered":
                return False
            rules = {r.name: r for r in await self.rules(grant.guild_id, conn=conn)}
            rule = rules.get(grant.rule_name)
            if rule is None:
                return False
            value = await self._measure(conn, rule, grant.guild_id, grant.user_id, now)
            if value >= self.delivery_for(grant.guild_id).demote_below * rule.threshold:
                return False
            # Conditional: on PostgreSQL the status read above is not locked; revoke (and queue the removal) once.
            if not await repo.transition(conn, grant.id, "delivered", status="revoked",
                                         last_error="demoted: below the threshold"):
                return False
            await audit.record(conn, now=now, action="reward.revoked", guild_id=grant.guild_id,
                               target_id=grant.user_id, details={"grant": grant.id, "rule": grant.rule_name,
                                                                 "reason": "demoted"})
            # Members see the role's name, never the rule's id: the dispatcher fills {role} in from Discord.
            message = (f"Your **{{role}}** role was removed: you have stayed below the threshold for "
                       f"{self.delivery_for(grant.guild_id).demote_after_days} days. It can be earned again: "
                       f"reach {_threshold_text(rule)} again and it comes back.")
            await self.queue_grant(conn, guild_id=grant.guild_id, user_id=grant.user_id, action="role_remove",
                                   payload={"role_id": grant.payload["role_id"], "message": message},
                                   dedupe_key=f"{DEMOTION_KEY}{grant.id}", rule_name=grant.rule_name, cause="demotion")
            if rule.config.role_group and rule.config.replace_in_group:
                await self._fall_back(conn, rule, grant.guild_id, grant.user_id, now)
        return True

    async def expire_due(self, grant_id: int) -> bool:
        """Timer: a temporary role's time is up."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            grant = await repo.grant(conn, grant_id)
            if grant is None or grant.status != "delivered":
                return False
            role_id = grant.payload["role_id"]
            others = [g for g in await repo.earned_roles(conn, grant.guild_id, now=now, user_id=grant.user_id)
                      if g.id != grant.id and g.payload.get("role_id") == role_id]
            if others:
                return False  # earned again meanwhile: keep the role (nothing changes, nothing to audit)
            # The audit goes with the state change: the removal, queued once under its dedupe key. A timer run
            # twice (PostgreSQL: both read the grant before either wrote) audits only in the run that queued it.
            if await self.queue_grant(conn, guild_id=grant.guild_id, user_id=grant.user_id, action="role_remove",
                                      payload={"role_id": role_id}, dedupe_key=f"expire:{grant.id}",
                                      rule_name=grant.rule_name, cause="expiry") is None:
                return False
            await audit.record(conn, now=now, action="reward.expired", guild_id=grant.guild_id,
                               target_id=grant.user_id, details={"grant": grant.id, "rule": grant.rule_name})
        return True

    # ------------------------------------------------------------------ retroactive sync

    async def preview(self, guild_id: int, name: str) -> PreviewResult:
        """Who would get the rule now (trigger met, conditions met, not earned yet)."""
        rule = await self.rule(guild_id, name)
        if not rule.enabled:
            raise Conflict(N_("Rule {name} is disabled: {value}."),
                           name=repr(name), value=rule.disabled_said())
        return await self.preview_rule(guild_id, rule)

    async def preview_rule(self, guild_id: int, rule: Rule) -> PreviewResult:
        """:meth:`preview` of a rule as given, saved or not (the dashboard's dry run before saving a rule)."""
        name = rule.name
        if rule.trigger.type == "event":
            raise InvalidInput(N_("Rule {name} reacts to {event} events, which can't be replayed; only "
                                  "threshold and ladder rules can be applied retroactively."),
                               name=repr(name), event=rule.trigger.event)
        now = self.clock.now()
        result = PreviewResult(rule.name)
        async with self.db.connect() as conn:
            candidates = await self._candidates(conn, rule, guild_id)
            for user_id in candidates:
                if await self._measure(conn, rule, guild_id, user_id, now) < rule.threshold:
                    continue
                if await self._next_seq(conn, rule, guild_id, user_id, now) is None:
                    result.skipped["already earned"] = result.skipped.get("already earned", 0) + 1
                    continue
                facts = await self._facts(conn, guild_id, user_id)
                if not facts.present:
                    result.skipped["not in the server"] = result.skipped.get("not in the server", 0) + 1
                    continue
                ok, reason = check_conditions(rule.config.conditions, facts, now)
                if not ok:
                    result.skipped["conditions"] = result.skipped.get("conditions", 0) + 1
                    continue
                result.user_ids.append(user_id)
        return result

    async def _candidates(self, conn: AsyncConnection, rule: Rule, guild_id: int) -> list[int]:
        return [u for u in await ledger_queries.members_with_stats(conn, guild_id) if u != NOTICE_USER]

    async def apply_sync(self, guild_id: int, name: str, *, actor_id: int | None) -> int:
        """Apply a rule retroactively to everyone :meth:`preview` lists (each decision is idempotent)."""
        preview = await self.preview(guild_id, name)
        rule = await self.rule(guild_id, name)
        granted = 0
        for user_id in preview.user_ids:
            async with self.db.begin() as conn:
                await locks.lock_for_write(conn, guild_id, [user_id])
                ids = await self._decide(conn, rule, guild_id, user_id, cause="sync", context={},
                                         now=self.clock.now())
                granted += bool(ids)
        async with self.db.begin() as conn:
            await audit.record(conn, now=self.clock.now(), action="reward.sync", guild_id=guild_id,
                               actor_id=actor_id, details={"rule": name, "members": granted})
        return granted
