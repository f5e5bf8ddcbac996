"""The rewards engine: decide grants inside the cause's transaction, track delivery, manage perk pools.

Exactly once
------------
A decision is a set of ``grants`` rows written in the transaction of the contribution or domain event that
caused it (the outbox). Each row has a ``dedupe_key`` (unique): ``rule:<guild>:<rule>:<user>:<n>:<action>``,
where ``n`` is the member's n-th earning of the rule, so concurrent triggers write one grant. Grants from
other features go through :meth:`RewardsService.queue_grant` with their own dedupe key.

The dispatcher (``cogs/rewards``) claims due grants (``pending`` → ``delivering``, one more attempt, with a
claim time so a crashed process's claims are taken up again after ``claim_timeout_seconds``), applies them to
Discord idempotently, and finishes them with :meth:`delivered`, :meth:`retry_later` or :meth:`failed`.

Grant actions and payloads
--------------------------
- ``role_add`` ``{role_id, duration_days?, group?, replaces?: [role ids]}``
- ``role_remove`` ``{role_id, message?}``
- ``perk`` ``{pool, template?, context?}``: a code is claimed for the grant at decision time when stock
  and budget allow, else by the dispatcher once approved / restocked
- ``dm`` ``{template, context?}``
- ``points`` ``{points, kind}``: credited through the ledger with ``source_key = reward:<grant id>``
- ``notice`` ``{text}``: a line for the staff log (user_id 0); never contains a code
"""

from __future__ import annotations

import logging
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.config import RewardConfig, RewardDeliveryConfig
from bot.db import Database
from bot.db import ledger as ledger_repo
from bot.db import rewards as repo
from bot.db.schema import contributions, member_stats
from bot.db.summary import mask_code
from bot.services import audit
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.ledger import ContributionEvent, LedgerPolicy
from bot.services.rewards.codes import CodeImport, parse_codes
from bot.services.rewards.conditions import MemberFacts, check_conditions
from bot.services.rewards.rules import Rule, definition_from_config, rule_from_definition

log = logging.getLogger(__name__)

ACTIONS = ("role_add", "role_remove", "perk", "dm", "points", "notice")
DEFAULT_PERK_DM = "Thank you for contributing! Your reward from **{pool}**: ||{code}||"
NOTICE_USER = 0

FactsProvider = Callable[[int, int], MemberFacts | None]
Scheduler = Callable[..., Awaitable[Any]]  # TimerScheduler.schedule(event, payload, at=, dedupe_key=, conn=)


@dataclass
class PreviewResult:
    rule: str
    user_ids: list[int] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason → members

    def sentence(self, gives: str) -> str:
        n = len(self.user_ids)
        text = f"{n} member{'s' if n != 1 else ''} would get {gives}."
        if self.skipped:
            text += " Not eligible: " + ", ".join(f"{v} ({k})" for k, v in sorted(self.skipped.items())) + "."
        return text


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, context: dict[str, Any]) -> str:
    """Fill ``{name}`` placeholders; unknown names stay as written."""
    try:
        return string.Formatter().vformat(template, (), _Blank(context))
    except (ValueError, IndexError):
        return template


