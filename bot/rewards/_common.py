"""Constants and helpers shared by the parts of the rewards service."""

from __future__ import annotations

import logging
import string
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.ledger import LedgerPolicy
from bot.platform.i18n import N_, Translator, translator
from bot.rewards.conditions import MemberFacts

if TYPE_CHECKING:
    from bot.rewards.rules import Rule

log = logging.getLogger(__name__)

ACTIONS = ("role_add", "role_remove", "perk", "dm", "points", "notice")
# Kudos' own DM templates: sent in the member's language (a rule's own ``dm`` text is sent as staff wrote it).
DEFAULT_PERK_DM = N_("Thank you for contributing! Your reward from **{pool}**: ||{code}||")
# To a member whose perk code can't be handed out yet (the pool is out of codes).
WAITING_DM = N_("You earned a code from **{pool}**: it is on its way. The pool is being restocked, and I'll send "
                "it to you as soon as it is (`/perks mine` shows it then).")
OWN_TEMPLATES = frozenset({DEFAULT_PERK_DM, WAITING_DM})
NOTICE_USER = 0
BONUS_SOURCE = "reward:"  # ledger source_key prefix of bonus points paid by a grant: reward:<grant id>

FactsProvider = Callable[[int, int], MemberFacts | None]
Scheduler = Callable[..., Awaitable[Any]]  # TimerScheduler.schedule(event, payload, at=, dedupe_key=, conn=)


# Why a member would not get a rule now (the keys of PreviewResult.skipped, set in _decide.py).
SKIP_REASONS = {"already earned": N_("already earned"), "not in the server": N_("not in the server"),
                "conditions": N_("conditions")}


@dataclass
class PreviewResult:
    rule: str
    user_ids: list[int] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason → members

    def sentence(self, gives: str, tr: Translator | None = None) -> str:
        tr = tr or translator()
        n = len(self.user_ids)
        text = tr.ngettext("{count} member would get {gives}.", "{count} members would get {gives}.", n, gives=gives)
        if self.skipped:
            reasons = ", ".join(f"{tr.number(v)} ({tr(SKIP_REASONS[k]) if k in SKIP_REASONS else k})"
                                for k, v in sorted(self.skipped.items()))
            text += " " + tr("Not eligible: {reasons}.", reasons=reasons)
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


def _action_of(dedupe_key: str) -> str:
    """The action of a rule grant's key (its last part)."""
    return dedupe_key.rsplit(":", 1)[-1]


DEMOTION_KEY = "demote:"  # dedupe key prefix of the role removal a demotion queues: demote:<role grant id>
DROPPED = "dropped: "  # last_error prefix of a grant whose target Discord no longer knows (revoked, not failed)


class _PastGrant(Protocol):
    id: int
    dedupe_key: str
    status: str
    created_at: datetime
    last_error: str | None


def next_earning(rule: Rule, previous: Sequence[_PastGrant], now: datetime) -> int | None:
    """Which earning of ``rule`` the member's next one would be, given their grants of it (oldest first), or
    None when it is not due: earned once already, or repeatable and still in its cooldown.

    A rule earned once may be earned again when every grant of its last earning was revoked (voided,
    rejected), or when it gave a role that a demotion took back or that was dropped at delivery (the member
    was gone): the role then comes back when the member climbs over the threshold again (what else it gave is not given twice, see :func:`given_before`)."""
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
        return last + 1  # voided or rejected: may be earned again
    demoted = {g.dedupe_key.removeprefix(DEMOTION_KEY) for g in previous if g.dedupe_key.startswith(DEMOTION_KEY)}
    roles = [g for g in last_grants if _action_of(g.dedupe_key) == "role_add"]
    if roles and all(g.status == "revoked" and (str(g.id) in demoted or (g.last_error or "").startswith(DROPPED))
                     for g in roles):
        return last + 1  # the role was taken back by a demotion, or never given (dropped): it can be earned again
    return None


# What a rule gives only once, however often it is earned again after a demotion: a perk code is not handed
# out twice and bonus points are not paid twice (the role, and a plain DM with it, come back).
ONCE_ONLY = ("perk", "points")


def given_before(previous: Sequence[_PastGrant]) -> set[str]:
    """The once-only actions (:data:`ONCE_ONLY`) an earlier earning of a rule gave (and were not revoked)."""
    return {action for g in previous if _seq_of(g.dedupe_key) is not None and g.status != "revoked"
            and (action := _action_of(g.dedupe_key)) in ONCE_ONLY}


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
