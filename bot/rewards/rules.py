"""Reward rules: one model for config rows and command-made rules (both validated by ``RewardConfig``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.platform.config import RewardConfig

# What an event rule's bonus points count as, when the rule names no bonus_kind.
EVENT_KINDS = {"beta_joined": "beta", "first_feedback": "feedback_given", "feedback_shipped": "feedback_shipped",
               "answer_accepted": "answer", "post_featured": "creation"}


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    config: RewardConfig
    origin: str = "command"
    enabled: bool = True
    disabled_reason: str = ""

    @property
    def trigger(self) -> Any:
        return self.config.trigger

    @property
    def role_id(self) -> int | None:
        role = self.config.role
        return role if isinstance(role, int) else None

    @property
    def threshold(self) -> int:
        t = self.trigger
        if t.type == "points":
            return int(t.points)
        if t.type == "kind":
            return int(t.count)
        return 1

    def touches_kind(self, kind: str, ladder_kinds: Callable[[str], set[str]] | None = None) -> bool:
        """Whether a ledger change of ``kind`` can change this rule's outcome (incremental evaluation)."""
        t = self.trigger
        if t.type == "points":
            return True
        if t.type == "kind":
            return t.kind == kind
        if t.type == "ladder_stage":
            kinds = ladder_kinds(t.ladder_stage) if ladder_kinds else {"*"}
            return "*" in kinds or kind in kinds
        return False

    def touches_event(self, name: str) -> bool:
        return self.trigger.type == "event" and self.trigger.event == name

    @property
    def bonus_kind(self) -> str:
        if self.config.bonus_kind:
            return self.config.bonus_kind
        t = self.trigger
        if t.type == "kind":
            return str(t.kind)
        if t.type == "event":
            return EVENT_KINDS.get(str(t.event), "answer")
        return "answer"

    def describe(self) -> str:
        t = self.trigger
        if t.type == "event":
            when = f"on {t.event}"
        elif t.type == "kind":
            when = f"at {t.count} {t.kind} credit{'s' if t.count != 1 else ''}"
        elif t.type == "points":
            scope = f" within {t.window_days} days" if t.window_days else (" this season" if t.season else "")
            when = f"at {t.points} points{scope}"
        else:
            when = f"on reaching the {t.ladder_stage} stage"
        c = self.config
        once = f"repeatable every {c.cooldown_days} days" if c.repeatable else "once per member"
        state = "" if self.enabled else f" — **disabled**: {self.disabled_reason or 'turned off'}"
        return f"**{self.name}**: {when} → {self.gives()} ({once}){state}"

    def gives(self, *, again: bool = False) -> str:
        """What the rule hands out, e.g. ``role <@&1>, a code from storage``. Never a code itself.

        ``again``: what earning it once more gives; a rule that is not repeatable gives only its role (and DM)
        back after a demotion: no second code, no second bonus."""
        gives = []
        c = self.config
        if again and not c.repeatable:
            c = c.model_copy(update={"perk_pool": None, "bonus_points": 0})
        if c.role is not None:
            role = f"<@&{c.role}>" if isinstance(c.role, int) else str(c.role)
            gives.append(f"role {role}" + (f" for {c.role_duration_days} days" if c.role_duration_days else ""))
        if c.perk_pool:
            gives.append(f"a code from {c.perk_pool}")
        if c.dm and not c.perk_pool:
            gives.append("a DM")
        if c.bonus_points:
            gives.append(f"{c.bonus_points} bonus points")
        return ", ".join(gives)


def definition_from_config(config: RewardConfig) -> dict[str, Any]:
    return config.model_dump(mode="json", exclude_defaults=True)


def rule_from_definition(rule_id: int, name: str, definition: dict[str, Any], *, origin: str = "command",
                         enabled: bool = True) -> Rule:
    data = {k: v for k, v in definition.items() if k != "disabled_reason"}
    data["name"] = name
    return Rule(rule_id, name, RewardConfig.model_validate(data, strict=False), origin, enabled,
                str(definition.get("disabled_reason", "")))
