"""Policy, time helpers and texts shared by the parts of the beta service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger import KINDS
from bot.ledger.policy import LedgerPolicy
from bot.platform.events import Outbound
from bot.rewards import render

# Publish an Outbound event (webhooks) in the caller's transaction; None when nothing listens.
OutboundFn = Callable[[AsyncConnection, Outbound], Awaitable[None]]

ANNOUNCE_EVENT = "betas.announce"
NEWS_EVENT = "announce.post"  # a scheduled /announce post
CHANGES_EVENT = "announce.changes"  # a "what we changed because of you" post
REPLIES_EVENT = "announce.replies"  # count the members who replied in an announcement's discussion thread
CLOSE_EVENT = "betas.close"
REMIND_EVENT = "betas.remind"
NUDGE_EVENT = "betas.nudge"
REFRESH_EVENT = "betas.refresh"  # edit the announcement to show the beta as it is now
WELCOME_EVENT = "betas.welcome"  # ping members promoted from the waitlist in the discussion thread
THREAD_EVENT = "betas.thread"  # open the discussion thread the announcement's post job could not

PROMOTED_DM = "A spot opened up: you're now in the **{beta}** beta! Use *Give feedback* on the announcement any time."
REMINDER_DM = ("The **{beta}** beta ends {ends}. Tell us what you think before it closes: *Give feedback* on the "
               "announcement. (Run `/beta mute name:{beta}` to stop these reminders.)")
NUDGE_DM = ("We'd love your feedback on the **{beta}** beta: what works, what doesn't? Use *Give feedback* on the "
            "announcement. This is the only nudge you'll get.")

EmitNamed = Callable[[AsyncConnection, str, int, int, dict[str, Any]], Awaitable[None]]
Schedule = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class BetaPolicy:
    per_channel_per_day: int = 2
    per_channel_per_week: int = 5
    remove_cohort_role_on_close: bool = True
    reminder_hours_before_end: int = 24
    feedback_nudge_hours: int = 72
    feedback_bonus_points: int = 0
    thank_you: str = "Thank you for taking part in the {beta} beta! Your feedback shapes what we build next."
    reply_count_hours: int = 24
    # at close, participants who gave no feedback and the waitlist get their own message
    thank_you_no_feedback: str = ("Thank you for taking part in the {beta} beta! Using it early, in real life, is "
                                  "how we learn it's ready for everyone.")
    waitlist_closed: str = ("The {beta} beta has closed before a spot opened up for you. Thank you for signing "
                            "up: watch the announcements for the next beta.")
    rejoin_cooldown_seconds: int = 300
    announcement_debounce_seconds: float = 1.5

    @classmethod
    def from_config(cls, cfg: Any) -> BetaPolicy:
        b = cfg.betas
        return cls(cfg.announcements.per_channel_per_day, cfg.announcements.per_channel_per_week,
                   b.remove_cohort_role_on_close, b.reminder_hours_before_end, b.feedback_nudge_hours,
                   b.feedback_bonus_points, b.thank_you, cfg.announcements.reply_count_after_hours,
                   b.thank_you_no_feedback, b.waitlist_closed, b.rejoin_cooldown_seconds,
                   b.announcement_debounce_seconds)


def day_start(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def week_start(t: datetime) -> datetime:
    d = day_start(t)
    return d - timedelta(days=d.weekday())


def stage_index(policy: LedgerPolicy, stats: dict[tuple[str, str], tuple[int, int]]) -> int:
    all_time = {kind: stats.get((kind, ""), (0, 0)) for kind in (*KINDS, "*")}
    reached = [i for i, stage in enumerate(policy.ladder) if stage.reached(all_time)]
    return reached[-1] if reached else 0


def thank_you_text(template: str, beta: str, user_id: int) -> str:
    return render(template, {"beta": beta, "member": f"<@{user_id}>"})
