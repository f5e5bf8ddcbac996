"""The Discord side effects of a privilege's gain or loss, one durable job each, keyed by the move."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.platform.jobs.effects import JobKey

NOTICE_EVENT = "privileges.notice"  # DM the member: gained or lost, why, how to earn it back
ROLE_EVENT = "privileges.role"  # bring the privilege's Discord role in line with what the member holds now
DAILY_EVENT = "privileges.daily"  # re-judge every member of a guild over the rolling window


@dataclass(frozen=True, slots=True)
class NoticeKey(JobKey):
    kind: ClassVar[str] = NOTICE_EVENT
    guild_id: int
    move_id: int


@dataclass(frozen=True, slots=True)
class RoleKey(JobKey):
    kind: ClassVar[str] = ROLE_EVENT
    guild_id: int
    move_id: int
