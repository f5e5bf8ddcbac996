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
from bot.platform.i18n import N_
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

# Kudos' own beta DMs: queued with ``"own": True`` in the grant's payload, so the dispatcher says them in the
# member's language (a text staff configured goes as it is).
PROMOTED_DM = N_("A spot opened up: you're now in the **{beta}** beta! Use *Give feedback* on the announcement "
                 "any time.")
REMINDER_DM = N_("The **{beta}** beta ends {ends}. Tell us what you think before it closes: *Give feedback* on the "
                 "announcement. (Run `/beta mute name:{beta}` to stop these reminders.)")
NUDGE_DM = N_("We'd love your feedback on the **{beta}** beta: what works, what doesn't? Use *Give feedback* on the "
              "announcement. This is the only nudge you'll get.")
THANK_YOU_DM = N_("Thank you for taking part in the {beta} beta! Your feedback shapes what we build next.")
THANK_YOU_NO_FEEDBACK_DM = N_("Thank you for taking part in the {beta} beta! Using it early, in real life, is how "
                              "we learn it's ready for everyone.")
WAITLIST_CLOSED_DM = N_("The {beta} beta has closed before a spot opened up for you. Thank you for signing up: "
                        "watch the announcements for the next beta.")
OWN_DMS = frozenset({PROMOTED_DM, REMINDER_DM, NUDGE_DM, THANK_YOU_DM, THANK_YOU_NO_FEEDBACK_DM, WAITLIST_CLOSED_DM})


def dm_payload(template: str, context: dict[str, Any]) -> dict[str, Any]:
    """A beta DM's grant payload; Kudos' own texts (not staff's configured ones) are marked for translation."""
    return {"template": template, "context": context, **({"own": True} if template in OWN_DMS else {})}

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
    thank_you: str = THANK_YOU_DM
    reply_count_hours: int = 24
    # at close, participants who gave no feedback and the waitlist get their own message
    thank_you_no_feedback: str = THANK_YOU_NO_FEEDBACK_DM
    waitlist_closed: str = WAITLIST_CLOSED_DM
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
