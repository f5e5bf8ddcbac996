"""Values the beta service takes and returns (no discord objects), and the parsing of staff input."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from bot.betas.store import BetaRow
from bot.platform.clock import DurationTooLong, parse_duration
from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_, Translator, translator
from bot.platform.text import check_range, check_text, is_invisible, strip_bidi

MAX_NAME = 100
MAX_INCENTIVE = 300
MAX_TEXT = 4000


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who may join. Every set requirement must hold."""

    min_points: int = 0
    role_id: int | None = None
    stage: str | None = None
    account_age_days: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"min_points": self.min_points, "role_id": self.role_id, "stage": self.stage,
                "account_age_days": self.account_age_days}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Eligibility:
        data = data or {}
        role = data.get("role_id")
        return cls(int(data.get("min_points") or 0), int(role) if role else None, data.get("stage") or None,
                   int(data.get("account_age_days") or 0))

    def describe(self, tr: Translator | None = None) -> list[str]:
        tr = tr or translator()
        out = []
        if self.min_points:
            out.append(tr.ngettext("at least {count} point", "at least {count} points", self.min_points))
        if self.role_id:
            out.append(tr("the {role} role", role=f"<@&{self.role_id}>"))
        if self.stage:
            out.append(tr("the {stage} stage or above", stage=self.stage))
        if self.account_age_days:
            out.append(tr.ngettext("a Discord account at least {count} day old",
                                   "a Discord account at least {count} days old", self.account_age_days))
        return out


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What Discord knows about the member who clicks Join (read by the cog, passed in as values)."""

    user_id: int
    role_ids: frozenset[int] = frozenset()
    account_created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class BetaDraft:
    name: str
    description: str = ""
    incentive: str = ""
    terms: str = ""
    capacity: int | None = None
    waitlist: bool = True
    eligibility: Eligibility = field(default_factory=Eligibility)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    channel_id: int | None = None
    feedback_forum_id: int | None = None
    cohort_role_id: int | None = None
    private_channel_id: int | None = None  # the cohort role gets access to it


@dataclass(frozen=True, slots=True)
class Beta:
    row: BetaRow
    joined: int = 0
    waitlisted: int = 0
    left: int = 0

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def eligibility_rules(self) -> Eligibility:
        return Eligibility.from_json(self.row.eligibility)

    @property
    def spots_left(self) -> int | None:
        cap = self.row.capacity
        return None if cap is None else max(cap - self.joined, 0)


JoinStatus = Literal["joined", "waitlisted", "already_joined", "already_waitlisted"]


@dataclass(frozen=True, slots=True)
class JoinResult:
    status: JoinStatus
    beta: Beta
    position: int | None = None  # on the waitlist

    @property
    def changed(self) -> bool:
        return self.status in ("joined", "waitlisted")

    def message(self, tr: Translator | None = None) -> str:
        tr = tr or translator()
        name = self.beta.row.name
        match self.status:
            case "joined":
                extra = " " + tr("The cohort role is on its way.") if self.beta.row.cohort_role_id else ""
                if self.beta.row.private_channel_id and self.beta.row.cohort_role_id:
                    extra = " " + tr("The cohort role is on its way, and with it the private channel {channel}.",
                                     channel=f"<#{self.beta.row.private_channel_id}>")
                return (tr("You're in the **{name}** beta!", name=name) + extra + " "
                        + tr("Use *{button}* on the announcement any time.", button=tr("Give feedback")))
            case "waitlisted":
                return tr("The **{name}** beta is full, so you're on the waitlist (position {position}). You'll be "
                          "moved in automatically, with a DM, when a spot opens.", name=name, position=self.position)
            case "already_joined":
                return tr("You're already in the **{name}** beta.", name=name)
            case _:
                return tr("You're already on the waitlist of **{name}** (position {position}).", name=name,
                          position=self.position)


@dataclass(frozen=True, slots=True)
class LeaveResult:
    beta: Beta
    was: str
    promoted: tuple[int, ...] = ()

    def message(self, tr: Translator | None = None) -> str:
        tr = tr or translator()
        if self.was == "waitlisted":
            return tr("You've left the waitlist of **{name}**.", name=self.beta.row.name)
        return tr("You've left the **{name}** beta. Thanks for trying it!", name=self.beta.row.name)


@dataclass(frozen=True, slots=True)
class CloseResult:
    beta: Beta
    participants: tuple[int, ...]
    summary: str
    waitlisted: tuple[int, ...] = ()  # told the beta closed before a spot opened up


@dataclass(frozen=True, slots=True)
class Participant:
    user_id: int
    status: str
    seq: int
    joined_at: datetime
    left_at: datetime | None
    terms_accepted_at: datetime | None
    feedback: int = 0


@dataclass(frozen=True, slots=True)
class Slot:
    """A reserved announcement slot."""

    announcement_id: int
    at: datetime
    scheduled: bool  # True: a timer posts it later; False: post it now


# --------------------------------------------------------------------------- input parsing


MAX_CAPACITY = 1_000_000
MAX_POINTS = 1_000_000_000
MAX_DAYS = 36_500  # a century: beyond it a number of days is a typo (and timedelta overflows past 999,999,999)
MAX_AHEAD = timedelta(days=366)  # how far ahead a date or a duration may point: a year (and a leap day)


def parse_when(text: str | None, now: datetime, *, what: str, max_ahead: timedelta = MAX_AHEAD) -> datetime | None:
    """An ISO date or time (``2026-03-01``, ``2026-03-01T18:00``, UTC unless an offset is given) or a
    duration from now (``3d``, ``12h``, ``1w2d``), at most ``max_ahead`` from ``now`` (a year): a date like
    9999-12-31 or a duration like 99999999d is refused with a message naming ``what``, not an OverflowError."""
    if text is None or not text.strip():
        return None
    raw = text.strip()
    if raw.lower() == "now":
        return now
    too_far = InvalidInput(N_("The {what} {raw} is too far ahead: give one within a year from now (at the "
                              "latest {value})."),
                           what=what, raw=repr(raw), value=format(now + max_ahead, "%Y-%m-%d"))
    try:
        delta: timedelta | None = parse_duration(raw)
    except DurationTooLong:
        raise too_far from None
    except ValueError:
        delta = None
    if delta is not None:
        if delta > max_ahead:
            raise too_far
        return now + delta
    try:
        if len(raw) == 10:
            d = date.fromisoformat(raw)
            when = datetime(d.year, d.month, d.day, tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "T"))
            when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset that moves 0001-01-01 or 9999-12-31 out of range
        raise InvalidInput(N_("I can't read the {what} {raw}: give a date like 2026-03-01, a time like "
                              "2026-03-01T18:00 (UTC), or a duration from now like 3d or 12h."),
                           what=what, raw=repr(raw)) from None
    if when - now > max_ahead:
        raise too_far
    return when


def validate_draft(draft: BetaDraft, now: datetime) -> BetaDraft:
    """Check staff input; every problem is an :class:`InvalidInput` that says what to fix."""
    for label, value in (("name", draft.name), ("description", draft.description), ("incentive", draft.incentive),
                         ("terms", draft.terms)):
        check_text(value, label)  # NUL refused, naming the field
    name = " ".join(strip_bidi(draft.name).split())
    if is_invisible(name):
        raise InvalidInput(N_("The beta needs a name (it is empty or only invisible characters)."))
    if len(name) > MAX_NAME:
        raise InvalidInput(N_("Keep the beta's name to {max_name} characters (it has {length})."),
                           max_name=MAX_NAME, length=len(name))
    if draft.capacity is not None and draft.capacity <= 0:
        raise InvalidInput(N_("The capacity must be at least 1 (got {capacity}); leave it empty for no limit."),
                           capacity=draft.capacity)
    if len(draft.incentive) > MAX_INCENTIVE:
        raise InvalidInput(N_("Keep the incentive to one sentence ({max_incentive} characters at most)."),
                           max_incentive=MAX_INCENTIVE)
    for label, value in (("description", draft.description), ("terms", draft.terms)):
        if len(value) > MAX_TEXT:
            raise InvalidInput(N_("The {label} is too long ({length} characters; at most {max_text})."),
                               label=label, length=len(value), max_text=MAX_TEXT)
    e = draft.eligibility
    if e.min_points < 0 or e.account_age_days < 0:
        raise InvalidInput(N_("Minimum points and account age can't be negative."))
    check_range(draft.capacity, "capacity", low=1, high=MAX_CAPACITY)
    check_range(e.min_points, "minimum points (option `min_points`)", low=0, high=MAX_POINTS)
    check_range(e.account_age_days, "account age (option `account_age_days`)", low=0, high=MAX_DAYS)
    if draft.ends_at is not None:
        if draft.ends_at <= now:
            raise InvalidInput(N_("The end date is in the past; pick a date after today."))
        if draft.starts_at is not None and draft.ends_at <= draft.starts_at:
            raise InvalidInput(N_("The end date must be after the start date."))
    starts = draft.starts_at
    if starts is not None and starts < now - timedelta(minutes=1):
        raise InvalidInput(N_("The start date is in the past; leave it empty to announce the beta now."))
    return BetaDraft(name=name, description=draft.description.strip(), incentive=draft.incentive.strip(),
                     terms=draft.terms.strip(), capacity=draft.capacity, waitlist=draft.waitlist,
                     eligibility=draft.eligibility, starts_at=starts, ends_at=draft.ends_at,
                     channel_id=draft.channel_id, feedback_forum_id=draft.feedback_forum_id,
                     cohort_role_id=draft.cohort_role_id, private_channel_id=draft.private_channel_id)
