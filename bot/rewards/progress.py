"""How far a member is from the next reward they can still earn (the progress bar of ``/profile``).

Only threshold rules have a distance: a ``points`` trigger (all time, this season, or a rolling window of
``window_days``) or a ``kind`` + ``count`` trigger. Event and ladder-stage rules are left out. A rule is
still open to the member when :func:`next_earning` says its next earning is due (never earned, earned and
revoked, or repeatable and past its cooldown) and their roles don't rule it out. The nearest open rule is
the one with the smallest gap relative to its threshold.

Cheap on purpose (``/profile`` is a hot path): the member's totals come from the profile already read, and
so do the sums of the rolling windows when the caller asked the profile for :meth:`windows_of`; this adds
one statement (:mod:`bot.rewards.progress_store`: the guild's enabled rules with the member's grants of them,
and the rules their mark earned before an erasure, :mod:`bot.rewards.marks`), read on the loop
(``Database.read``), plus one per rolling window the profile did not sum that may hold the nearest reward (the
first ``/profile`` of a guild, or after its rules changed). A stored rule is validated once per definition.
Nothing here ever reads a perk code.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.ledger import LedgerPolicy, Profile
from bot.ledger import queries as ledger_queries
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.i18n import Translator
from bot.rewards import progress_store
from bot.rewards import store as repo
from bot.rewards._common import FactsProvider, log, next_earning
from bot.rewards.conditions import MemberFacts, check_conditions
from bot.rewards.marks import MemberMarks, earning_after_erasure
from bot.rewards.rules import Rule, rule_from_definition

THRESHOLD_TRIGGERS = ("points", "kind")


@dataclass(frozen=True, slots=True)
class RewardProgress:
    """Progress toward one rule: ``current`` of ``target`` ``unit``s (``scope``: "", " this season",
    " within 7 days"). ``again``: the member earned it before (a repeatable rule past its cooldown, or a
    revoked reward)."""

    rule: str
    gives: str
    unit: str
    scope: str
    current: int
    target: int
    again: bool = False
    kind: str | None = None  # the kind a kind+count rule counts
    window_days: int = 0  # a rolling window's days (``scope`` in English), 0 for none
    season: bool = False  # counted this season
    says_gives: Callable[..., str] | None = field(default=None, compare=False, repr=False)  # gives(tr=...)

    def gives_in(self, tr: Translator) -> str:
        """What the reward gives, in ``tr``'s language (``gives`` is the English text)."""
        return self.says_gives(tr=tr) if self.says_gives is not None else self.gives

    @property
    def fraction(self) -> float:
        return min(max(self.current / self.target, 0.0), 1.0) if self.target > 0 else 1.0

    @property
    def remaining(self) -> int:
        return max(self.target - self.current, 0)

    @property
    def gap(self) -> float:
        """What is left, relative to the threshold (0 = reached)."""
        return self.remaining / self.target if self.target > 0 else 0.0


@dataclass(frozen=True, slots=True)
class NextReward:
    """``state``:

    - ``none``: the guild has no enabled threshold rule (nothing to show);
    - ``all_earned``: the member holds every threshold reward (repeatable ones in their cooldown);
    - ``none_left``: some are not earned, but none is open to the member now (their roles rule it out, or
      a season rule while no season runs);
    - ``next``: ``progress`` is the nearest one.
    """

    state: Literal["none", "all_earned", "none_left", "next"]
    progress: RewardProgress | None = None


def _roles_allow(rule: Rule, facts: MemberFacts | None, now: datetime) -> bool:
    """False only when the member's known roles rule the reward out; ages only grow, so they never do."""
    cond = rule.config.conditions
    if facts is None or facts.role_ids is None or not (cond.has_role or cond.lacks_role):
        return True
    if cond.mode == "any" and (cond.min_account_age_days or cond.min_membership_days):
        return True  # an age condition may be met later, which is enough in "any" mode
    roles_only = cond.model_copy(update={"min_account_age_days": 0, "min_membership_days": 0})
    return check_conditions(roles_only, facts, now)[0]


def _progress(rule: Rule, profile: Profile, windows: dict[int, int], again: bool) -> RewardProgress:
    t = rule.trigger
    says = functools.partial(rule.gives, again=again)
    if t.type == "kind":
        return RewardProgress(rule.name, rule.gives(again=again), f"{t.kind} credit", "", profile.counts_by_kind.get(str(t.kind), 0),
                              int(t.count), again, kind=str(t.kind), says_gives=says)
    if t.window_days:
        current, scope = windows[int(t.window_days)], f" within {t.window_days} days"
    elif t.season:
        current, scope = profile.season_points, " this season"
    else:
        current, scope = profile.total_points, ""
    return RewardProgress(rule.name, rule.gives(again=again), "point", scope, current, int(t.points), again,
                          window_days=int(t.window_days or 0), season=bool(t.season) and not t.window_days,
                          says_gives=says)


