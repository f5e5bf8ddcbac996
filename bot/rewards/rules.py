"""Reward rules: one model for config rows and command-made rules (both validated by ``RewardConfig``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.platform.config import RewardConfig
from bot.platform.deferred import Said, joined, render, said
from bot.platform.i18n import N_, Translator, translator

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
    disabled_reason: str = ""  # the English text (also what a row stored before the message was kept says)
    disabled_message: dict[str, Any] | None = None  # the reason as a bot.platform.deferred message

    def disabled_said(self) -> str:
        """Why the rule is off: English text that keeps its message (a :class:`Said`, which ``/rewards`` and
        the dashboard say in the reader's language), or the English text a row stored before the message was
        kept says, as it is."""
        if self.disabled_message:
            return Said(self.disabled_message)
        return self.disabled_reason or said(N_("turned off"))

    def disabled_reason_in(self, tr: Translator) -> str:
        return str(render(tr, self.disabled_said()))

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

    def describe(self, tr: Translator | None = None) -> str:
        """The rule in one line (``**helper**: at 5 answer credits → role <@&1> (once per member)``), in
        ``tr``'s language (English by default); the rule's name, kinds, stages and pools are as staff wrote them."""
        tr = tr or translator()
        t = self.trigger
        if t.type == "event":
            when = tr("on {event}", event=t.event)
        elif t.type == "kind":
            when = tr.ngettext("at {count} {kind} credit", "at {count} {kind} credits", int(t.count), kind=t.kind)
        elif t.type == "points":
            points = tr.number(int(t.points))
            if t.window_days:
                when = tr.ngettext("at {points} points within {count} day", "at {points} points within {count} days",
                                   int(t.window_days), points=points)
            elif t.season:
                when = tr.ngettext("at {count} point this season", "at {count} points this season", int(t.points))
            else:
                when = tr.ngettext("at {count} point", "at {count} points", int(t.points))
        else:
            when = tr("on reaching the {stage} stage", stage=t.ladder_stage)
        c = self.config
        once = (tr.ngettext("repeatable every {count} day", "repeatable every {count} days", int(c.cooldown_days))
                if c.repeatable else tr("once per member"))
        text = tr("**{name}**: {when} → {gives} ({once})", name=self.name, when=when, gives=self.gives(tr=tr),
                  once=once)
        if not self.enabled:  # the stored reason (a role problem, or "turned off by staff"), in tr's language
            text += " — " + tr("**disabled**: {reason}", reason=self.disabled_reason_in(tr))
        return text

    def gives(self, *, again: bool = False, tr: Translator | None = None) -> str:
        """What the rule hands out, e.g. ``role <@&1>, a code from storage``. Never a code itself.

        ``again``: what earning it once more gives; a rule that is not repeatable gives only its role (and DM)
        back after a demotion: no second code, no second bonus."""
        tr = tr or translator()
        gives = []
        c = self.config
        if again and not c.repeatable:
            c = c.model_copy(update={"perk_pool": None, "bonus_points": 0})
        if c.role is not None:
            role = f"<@&{c.role}>" if isinstance(c.role, int) else str(c.role)
            gives.append(tr.ngettext("role {role} for {count} day", "role {role} for {count} days",
                                     int(c.role_duration_days), role=role)
                         if c.role_duration_days else tr("role {role}", role=role))
        if c.perk_pool:
            gives.append(tr("a code from {pool}", pool=c.perk_pool))
        if c.dm and not c.perk_pool:
            gives.append(tr("a DM"))
        if c.bonus_points:
            gives.append(tr.ngettext("{count} bonus point", "{count} bonus points", int(c.bonus_points)))
        return ", ".join(gives)


def definition_from_config(config: RewardConfig) -> dict[str, Any]:
    return config.model_dump(mode="json", exclude_defaults=True)


def rule_from_definition(rule_id: int, name: str, definition: dict[str, Any], *, origin: str = "command",
                         enabled: bool = True) -> Rule:
    data = {k: v for k, v in definition.items() if k not in DISABLED_KEYS}
    data["name"] = name
    said_as = definition.get("disabled_message")
    return Rule(rule_id, name, RewardConfig.model_validate(data, strict=False), origin, enabled,
                str(definition.get("disabled_reason", "")), said_as if isinstance(said_as, dict) else None)


DISABLED_KEYS = ("disabled_reason", "disabled_message")  # kept with a stored definition, not part of the rule


def disabled_entries(reasons: list[str]) -> dict[str, Any]:
    """A definition's entries for a rule stored disabled: the English text, and the message (each reason that
    is a :class:`~bot.platform.deferred.Said` keeps its own) for the reader's language."""
    return {"disabled_reason": "; ".join(reasons),
            "disabled_message": joined("; ", [r.message if isinstance(r, Said) else r for r in reasons])}