class RewardsService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        policy_for: Callable[[int], LedgerPolicy],
        delivery_for: Callable[[int], RewardDeliveryConfig] = lambda _g: RewardDeliveryConfig(),
        schedule: Scheduler | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policy_for = policy_for
        self.delivery_for = delivery_for
        self.schedule = schedule
        self.facts_provider: FactsProvider | None = None
        # Told the ids of grants written by a transaction (which may not have committed yet).
        self.on_grants: Callable[[list[int]], None] | None = None

    # ------------------------------------------------------------------ rules

    async def rules(self, guild_id: int, *, conn: AsyncConnection | None = None, enabled_only: bool = False
                    ) -> list[Rule]:
        if conn is None:
            async with self.db.connect() as c:
                rows = await repo.rules(c, guild_id, enabled_only=enabled_only)
        else:
            rows = await repo.rules(conn, guild_id, enabled_only=enabled_only)
        out = []
        for row in rows:
            try:
                out.append(rule_from_definition(row.id, row.name, row.definition, origin=row.origin,
                                                enabled=row.enabled))
            except ValueError:
                log.error("reward rule %r of guild %s has an invalid stored definition; skipped", row.name, guild_id)
        return out

    async def rule(self, guild_id: int, name: str) -> Rule:
        async with self.db.connect() as c:
            row = await repo.rule(c, guild_id, name)
        if row is None:
            raise NotFound(f"There is no reward rule called {name!r}. `/rewards rule list` shows them.")
        return rule_from_definition(row.id, row.name, row.definition, origin=row.origin, enabled=row.enabled)

    async def save_rule(
        self, guild_id: int, config: RewardConfig, *, actor_id: int | None, origin: str = "command",
        problems: list[str] | None = None, must_be_new: bool = False, conn: AsyncConnection | None = None,
    ) -> Rule:
        """Store a rule. ``problems`` (from the safety check) store it disabled, with the reason."""
        definition = definition_from_config(config)
        enabled = not problems
        if problems:
            definition["disabled_reason"] = "; ".join(problems)
        now = self.clock.now()

        async def write(c: AsyncConnection) -> int:
            existing = await repo.rule(c, guild_id, config.name)
            if must_be_new and existing is not None:
                raise Conflict(f"A rule called {config.name!r} exists already; use `/rewards rule edit`.")
            rule_id = await repo.save_rule(c, guild_id=guild_id, name=config.name, definition=definition,
                                           origin=origin, enabled=enabled, created_by=actor_id, now=now)
            if existing is None or existing.definition != definition or existing.enabled != enabled:
                await audit.record(c, now=now, action="reward.rule_saved", guild_id=guild_id, actor_id=actor_id,
                                   details={"rule": config.name, "origin": origin, "enabled": enabled,
                                            "problems": problems or []})
            return rule_id

        if conn is None:
            async with self.db.begin() as c:
                rule_id = await write(c)
        else:
            rule_id = await write(conn)
        return rule_from_definition(rule_id, config.name, definition, origin=origin, enabled=enabled)

    async def remove_rule(self, guild_id: int, name: str, *, actor_id: int | None) -> None:
        async with self.db.begin() as c:
            if not await repo.delete_rule(c, guild_id, name):
                raise NotFound(f"There is no reward rule called {name!r}.")
            await audit.record(c, now=self.clock.now(), action="reward.rule_removed", guild_id=guild_id,
                               actor_id=actor_id, details={"rule": name})

    async def sync_config(
        self, guild_id: int, configs: list[tuple[RewardConfig, list[str]]], pools: list[Any]
    ) -> list[Rule]:
        """Make the config's rules and pools the DB's (rules of origin 'config' not in config are removed)."""
        now = self.clock.now()
        async with self.db.begin() as c:
            for pool in pools:
                await repo.save_pool(
                    c, guild_id=guild_id, name=pool.name, now=now, description=pool.description,
                    per_member_limit=pool.per_member_limit, low_stock_warning=pool.low_stock_warning,
                    budget=pool.budget or None, budget_period_days=pool.budget_period_days, origin="config",
                )
            names = {cfg.name for cfg, _ in configs}
            for row in await repo.rules(c, guild_id):
                if row.origin == "config" and row.name not in names:
                    await repo.delete_rule(c, guild_id, row.name)
            saved = [await self.save_rule(guild_id, cfg, actor_id=None, origin="config", problems=problems, conn=c)
                     for cfg, problems in configs]
        return saved

    # ------------------------------------------------------------------ hooks (inside the cause's transaction)

    async def on_contribution(self, conn: AsyncConnection, event: ContributionEvent) -> None:
        rules = await self.rules(event.guild_id, conn=conn, enabled_only=True)
        policy = self.policy_for(event.guild_id)
        relevant = [r for r in rules if r.touches_kind(event.kind, lambda s: _stage_kinds(policy, s))]
        if not relevant:
            return
        now = self.clock.now()
        cause = f"contribution:{event.contribution_id}"
        for rule in relevant:
            value = await self._measure(conn, rule, event.guild_id, event.user_id, now, event=event)
            if value >= rule.threshold and event.points >= 0:
                await self._decide(conn, rule, event.guild_id, event.user_id, cause=cause, context={}, now=now)
            if rule.config.demote:
                await self._watch_demotion(conn, rule, event.guild_id, event.user_id, value, now, cause)

    async def on_event(self, conn: AsyncConnection, event: Any) -> None:
        """A ``DomainEvent`` (beta_joined, first_feedback, …) from another feature's transaction."""
        rules = [r for r in await self.rules(event.guild_id, conn=conn, enabled_only=True)
                 if r.touches_event(event.name)]
        now = self.clock.now()
        context = {k: v for k, v in (event.data or {}).items() if isinstance(v, str | int | float)}
        for rule in rules:
            await self._decide(conn, rule, event.guild_id, event.user_id, cause=f"event:{event.name}",
                               context=context, now=now)

    # ------------------------------------------------------------------ measuring

    async def _measure(self, conn: AsyncConnection, rule: Rule, guild_id: int, user_id: int, now: datetime, *,
                       event: ContributionEvent | None = None) -> int:
        t = rule.trigger
        if t.type == "kind":
            if event is not None and event.kind == t.kind:
                return event.kind_count
            stats = await ledger_repo.stats_for(conn, guild_id, user_id)
            return stats.get((str(t.kind), ""), (0, 0))[1]
        if t.type == "points":
            if t.window_days:
                since = now - timedelta(days=t.window_days)
                result = await conn.execute(
                    select(func.coalesce(func.sum(contributions.c.points), 0)).where(
                        contributions.c.guild_id == guild_id, contributions.c.user_id == user_id,
                        contributions.c.status == "counted", contributions.c.created_at >= since,
                    )
                )
                return int(result.scalar_one())
            if t.season:
                if event is not None:
                    return event.season_points
                season = self.policy_for(guild_id).season_for(now)
                stats = await ledger_repo.stats_for(conn, guild_id, user_id)
                return stats.get(("*", season), (0, 0))[0] if season else 0
            if event is not None:
                return event.total_points
            stats = await ledger_repo.stats_for(conn, guild_id, user_id)
            return stats.get(("*", ""), (0, 0))[0]
        if t.type == "ladder_stage":
            stats = await ledger_repo.stats_for(conn, guild_id, user_id)
            return 1 if _stage_reached(self.policy_for(guild_id), str(t.ladder_stage), stats) else 0
        return 0

    # ------------------------------------------------------------------ deciding

    async def _facts(self, conn: AsyncConnection, guild_id: int, user_id: int) -> MemberFacts:
        if self.facts_provider is not None:
            facts = self.facts_provider(guild_id, user_id)
            if facts is not None:
                return facts
        joined = await ledger_repo.member_joined_at(conn, guild_id, user_id)
        return MemberFacts(user_id, joined_at=joined, role_ids=None)

    async def _decide(
        self, conn: AsyncConnection, rule: Rule, guild_id: int, user_id: int, *, cause: str,
        context: dict[str, Any], now: datetime, facts: MemberFacts | None = None,
    ) -> list[int]:
        """Write the grants of ``rule`` for the member if they are due; returns the new grant ids."""
        seq = await self._next_seq(conn, rule, guild_id, user_id, now)
        if seq is None:
            return []
        facts = facts or await self._facts(conn, guild_id, user_id)
        ok, reason = check_conditions(rule.config.conditions, facts, now)
        if not ok:
            log.debug("rule %s not given to %s in guild %s: %s", rule.name, user_id, guild_id, reason)
            return []
        base = f"rule:{guild_id}:{rule.name}:{user_id}:{seq}"
        created: list[int] = []
        c = rule.config
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
            actions.append(("role_add", payload))
        if c.perk_pool:
            actions.append(("perk", {"pool": c.perk_pool, "template": c.dm or DEFAULT_PERK_DM,
                                     "context": {**ctx, "pool": c.perk_pool}}))
        elif c.dm:
            actions.append(("dm", {"template": c.dm, "context": ctx}))
        if c.bonus_points:
            actions.append(("points", {"points": c.bonus_points, "kind": rule.bonus_kind}))
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
        self._notify(created)
        return created

    async def _next_seq(self, conn: AsyncConnection, rule: Rule, guild_id: int, user_id: int, now: datetime
                        ) -> int | None:
        """Which earning of the rule this would be, or None when not due (once, cooldown)."""
        previous = await repo.rule_grants(conn, guild_id, user_id, rule.name)
        seqs = [_seq_of(g.dedupe_key) for g in previous]
        earnings = {s for s in seqs if s is not None}
        if not earnings:
            return 1
        last = max(earnings)
        last_grants = [g for g, s in zip(previous, seqs, strict=True) if s == last]
        if rule.config.repeatable:
            started = min(g.created_at for g in last_grants)
            if now - started < timedelta(days=rule.config.cooldown_days):
                return None
            return last + 1
        if all(g.status == "revoked" for g in last_grants):
            return last + 1  # demoted or voided: may be earned again
        return None

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

            await bot.services.rewards.queue_grant(
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
                raise NotFound(f"There is no perk pool called {payload['pool']!r}.")
            if pool.per_member_limit and await repo.held_by(conn, pool.id, user_id) >= pool.per_member_limit:
                await audit.record(conn, now=now, action="reward.skipped", guild_id=guild_id, target_id=user_id,
                                   details={"rule": rule_name, "reason": f"holds {pool.per_member_limit} code(s) "
                                            f"of {pool.name} already (per-member limit)"})
                return None
            if hold is None and budget and pool.budget is not None:
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
            await self.notice(conn, guild_id, f"A {payload['pool']} code for <@{user_id}> ({rule_name}) is over the "
                              f"pool's budget and waits for approval (grant #{grant_id}).",
                              key=f"approval:{grant_id}", approve_grant=grant_id)
        if notify:
            self._notify([grant_id])
        return grant_id

    async def _claim(self, conn: AsyncConnection, guild_id: int, pool_name: str, user_id: int, grant_id: int,
                     now: datetime) -> repo.Code | None:
        pool = await repo.pool(conn, guild_id, pool_name)
        if pool is None:
            return None
        code = await repo.claim_code(conn, pool.id, user_id=user_id, grant_id=grant_id, now=now)
        left = await repo.available(conn, pool.id, now=now)
        if code is None:
            if await repo.mark_low_stock_alerted(conn, pool.id):
                await self.notice(conn, guild_id, f"Perk pool **{pool.name}** is out of codes; rewards wait "
                                  "until `/perks add-codes` restocks it.", key=f"stock:{pool.id}:{now.isoformat()}")
        elif pool.low_stock_warning and left < pool.low_stock_warning:
            if await repo.mark_low_stock_alerted(conn, pool.id):
                await self.notice(conn, guild_id, f"Perk pool **{pool.name}** is running low: {left} code"
                                  f"{'s' if left != 1 else ''} left.", key=f"stock:{pool.id}:{now.isoformat()}")
        return code

    async def notice(self, conn: AsyncConnection, guild_id: int, text: str, *, key: str,
                     approve_grant: int | None = None) -> int | None:
        """Queue a staff-log line (delivered by the dispatcher, once)."""
        payload: dict[str, Any] = {"text": text}
        if approve_grant is not None:
            payload["approve_grant"] = approve_grant
        return await self.queue_grant(conn, guild_id=guild_id, user_id=NOTICE_USER, action="notice",
                                      payload=payload, dedupe_key=f"notice:{guild_id}:{key}"[:200],
                                      rule_name="staff notice")

    def _notify(self, ids: list[int]) -> None:
        if ids and self.on_grants is not None:
            self.on_grants(list(ids))

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
            prefix = f"rewards:demote:{grant.id}:"
            if value < line:
                if self.schedule is not None and not await repo.pending_timer_like(conn, prefix):
                    await self.schedule(
                        "rewards.demote", {"grant_id": grant.id}, at=now + timedelta(days=delivery.demote_after_days),
                        dedupe_key=f"{prefix}{cause}"[:200], conn=conn,
                    )
            else:
                await repo.cancel_timers_like(conn, prefix, now=now)

    async def demote_due(self, grant_id: int) -> bool:
        """Timer: the member stayed below the line long enough; take the role back (with a DM)."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
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
            await repo.set_values(conn, grant.id, status="revoked", last_error="demoted: below the threshold")
            await audit.record(conn, now=now, action="reward.revoked", guild_id=grant.guild_id,
                               target_id=grant.user_id, details={"grant": grant.id, "rule": grant.rule_name,
                                                                 "reason": "demoted"})
            message = (f"Your reward role from **{rule.name}** was removed: you have stayed below the threshold "
                       f"for {self.delivery_for(grant.guild_id).demote_after_days} days. Earn it back any time!")
            await self.queue_grant(conn, guild_id=grant.guild_id, user_id=grant.user_id, action="role_remove",
                                   payload={"role_id": grant.payload["role_id"], "message": message},
                                   dedupe_key=f"demote:{grant.id}", rule_name=grant.rule_name, cause="demotion")
        return True

    async def expire_due(self, grant_id: int) -> bool:
        """Timer: a temporary role's time is up."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            grant = await repo.grant(conn, grant_id)
            if grant is None or grant.status != "delivered":
                return False
            role_id = grant.payload["role_id"]
            others = [g for g in await repo.earned_roles(conn, grant.guild_id, now=now, user_id=grant.user_id)
                      if g.id != grant.id and g.payload.get("role_id") == role_id]
            await audit.record(conn, now=now, action="reward.expired", guild_id=grant.guild_id,
                               target_id=grant.user_id, details={"grant": grant.id, "rule": grant.rule_name})
            if others:
                return False  # earned again meanwhile: keep the role
            await self.queue_grant(conn, guild_id=grant.guild_id, user_id=grant.user_id, action="role_remove",
                                   payload={"role_id": role_id}, dedupe_key=f"expire:{grant.id}",
                                   rule_name=grant.rule_name, cause="expiry")
        return True

    # ------------------------------------------------------------------ dispatch state transitions

    async def claim(self, *, limit: int = 50, ids: list[int] | None = None) -> list[repo.Grant]:
        now = self.clock.now()
        stale = now - timedelta(seconds=self._claim_timeout())
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            return await repo.claim_batch(conn, now=now, stale_before=stale, limit=limit, ids=ids)

    def _claim_timeout(self) -> float:
        return self.delivery_for(0).claim_timeout_seconds

    async def code_for(self, grant: repo.Grant) -> repo.Code | None:
        """The code of a perk grant, claiming one now if the decision could not (empty pool, approval)."""
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            existing = await repo.code_for_grant(conn, grant.id)
            if existing is not None:
                return existing
            return await self._claim(conn, grant.guild_id, str(grant.payload["pool"]), grant.user_id, grant.id,
                                     self.clock.now())

    async def record_message(self, grant_id: int, message_id: int) -> None:
        async with self.db.begin() as conn:
            await repo.set_values(conn, grant_id, message_id=message_id)

    async def delivered(self, grant: repo.Grant, *, note: str | None = None, message_id: int | None = None) -> bool:
        now = self.clock.now()
        values: dict[str, Any] = {"status": "delivered", "delivered_at": now, "last_error": note,
                                  "claimed_at": None}
        if message_id is not None:
            values["message_id"] = message_id
        duration = grant.payload.get("duration_days") if grant.action == "role_add" else None
        if duration:
            values["expires_at"] = now + timedelta(days=int(duration))
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            if not await repo.finish(conn, grant.id, **values):
                return False
            if duration and self.schedule is not None:
                await self.schedule("rewards.expire", {"grant_id": grant.id}, at=values["expires_at"],
                                    dedupe_key=f"rewards:expire:{grant.id}", conn=conn)
            if grant.action == "role_add" and grant.payload.get("replaces"):
                replaced = set(grant.payload["replaces"])
                for other in await repo.earned_roles(conn, grant.guild_id, now=now, user_id=grant.user_id):
                    if other.payload.get("role_id") in replaced:
                        await repo.set_values(conn, other.id, status="revoked",
                                              last_error=f"replaced by {grant.rule_name}")
            if grant.action != "notice":
                await audit.record(conn, now=now, action="reward.delivered", guild_id=grant.guild_id,
                                   target_id=grant.user_id, details={"grant": grant.id, "rule": grant.rule_name,
                                                                     "action": grant.action, "note": note})
        return True

    async def delivered_many(self, done: list[tuple[repo.Grant, str | None]]) -> None:
        """Finish many plain grants (no DM, no replaced roles) in one transaction; see :meth:`delivered`."""
        if not done:
            return
        now = self.clock.now()
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            plain = [g for g, note in done if note is None and not g.payload.get("duration_days")]
            if plain:
                ids = [g.id for g in plain]
                for start in range(0, len(ids), 500):
                    await conn.execute(
                        repo.update(repo.grants)
                        .where(repo.grants.c.id.in_(ids[start:start + 500]), repo.grants.c.status == "delivering")
                        .values(status="delivered", delivered_at=now, last_error=None, claimed_at=None)
                    )
                await conn.execute(repo.insert(repo.audit_log), [
                    {"guild_id": g.guild_id, "actor_id": None, "action": "reward.delivered", "target_id": g.user_id,
                     "details": {"grant": g.id, "rule": g.rule_name, "action": g.action, "note": None},
                     "created_at": now} for g in plain
                ])
        for grant, note in done:
            if note is not None or grant.payload.get("duration_days"):
                await self.delivered(grant, note=note)

    async def retry_later(self, grant: repo.Grant, error: str, *, delay: float | None = None) -> str:
        """A transient failure: back to pending with back-off, or failed after ``max_attempts``."""
        delivery = self.delivery_for(grant.guild_id)
        if grant.attempts >= delivery.max_attempts:
            await self.failed(grant, f"{error} (gave up after {grant.attempts} attempts)")
            return "failed"
        wait = delay if delay is not None else delivery.retry_base_seconds * (2 ** max(grant.attempts - 1, 0))
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            await repo.finish(conn, grant.id, status="pending", claimed_at=None, last_error=error[:500],
                              next_attempt_at=self.clock.now() + timedelta(seconds=wait))
        return "pending"

    async def failed(self, grant: repo.Grant, reason: str) -> None:
        now = self.clock.now()
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            if not await repo.finish(conn, grant.id, status="failed", claimed_at=None, last_error=reason[:500]):
                return
            if grant.action != "notice":
                await audit.record(conn, now=now, action="reward.failed", guild_id=grant.guild_id,
                                   target_id=grant.user_id, details={"grant": grant.id, "rule": grant.rule_name,
                                                                     "action": grant.action, "reason": reason[:300]})
                await self.notice(conn, grant.guild_id, f"Reward **{grant.rule_name}** ({grant.action}) for "
                                  f"<@{grant.user_id}> failed: {reason[:300]}", key=f"failed:{grant.id}")

    async def next_due_at(self) -> datetime | None:
        async with self.db.connect() as conn:
            return await repo.next_due_at(conn)

    async def retry(self, guild_id: int, grant_id: int, *, actor_id: int | None) -> repo.Grant:
        """Staff: try a failed grant again."""
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            grant = await repo.grant(conn, grant_id)
            if grant is None or grant.guild_id != guild_id:
                raise NotFound(f"There is no grant #{grant_id} in this server.")
            if grant.status != "failed":
                raise Conflict(f"Grant #{grant_id} is {grant.status}; only failed grants can be retried.")
            await repo.set_values(conn, grant_id, status="pending", attempts=0, next_attempt_at=None, last_error=None)
            await audit.record(conn, now=self.clock.now(), action="reward.retry", guild_id=guild_id,
                               actor_id=actor_id, target_id=grant.user_id, details={"grant": grant_id})
        self._notify([grant_id])
        return grant

    async def redeliver(self, conn: AsyncConnection, grant: repo.Grant, *, reason: str) -> None:
        """Put a delivered role grant back in the queue (rejoin, reconciliation re-add)."""
        await repo.set_values(conn, grant.id, status="pending", attempts=0, next_attempt_at=None,
                              last_error=reason[:500])
        await audit.record(conn, now=self.clock.now(), action="reward.redeliver", guild_id=grant.guild_id,
                           target_id=grant.user_id, details={"grant": grant.id, "reason": reason})

    async def accept_drift(self, conn: AsyncConnection, grant: repo.Grant, *, reason: str) -> None:
        await repo.set_values(conn, grant.id, status="revoked", last_error=reason[:500])
        await audit.record(conn, now=self.clock.now(), action="reward.revoked", guild_id=grant.guild_id,
                           target_id=grant.user_id, details={"grant": grant.id, "reason": reason})

    async def approve(self, guild_id: int, grant_id: int, *, actor_id: int, approve: bool) -> repo.Grant:
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            grant = await repo.grant(conn, grant_id)
            if grant is None or grant.guild_id != guild_id:
                raise NotFound(f"There is no grant #{grant_id} in this server.")
            if grant.status != "pending" or grant.hold is None:
                raise Conflict(f"Grant #{grant_id} is not waiting for approval (it is {grant.status}).")
            if approve:
                await repo.set_values(conn, grant_id, hold=None)
            else:
                await repo.set_values(conn, grant_id, status="revoked", hold=None, last_error="rejected by staff")
            await audit.record(conn, now=self.clock.now(), action="reward.approved" if approve else "reward.revoked",
                               guild_id=guild_id, actor_id=actor_id, target_id=grant.user_id,
                               details={"grant": grant_id, "rule": grant.rule_name,
                                        **({} if approve else {"reason": "rejected by staff"})})
        if approve:
            self._notify([grant_id])
        return grant

    async def history(self, guild_id: int, user_id: int, *, limit: int = 20) -> list[repo.Grant]:
        async with self.db.connect() as conn:
            return await repo.history(conn, guild_id, user_id, limit=limit)

    async def earned_roles(self, guild_id: int, *, user_id: int | None = None) -> list[repo.Grant]:
        async with self.db.connect() as conn:
            return await repo.earned_roles(conn, guild_id, now=self.clock.now(), user_id=user_id)

    # ------------------------------------------------------------------ retroactive sync

    async def preview(self, guild_id: int, name: str) -> PreviewResult:
        """Who would get the rule now (trigger met, conditions met, not earned yet)."""
        rule = await self.rule(guild_id, name)
        if not rule.enabled:
            raise Conflict(f"Rule {name!r} is disabled: {rule.disabled_reason or 'turned off'}.")
        if rule.trigger.type == "event":
            raise InvalidInput(f"Rule {name!r} reacts to {rule.trigger.event} events, which can't be replayed; "
                               "only threshold and ladder rules can be applied retroactively.")
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
        rows = await conn.execute(
            select(member_stats.c.user_id).where(member_stats.c.guild_id == guild_id).distinct()
            .order_by(member_stats.c.user_id)
        )
        return [int(r[0]) for r in rows if r[0] != NOTICE_USER]

    async def apply_sync(self, guild_id: int, name: str, *, actor_id: int | None) -> int:
        """Apply a rule retroactively to everyone :meth:`preview` lists (each decision is idempotent)."""
        preview = await self.preview(guild_id, name)
        rule = await self.rule(guild_id, name)
        granted = 0
        for user_id in preview.user_ids:
            async with self.db.begin() as conn:
                await ledger_repo.lock_for_write(conn, guild_id, [user_id])
                ids = await self._decide(conn, rule, guild_id, user_id, cause="sync", context={},
                                         now=self.clock.now())
                granted += bool(ids)
        async with self.db.begin() as conn:
            await audit.record(conn, now=self.clock.now(), action="reward.sync", guild_id=guild_id,
                               actor_id=actor_id, details={"rule": name, "members": granted})
        return granted

    # ------------------------------------------------------------------ perk pools

    async def create_pool(self, guild_id: int, name: str, *, description: str = "", per_member_limit: int = 0,
                          low_stock_warning: int = 5, budget: int = 0, budget_period_days: int = 30,
                          actor_id: int | None) -> repo.Pool:
        from bot.config.base import _POOL_NAME

        if not _POOL_NAME.match(name) or len(name) > 64:
            raise InvalidInput("A pool name uses only lowercase letters, digits and '-' (up to 64), e.g. `beta-storage`.")
        if min(per_member_limit, low_stock_warning, budget) < 0 or budget_period_days < 1:
            raise InvalidInput("Limits can't be negative, and the budget period is at least 1 day.")
        async with self.db.begin() as conn:
            if await repo.pool(conn, guild_id, name) is not None:
                raise Conflict(f"A perk pool called {name!r} exists already.")
            pool = await repo.save_pool(conn, guild_id=guild_id, name=name, now=self.clock.now(),
                                        description=description[:300], per_member_limit=per_member_limit,
                                        low_stock_warning=low_stock_warning, budget=budget or None,
                                        budget_period_days=budget_period_days, origin="command")
            await audit.record(conn, now=self.clock.now(), action="perk.pool_created", guild_id=guild_id,
                               actor_id=actor_id, details={"pool": name})
        return pool

    async def add_codes(self, guild_id: int, pool_name: str, data: bytes, filename: str, *, actor_id: int | None
                        ) -> tuple[CodeImport, int]:
        """Import codes all-or-nothing; returns the parse report and how many were added (0 on any problem)."""
        report = parse_codes(data, filename)
        async with self.db.begin() as conn:
            pool = await repo.pool(conn, guild_id, pool_name)
            if pool is None:
                raise NotFound(f"There is no perk pool called {pool_name!r}; create it with `/perks pool create`.")
            known = await repo.existing_codes(conn, pool.id, [c for c, _ in report.codes])
            for code, _ in report.codes:
                if code in known:
                    report.duplicates.append(f"{mask_code(code)} is already in {pool_name}")
            if not report.ok:
                return report, 0
            added = await repo.add_codes(conn, pool.id, report.codes, now=self.clock.now())
            await audit.record(conn, now=self.clock.now(), action="perk.codes_added", guild_id=guild_id,
                               actor_id=actor_id, details={"pool": pool_name, "count": added})
        await self._requeue_out_of_stock(guild_id)
        return report, added

    async def _requeue_out_of_stock(self, guild_id: int) -> None:
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            ids = await repo.requeue_waiting_perks(conn, guild_id)
        self._notify(ids)

    async def member_codes(self, guild_id: int, user_id: int) -> list[tuple[repo.Code, str]]:
        async with self.db.connect() as conn:
            return await repo.member_codes(conn, guild_id, user_id)

    async def mark_notified(self, guild_id: int, user_id: int) -> int:
        async with self.db.begin() as conn:
            grants = await repo.unnotified_closed_dm(conn, guild_id, user_id)
            for g in grants:
                await repo.set_values(conn, g.id, notified_at=self.clock.now())
        return len(grants)

    async def unnotified(self, guild_id: int, user_id: int) -> list[repo.Grant]:
        async with self.db.connect() as conn:
            return await repo.unnotified_closed_dm(conn, guild_id, user_id)

    async def void(self, guild_id: int, code_id: int, *, actor_id: int, reason: str, reissue: bool) -> int | None:
        """Void a handed-out code; with ``reissue`` queue a fresh code for the same member."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            await ledger_repo.lock_for_write(conn, 0, [])
            code = await repo.code(conn, guild_id, code_id)
            if code is None:
                raise NotFound(f"There is no perk code #{code_id} in this server.")
            if code.voided_at is not None:
                raise Conflict(f"Code #{code_id} was voided already.")
            await repo.void_code(conn, code_id, now=now, reason=reason or "voided by staff")
            await audit.record(conn, now=now, action="perk.voided", guild_id=guild_id, actor_id=actor_id,
                               target_id=code.assigned_to, details={"code_id": code_id, "reason": reason,
                                                                    "code": mask_code(code.code)})
            if not reissue:
                return None
            if code.assigned_to is None:
                raise Conflict(f"Code #{code_id} was never handed out, so there is nobody to reissue to.")
            pool = await repo.pool_by_id(conn, code.pool_id)
            assert pool is not None
            original = await repo.grant(conn, code.grant_id) if code.grant_id else None
            template = original.payload.get("template", DEFAULT_PERK_DM) if original else DEFAULT_PERK_DM
            context = original.payload.get("context", {}) if original else {"pool": pool.name}
            return await self.queue_grant(
                conn, guild_id=guild_id, user_id=code.assigned_to, action="perk",
                payload={"pool": pool.name, "template": template, "context": context},
                dedupe_key=f"reissue:{code_id}", rule_name=original.rule_name if original else f"reissue:{pool.name}",
                cause=f"reissue:{code_id}", budget=False,
            )

    async def pool_stock(self, guild_id: int) -> list[tuple[repo.Pool, int]]:
        async with self.db.connect() as conn:
            return [(p, await repo.available(conn, p.id, now=self.clock.now())) for p in await repo.pools(conn, guild_id)]


# ---------------------------------------------------------------------- helpers


def _seq_of(dedupe_key: str) -> int | None:
    """The earning number of a rule grant's key ``rule:<guild>:<rule>:<user>:<n>:<action>``."""
    if not dedupe_key.startswith("rule:"):
        return None
    parts = dedupe_key.rsplit(":", 2)
    try:
        return int(parts[-2])
    except (ValueError, IndexError):
        return None


def _stage_kinds(policy: LedgerPolicy, stage_name: str) -> set[str]:
    stages = list(policy.ladder)
    names = [s.name for s in stages]
    if stage_name not in names:
        return set()
    kinds: set[str] = set()
    for stage in stages[: names.index(stage_name) + 1]:
        for req in (*stage.all_of, *stage.any_of):
            kinds |= set(req.kinds)
    return kinds


def _stage_reached(policy: LedgerPolicy, stage_name: str, stats: dict[tuple[str, str], tuple[int, int]]) -> bool:
    all_time = {kind: value for (kind, season), value in stats.items() if season == ""}
    names = [s.name for s in policy.ladder]
    if stage_name not in names:
        return False
    stage = policy.ladder[names.index(stage_name)]
    return stage.reached(all_time)
