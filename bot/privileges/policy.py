"""What each privilege needs, for one guild: a plain value built from ``[guilds.<id>.privileges]``.

A privilege is *gained* when the member's net points over the last ``window_days`` reach its ``points`` (and
their ladder stage is at least its ``stage``), and *kept* while those points stay at or above ``keep_points``:
``points`` less ``keep_margin_percent`` of it (hysteresis, so a member at the boundary does not flap).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.platform.config.privileges import PRIVILEGES

PRIVILEGE_TEXT: dict[str, tuple[str, str]] = {
    # name: (title, what it lets a member do)
    "mark_solution": ("Mark solutions", "mark the solution of anyone's help post"),
    "tag_feedback": ("Tag feedback", "change the type tag (bug, idea, …) of a feedback report"),
    "feature_post": ("Feature posts", "feature a post in the showcase"),
    "propose_merge": ("Propose merges", "propose merging a duplicate report, for staff to confirm in one click"),
    "review_first_posts": ("Review first posts", "review new members' first help posts before everyone sees them"),
    "approve_guides": ("Approve guides", "approve guides in the guide channels"),
}


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    points: int
    stage: int  # index into the ladder; 0 = any
    stage_name: str
    role: int | str | None

    @property
    def title(self) -> str:
        return PRIVILEGE_TEXT[self.name][0]

    @property
    def does(self) -> str:
        return PRIVILEGE_TEXT[self.name][1]


@dataclass(frozen=True, slots=True)
class PrivilegePolicy:
    enabled: bool
    window_days: int
    keep_margin_percent: int
    merge_credits_per_day: int
    rules: tuple[Rule, ...]

    @classmethod
    def from_config(cls, guild_config: Any, ladder: Sequence[str]) -> PrivilegePolicy:
        """From a ``GuildConfig`` and the names of the guild's ladder stages (lowest first)."""
        cfg = guild_config.privileges
        rules = []
        for name in PRIVILEGES:
            r = cfg.rule(name)
            if not r.enabled:
                continue
            stage = list(ladder).index(r.stage) if r.stage and r.stage in ladder else 0
            rules.append(Rule(name, r.points, stage, r.stage if stage else "", r.role))
        return cls(cfg.enabled, cfg.window_days, cfg.keep_margin_percent, cfg.merge_credits_per_day, tuple(rules))

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def keep_points(self, rule: Rule) -> int:
        """The points over the window below which a held privilege is lost."""
        return math.ceil(rule.points * (100 - self.keep_margin_percent) / 100)

    def gains(self, rule: Rule, window_points: int, stage: int) -> bool:
        return stage >= rule.stage and window_points >= rule.points

    def keeps(self, rule: Rule, window_points: int, stage: int) -> bool:
        return stage >= rule.stage and window_points >= self.keep_points(rule)

    def requirement(self, rule: Rule) -> str:
        """The requirement in words: "50 points in the last 100 days (stage curator or higher)"."""
        parts = []
        if rule.points:
            parts.append(f"{rule.points} points in the last {self.window_days} days")
        if rule.stage:
            parts.append(f"stage {rule.stage_name} or higher")
        return " and ".join(parts) or "nothing: everyone has it"
