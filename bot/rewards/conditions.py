"""Reward conditions: account age, membership age, has / lacks a role, combined with all / any.

Member facts come in as plain values (the cog reads them from Discord's cache); nothing here knows discord.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.platform.config import RewardConditions

DISCORD_EPOCH_MS = 1420070400000


def account_created_at(user_id: int) -> datetime:
    """When a Discord account was made, read from its snowflake id."""
    return datetime.fromtimestamp(((user_id >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What conditions need to know. ``role_ids`` None = unknown (member not cached)."""

    user_id: int
    joined_at: datetime | None = None
    role_ids: frozenset[int] | None = None
    present: bool = True
    pending: bool = False  # membership screening not passed yet

    @property
    def created_at(self) -> datetime:
        return account_created_at(self.user_id)


def check_conditions(conditions: RewardConditions, facts: MemberFacts, now: datetime) -> tuple[bool, str]:
    """Whether the member meets the conditions, and a short reason when not (or when facts are missing)."""
    results: list[tuple[bool, str]] = []
    if conditions.min_account_age_days:
        ok = facts.created_at <= now - timedelta(days=conditions.min_account_age_days)
        results.append((ok, f"account younger than {conditions.min_account_age_days} days"))
    if conditions.min_membership_days:
        if facts.joined_at is None:
            results.append((False, "membership date unknown"))
        else:
            ok = facts.joined_at <= now - timedelta(days=conditions.min_membership_days)
            results.append((ok, f"member for fewer than {conditions.min_membership_days} days"))
    for role in conditions.has_role:
        if facts.role_ids is None:
            results.append((False, "roles unknown"))
        else:
            results.append((isinstance(role, int) and role in facts.role_ids, f"lacks required role {role}"))
    for role in conditions.lacks_role:
        if facts.role_ids is None:
            results.append((False, "roles unknown"))
        else:
            results.append((not (isinstance(role, int) and role in facts.role_ids), f"has excluded role {role}"))
    if not results:
        return True, ""
    if conditions.mode == "any":
        if any(ok for ok, _ in results):
            return True, ""
        return False, "; ".join(reason for _, reason in results)
    failed = [reason for ok, reason in results if not ok]
    return (not failed), "; ".join(failed)
