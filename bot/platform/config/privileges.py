"""``[guilds.<id>.privileges]``: earned powers, judged over a rolling window (see docs/privileges.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from bot.platform.config.base import ChannelRef, NonNegInt, RoleRef, _Model, config_error
from bot.platform.deferred import said
from bot.platform.i18n import N_

# Every privilege Kudos knows, in the order /privileges lists them.
PRIVILEGES: tuple[str, ...] = ("mark_solution", "tag_feedback", "feature_post", "propose_merge",
                               "review_first_posts", "approve_guides")

# The ladder stages a privilege may ask for (bot.ledger.policy.default_ladder's names, lowest first).
StageName = Literal["", "consumer", "curator", "creator", "collaborator"]


class PrivilegeRule(_Model):
    """One privilege (``[guilds.<id>.privileges.<name>]``): gained with ``points`` (every kind, net) over the last
    ``window_days`` and, when given, the ladder ``stage`` (or a higher one); kept down to the margin below."""

    points: NonNegInt = Field(description=N_("points over the rolling window; 0 = the stage alone decides"))
    stage: StageName = Field("", description=N_("lowest ladder stage; '' = any"))
    role: RoleRef | None = Field(None, description=N_("a Discord role given while the privilege is held"))
    enabled: bool = True


def _rule(points: int, stage: StageName = "") -> PrivilegeRule:
    return PrivilegeRule(points=points, stage=stage)


class PrivilegesConfig(_Model):
    """Earned privileges and the first-post review (``[guilds.<id>.privileges]``)."""

    enabled: bool = True
    window_days: int = Field(100, ge=1, le=3650)
    keep_margin_percent: int = Field(20, ge=0, le=100)
    merge_credits_per_day: NonNegInt = Field(3, description=N_("curation credits a day for confirmed merges"))
    staging_ground: bool = Field(False, description=N_("offer new members' first help posts to reviewers first"))
    staging_minutes: int = Field(60, ge=1, le=10080, description=N_("how long reviewers have before everyone"))
    staging_channel: ChannelRef = "first-posts"
    staging_new_member_days: int = Field(30, ge=0, le=3650, description=N_("joined this recently = new; 0 = anyone"))
    mark_solution: PrivilegeRule = Field(default_factory=lambda: _rule(50))
    tag_feedback: PrivilegeRule = Field(default_factory=lambda: _rule(75))
    feature_post: PrivilegeRule = Field(default_factory=lambda: _rule(100, "curator"))
    propose_merge: PrivilegeRule = Field(default_factory=lambda: _rule(150))
    review_first_posts: PrivilegeRule = Field(default_factory=lambda: _rule(200, "creator"))
    approve_guides: PrivilegeRule = Field(default_factory=lambda: _rule(300, "collaborator"))

    @model_validator(mode="after")
    def _check_roles(self) -> PrivilegesConfig:
        seen: dict[int | str, str] = {}
        for name in PRIVILEGES:
            role = self.rule(name).role
            if role is None:
                continue
            if role in seen:
                raise config_error(said(N_("role {role} is already the role of {name}; give each privilege its own"),
                                        role=repr(role), name=seen[role]), name, "role")
            seen[role] = name
        return self

    def rule(self, name: str) -> PrivilegeRule:
        if name not in PRIVILEGES:
            raise KeyError(name)
        rule: PrivilegeRule = getattr(self, name)
        return rule


class GivebackConfig(_Model):
    """What the brand gives back (``[guilds.<id>.giveback]``): the "people to thank" list and the balance."""

    thank_min_contributions: int = Field(10, ge=1, description=N_("contributions that put a member on the list"))
    balance_months: int = Field(6, ge=1, le=24, description=N_("months the balance shows"))
