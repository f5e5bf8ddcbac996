"""Reward rules, perk pools and reward delivery settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.platform.config.base import (
    _POOL_NAME,
    ContributionKind,
    Count,
    Days,
    NonEmptyStr,
    NonNegInt,
    RewardEvent,
    RoleRef,
    _Model,
    _template_fields,
    config_error,
)
from bot.platform.deferred import said
from bot.platform.i18n import N_


class PerkPool(_Model):
    name: str
    description: str = ""
    low_stock_warning: Count = 5
    per_member_limit: Count = Field(0, description="0 = no limit")
    budget: Count = Field(0, description="codes per budget_period_days before staff approval; 0 = no budget")
    budget_period_days: int = Field(30, ge=1, le=3650)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _POOL_NAME.match(value):
            raise config_error(said(N_("must contain only lowercase letters, digits and '-' (got {value})"), value=repr(value)))
        return value


_TRIGGER_FORMS = "event, points, kind+count, ladder_stage"


class RewardTrigger(_Model):
    """Exactly one of: ``event``; ``points`` (+ ``window_days`` or ``season``); ``kind`` + ``count``; ``ladder_stage``."""

    event: RewardEvent | None = None
    kind: ContributionKind | None = None
    count: int | None = Field(None, ge=1)
    points: int | None = Field(None, ge=1)
    window_days: int | None = Field(None, ge=1)
    season: bool | None = None
    ladder_stage: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> RewardTrigger:
        forms = [
            name
            for name, present in (
                ("event", self.event is not None),
                ("points", self.points is not None),
                ("kind+count", self.kind is not None or self.count is not None),
                ("ladder_stage", self.ladder_stage is not None),
            )
            if present
        ]
        if not forms:
            raise config_error(said(N_("must set exactly one of: {forms} (got none)"), forms=_TRIGGER_FORMS))
        if len(forms) > 1:
            raise config_error(said(N_("must set exactly one of: {forms} (got {got})"), forms=_TRIGGER_FORMS,
                                    got=" and ".join(forms)))
        if self.kind is not None and self.count is None:
            raise config_error(said(N_("a kind trigger also needs count (e.g. {{ kind = \"answer\", count = 5 }})")))
        if self.count is not None and self.kind is None:
            raise config_error(said(N_("a count trigger also needs kind (e.g. {{ kind = \"answer\", count = 5 }})")))
        if self.points is None:
            for extra in ("window_days", "season"):
                if getattr(self, extra) is not None:
                    raise config_error(said(N_("only applies to points triggers")), extra)
        elif self.window_days is not None and self.season:
            raise config_error(said(N_("set either window_days or season = true, not both")), "season")
        return self

    @property
    def type(self) -> Literal["event", "points", "kind", "ladder_stage"]:
        if self.event is not None:
            return "event"
        if self.points is not None:
            return "points"
        if self.kind is not None:
            return "kind"
        return "ladder_stage"


class RewardConditions(_Model):
    min_account_age_days: Days = 0
    min_membership_days: Days = 0
    has_role: list[RoleRef] = Field(default_factory=list)
    lacks_role: list[RoleRef] = Field(default_factory=list)
    mode: Literal["all", "any"] = "all"




class RewardConfig(_Model):
    """A reward rule (``[[guilds.<id>.rewards]]``)."""

    name: NonEmptyStr
    trigger: RewardTrigger
    conditions: RewardConditions = Field(default_factory=RewardConditions)
    role: RoleRef | None = None
    role_duration_days: Days = Field(0, description="0 = permanent")
    perk_pool: NonEmptyStr | None = None
    dm: NonEmptyStr | None = None
    bonus_points: Count = 0
    repeatable: bool = False
    cooldown_days: Days = 0
    demote: bool = Field(False, description="remove the role after staying below 90% of the threshold")
    role_group: NonEmptyStr | None = None
    replace_in_group: bool = False
    bonus_kind: ContributionKind | None = None

    @field_validator("dm")
    @classmethod
    def _check_dm(cls, value: str | None) -> str | None:
        if value is not None:
            _template_fields(value)
        return value

    @model_validator(mode="after")
    def _check_reward(self) -> RewardConfig:
        if self.role is None and self.perk_pool is None and self.dm is None and self.bonus_points == 0:
            raise config_error(said(N_("grants nothing: set at least one of role, perk_pool, dm, or bonus_points > 0")))
        if self.role_duration_days and self.role is None:
            raise config_error(said(N_("needs role to be set")), "role_duration_days")
        if self.cooldown_days and not self.repeatable:
            raise config_error(said(N_("only applies to repeatable rewards (set repeatable = true)")), "cooldown_days")
        if self.dm is not None and self.perk_pool is None and "code" in _template_fields(self.dm):
            raise config_error(said(N_("uses {{code}} but the reward has no perk_pool to draw a code from")), "dm")
        if self.demote and (self.role is None or self.trigger.type not in ("points", "kind")):
            raise config_error(said(N_("needs a role and a points or kind+count trigger")), "demote")
        if (self.role_group is not None or self.replace_in_group) and self.role is None:
            raise config_error(said(N_("needs role to be set")), "role_group" if self.role_group is not None else "replace_in_group")
        if self.replace_in_group and self.role_group is None:
            raise config_error(said(N_("needs role_group to be set")), "replace_in_group")
        return self


class RewardDeliveryConfig(_Model):
    """How the reward dispatcher delivers grants (``[guilds.<id>.reward_delivery]``)."""

    max_attempts: int = Field(5, ge=1)
    retry_base_seconds: float = Field(30.0, gt=0)
    claim_timeout_seconds: float = Field(120.0, gt=0)
    reconcile: Literal["report", "readd", "accept"] = "report"
    reconcile_every_hours: NonNegInt = Field(24, description=N_("0 = never"))
    restore_on_rejoin: bool = True
    demote_after_days: int = Field(14, ge=1)
    demote_below: float = Field(0.9, gt=0, le=1)