def nearest(candidates: list[RewardProgress]) -> RewardProgress:
    """The smallest gap relative to its threshold; ties go to the smaller threshold, then the name."""
    return min(candidates, key=lambda p: (p.gap, p.remaining, p.target, p.rule))


class _Progress:
    """Part of :class:`bot.rewards.RewardsService` (shares its attributes)."""

    db: Database
    clock: Clock
    policy_for: Callable[[int], LedgerPolicy]
    facts_provider: FactsProvider | None
    marks: MemberMarks
    _bar_windows: dict[int, tuple[int, ...]]  # {guild: its rules' rolling windows}, see windows_of

    def windows_of(self, guild_id: int) -> tuple[int, ...]:
        """The rolling windows (days) of the guild's threshold rules as last seen here: ask
        ``LedgerService.profile`` for them, and :meth:`next_reward` needs no statement of its own for them (a
        window it lacks it sums itself)."""
        return self._bar_windows.get(guild_id, ())

    async def next_reward(self, guild_id: int, user_id: int, profile: Profile) -> NextReward:
        """The nearest reward ``user_id`` can still earn, measured from ``profile`` (their ledger profile)."""
        now = self.clock.now()
        mark = self.marks.of(guild_id, user_id)
        data = await self.db.read(lambda conn: progress_store.bar_data(conn, guild_id, user_id, mark))
        rules: list[tuple[Rule, list[repo.PastGrant]]] = []
        for row, past in data.rules:
            try:
                rule = _parsed(row.id, row.name, row.origin, json.dumps(row.definition, sort_keys=True))
            except ValueError:
                log.error("reward rule %r of guild %s has an invalid stored definition; skipped", row.name, guild_id)
                continue
            if rule.trigger.type in THRESHOLD_TRIGGERS:
                rules.append((rule, past))
        self._bar_windows[guild_id] = tuple(sorted({int(r.trigger.window_days) for r, _ in rules
                                                    if r.trigger.type == "points" and r.trigger.window_days}))
        if not rules:
            return NextReward("none")
        facts = self.facts_provider(guild_id, user_id) if self.facts_provider is not None else None

        def due(rule: Rule, past: list[repo.PastGrant]) -> int | None:
            if past:
                return next_earning(rule, past, now)
            return earning_after_erasure(rule, data.earned.get(rule.name), now)

        open_rules: list[tuple[Rule, bool]] = []
        for rule, past in rules:
            seq = due(rule, past)
            if seq is not None and (profile.season or not rule.trigger.season) and _roles_allow(rule, facts, now):
                open_rules.append((rule, seq > 1))
        if not open_rules:
            earned = sum(due(rule, past) is None for rule, past in rules)
            return NextReward("all_earned" if earned == len(rules) else "none_left")
        exact = [_progress(rule, profile, {}, again) for rule, again in open_rules if not rule.trigger.window_days]
        best = nearest(exact).gap if exact else None
        windows: dict[int, int] = {}
        for rule, _again in open_rules:
            days = rule.trigger.window_days
            if not days or days in windows:
                continue
            if days in profile.window_points:  # summed with the profile, in its statement
                windows[days] = profile.window_points[days]
                continue
            # Points within a window never exceed all-time points (older rows sum to >= 0): when even
            # that bound leaves a larger gap than the best exact one, the window sum is not needed.
            if best is not None and max(rule.threshold - profile.total_points, 0) / rule.threshold > best:
                continue
            since = now - timedelta(days=days)
            windows[days] = await self.db.read(
                lambda conn, since=since: ledger_queries.counted_points_since(conn, guild_id, user_id, since))
        candidates = exact + [_progress(rule, profile, windows, again) for rule, again in open_rules
                              if rule.trigger.window_days in windows]
        return NextReward("next", nearest(candidates))


@functools.lru_cache(maxsize=2048)
def _parsed(rule_id: int, name: str, origin: str, definition: str) -> Rule:
    """A stored rule, validated once per (rule, definition) rather than on every ``/profile``."""
    return rule_from_definition(rule_id, name, json.loads(definition), origin=origin)
