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

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger import ContributionEvent, LedgerPolicy
from bot.platform import audit
from bot.platform.clock import Clock
from bot.platform.config import RewardConfig, RewardDeliveryConfig
from bot.platform.db import Database
from bot.platform.deferred import said
from bot.platform.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.platform.events import Outbound, Signal
from bot.platform.i18n import N_
from bot.rewards import store as repo
from bot.rewards._common import (
    ACTIONS,
    BONUS_SOURCE,
    FactsProvider,
    PreviewResult,
    Scheduler,
    _stage_kinds,
    log,
    render,
)
from bot.rewards._decide import _Decisions
from bot.rewards._delivery import OnDelivered, _Delivery
from bot.rewards._pools import _Pools
from bot.rewards._roles import _Roles
from bot.rewards.marks import MemberMarks
from bot.rewards.progress import _Progress
from bot.rewards.rules import (
    DISABLED_KEYS,
    Rule,
    definition_from_config,
    disabled_entries,
    rule_from_definition,
)


class RewardsService(_Decisions, _Delivery, _Pools, _Progress, _Roles):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        policy_for: Callable[[int], LedgerPolicy],
        delivery_for: Callable[[int], RewardDeliveryConfig] = lambda _g: RewardDeliveryConfig(),
        schedule: Scheduler | None = None,
        member_facts: FactsProvider | None = None,
        marks_key: bytes | None = None,
        outbound: Callable[[AsyncConnection, Outbound], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.outbound = outbound  # grant.delivered / grant.failed (webhooks), in the grant's transaction
        self.clock = clock
        self.policy_for = policy_for
        self.delivery_for = delivery_for
        self.schedule = schedule
        # Erasure-proof marks of the rules members earned and the codes they hold (bot/rewards/marks.py);
        # ``marks_key`` is derived from the server secret (None: a random key, for this process only).
        self.marks = MemberMarks(marks_key)
        self._bar_windows: dict[int, tuple[int, ...]] = {}
        # What Discord's cache says of a member (roles, join time), for rule conditions; None: nothing known.
        self.facts_provider: FactsProvider | None = member_facts
        # Told of every delivered grant in its delivering transaction (the give-back ledger, bot.giveback):
        # ``(conn, guild_id, user_id, action, grant_id, rule_name)``.
        self.on_delivered: OnDelivered | None = None
        # Sent the ids of grants written by a transaction (which may not have committed yet): the Discord side
        # connects its deliverer here.
        self.grants_written: Signal[list[int]] = Signal("rewards.grants_written")

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
            raise NotFound(N_("There is no reward rule called {name}. `/rewards rule list` shows them."),
                           name=repr(name))
        return rule_from_definition(row.id, row.name, row.definition, origin=row.origin, enabled=row.enabled)

    async def save_rule(
        self, guild_id: int, config: RewardConfig, *, actor_id: int | None, origin: str = "command",
        problems: list[str] | None = None, must_be_new: bool = False, conn: AsyncConnection | None = None,
    ) -> Rule:
        """Store a rule. ``problems`` (from the safety check) store it disabled, with the reason."""
        definition = definition_from_config(config)
        enabled = not problems
        if problems:
            definition.update(disabled_entries(problems))
        now = self.clock.now()

        async def write(c: AsyncConnection) -> int:
            existing = await repo.rule(c, guild_id, config.name)
            if must_be_new and existing is not None:
                raise Conflict(N_("A rule called {config_name} exists already; use `/rewards rule edit`."),
                               config_name=repr(config.name))
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

    async def check_rule(self, guild_id: int, config: RewardConfig) -> None:
        """What a staff-made rule must meet beyond its model (``/rewards rule add|edit`` and the dashboard): its
        perk pool exists."""
        if config.perk_pool:
            pools = {p.name for p, _ in await self.pool_stock(guild_id)}
            if config.perk_pool not in pools:
                raise InvalidInput(N_("There is no perk pool called {perk_pool}; create it with `/perks pool "
                                      "create` first."),
                                   perk_pool=repr(config.perk_pool))

    async def set_rule_enabled(self, guild_id: int, name: str, enabled: bool, *, actor_id: int | None) -> Rule:
        """Turn a staff-made rule off (it earns nothing until turned on; grants already given stay) or on again.
        A config file's rule is changed in the file. The caller checks the role can be handed out before
        turning a rule on."""
        now = self.clock.now()
        async with self.db.begin() as c:
            row = await repo.rule(c, guild_id, name)
            if row is None:
                raise NotFound(N_("There is no reward rule called {name}. `/rewards rule list` shows them."),
                               name=repr(name))
            if row.origin == "config":
                raise NotAllowed(N_("Rule {name} comes from the config file; change it there."),
                                 name=repr(name))
            if row.enabled == enabled:
                raise Conflict(N_("Rule {name} is {value} already."),
                               name=repr(name), value='on' if enabled else 'off')
            definition = {k: v for k, v in row.definition.items() if k not in DISABLED_KEYS}
            if not enabled:
                definition.update(disabled_entries([said(N_("turned off by staff"))]))
            await repo.save_rule(c, guild_id=guild_id, name=name, definition=definition, origin=row.origin,
                                 enabled=enabled, created_by=actor_id, now=now)
            await audit.record(c, now=now, action="reward.rule_enabled" if enabled else "reward.rule_disabled",
                               guild_id=guild_id, actor_id=actor_id, details={"rule": name})
        return rule_from_definition(row.id, name, definition, origin=row.origin, enabled=enabled)

    async def remove_rule(self, guild_id: int, name: str, *, actor_id: int | None) -> None:
        async with self.db.begin() as c:
            if not await repo.delete_rule(c, guild_id, name):
                raise NotFound(N_("There is no reward rule called {name}."), name=repr(name))
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
        # Higher rungs of a replace group first: the lower ones are then not earned at all.
        relevant.sort(key=lambda r: -self._rank(r, event.guild_id) if r.config.replace_in_group else 0)
        now = self.clock.now()
        cause = f"contribution:{event.contribution_id}"
        # Bonus points a reward paid (source ``reward:<grant id>``) may complete other rules, but never earn a
        # repeatable rule again: a rule paying bonus points would otherwise re-earn itself without end.
        bonus = event.source_key.startswith(BONUS_SOURCE)
        for rule in relevant:
            value = await self._measure(conn, rule, event.guild_id, event.user_id, now, event=event)
            if value >= rule.threshold and event.points >= 0:
                await self._decide(conn, rule, event.guild_id, event.user_id, cause=cause, context={}, now=now,
                                   first_only=bonus)
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


__all__ = ["ACTIONS", "FactsProvider", "PreviewResult", "RewardsService", "render"]
