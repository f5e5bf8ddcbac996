"""Feedback values: types, statuses and their transitions, the intake draft, the guild's feedback policy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.feedback.store import FeedbackRow
from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_
from bot.platform.text import check_text, is_invisible

FeedbackItem = FeedbackRow

TYPES: tuple[str, ...] = ("bug", "idea", "praise", "question")
STATUSES: tuple[str, ...] = (
    "pending_review", "new", "acknowledged", "planned", "in_progress", "shipped", "declined", "duplicate", "rejected",
)
# Statuses staff set with /feedback status (pending_review / rejected belong to the review queue).
STAFF_STATUSES: tuple[str, ...] = ("acknowledged", "planned", "in_progress", "shipped", "declined", "duplicate")
OPEN_STATUSES: tuple[str, ...] = ("new", "acknowledged", "planned", "in_progress")
PUBLIC_STATUSES: tuple[str, ...] = (*OPEN_STATUSES, "shipped", "declined", "duplicate")

# Allowed moves. Shipped, duplicate and rejected are final (a regression is a new report); a declined
# report may be reconsidered. Planned and in-progress work may step back.
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_review": frozenset({"new", "rejected"}),
    "new": frozenset({"acknowledged", "planned", "in_progress", "shipped", "declined", "duplicate"}),
    "acknowledged": frozenset({"planned", "in_progress", "shipped", "declined", "duplicate"}),
    "planned": frozenset({"acknowledged", "in_progress", "shipped", "declined", "duplicate"}),
    "in_progress": frozenset({"planned", "shipped", "declined", "duplicate"}),
    "declined": frozenset({"acknowledged", "planned"}),
    "shipped": frozenset(),
    "duplicate": frozenset(),
    "rejected": frozenset(),
}

LABELS: dict[str, str] = {  # English; shown translated (``tr(label(value))``)
    "pending_review": N_("Waiting for review"), "new": N_("New"), "acknowledged": N_("Acknowledged"),
    "planned": N_("Planned"), "in_progress": N_("In progress"), "shipped": N_("Shipped"), "declined": N_("Declined"),
    "duplicate": N_("Duplicate"), "rejected": N_("Rejected"), "bug": N_("Bug"), "idea": N_("Idea"),
    "praise": N_("Praise"), "question": N_("Question"),
}

MAX_TITLE = 100
MAX_DETAILS = 4000
MAX_STEPS = 1000
MAX_VERSION = 50
MAX_NOTE = 500
MAX_SCREENSHOTS = 3  # images a report may carry (the form's File Upload, max_values)


def label(value: str) -> str:
    return LABELS.get(value, value)


def _clean(value: str | None) -> str:
    return (value or "").strip()


@dataclass(frozen=True, slots=True)
class Screenshot:
    """An image attached to the form: where Discord keeps it (an ephemeral attachment's URL) and what it is.
    It is downloaded and posted in the report's thread once the thread exists (a durable job)."""

    url: str
    filename: str
    content_type: str | None = None
    size: int = 0


@dataclass(frozen=True, slots=True)
class Draft:
    """A validated report, ready to be recorded."""

    type: str
    title: str
    details: str
    steps: str | None = None
    version: str | None = None
    screenshots: tuple[Screenshot, ...] = ()


_VERSION_LINE = r"^\s*(?:{words})\s*[:：=]\s*(?P<version>\S.*?)\s*$"


def split_version(steps: str | None, words: tuple[str, ...] = ("version",)) -> tuple[str, str | None]:
    """The form has room for five fields only, so the version rides on the steps' last line,
    ``Version: 2.4.1`` (the word in English or in ``words``, any case; ``:``, ``：`` or ``=``). Returns the
    steps without that line, and the version (None without such a line)."""
    text = (steps or "").rstrip()
    lines = text.split("\n")
    if not lines:
        return text, None
    names = "|".join(re.escape(w) for w in dict.fromkeys(w.strip() for w in ("version", *words) if w.strip()))
    found = re.match(_VERSION_LINE.format(words=names), lines[-1], re.IGNORECASE)
    if found is None:
        return text, None
    return "\n".join(lines[:-1]).rstrip(), found["version"]


def validate_draft(type_: str, title: str | None, details: str | None, steps: str | None = None,
                   version: str | None = None, *, require_bug_fields: bool = True) -> Draft:
    """Check a report as a member typed it; every problem names the field and what to do."""
    kind = _clean(type_).lower()
    if kind not in TYPES:
        raise InvalidInput(N_("Unknown feedback type {type_}: pick one of {value}."),
                           type_=repr(type_), value=', '.join(TYPES))
    title_, details_, steps_, version_ = _clean(title), _clean(details), _clean(steps), _clean(version)
    for name, value in (("title", title_), ("details", details_), ("steps", steps_), ("version", version_)):
        check_text(value, name)  # NUL refused, naming the field
    title_ = _clean(check_text(title_, "title", title=True))  # bidi controls stripped
    if is_invisible(title_):
        raise InvalidInput(N_("The title is empty: say in a few words what this is about."))
    if len(title_) > MAX_TITLE:
        raise InvalidInput(N_("The title is {length} characters long; keep it to {max_title}."),
                           length=len(title_), max_title=MAX_TITLE)
    if is_invisible(details_):
        raise InvalidInput(N_("The details are empty: tell us what happened or what you would like."))
    if len(details_) > MAX_DETAILS:
        raise InvalidInput(N_("The details are {length} characters long; keep them to {max_details}."),
                           length=len(details_), max_details=MAX_DETAILS)
    if len(steps_) > MAX_STEPS:
        raise InvalidInput(N_("The steps are {length} characters long; keep them to {max_steps}."),
                           length=len(steps_), max_steps=MAX_STEPS)
    if len(version_) > MAX_VERSION:
        raise InvalidInput(N_("The version is {length} characters long; keep it to {max_version}."),
                           length=len(version_), max_version=MAX_VERSION)
    if kind == "bug" and require_bug_fields:
        if not steps_:
            raise InvalidInput(N_("A bug report needs the steps to reproduce it: what did you do, in order?"))
        if not version_:
            raise InvalidInput(N_("A bug report needs the version you were using: end the steps with a line like "
                                  "\"Version: 2.4.1\"."))
    return Draft(kind, title_, details_, steps_ or None, version_ or None)


def check_transition(item: FeedbackRow, status: str) -> None:
    """Raise a member-readable error when ``item`` may not move to ``status``."""
    if status not in STATUSES:
        raise InvalidInput(N_("Unknown status {status}: use one of {value}."),
                           status=repr(status), value=', '.join(STAFF_STATUSES))
    current = item.status
    if current == status:
        raise InvalidInput(N_("Feedback #{item_id} is already {value}."),
                           item_id=item.id, value=label(status).lower())
    if current == "pending_review":
        raise InvalidInput(N_("Feedback #{item_id} is waiting in the review queue: approve or reject it "
                              "first."),
                           item_id=item.id)
    if status not in TRANSITIONS[current]:
        if current == "shipped":
            raise InvalidInput(N_("Feedback #{item_id} has shipped, which is final. If it came back, open a "
                                  "new report."),
                               item_id=item.id)
        if current == "duplicate":
            raise InvalidInput(N_("Feedback #{item_id} was merged into #{duplicate_of}; change that one "
                                  "instead."),
                               item_id=item.id, duplicate_of=item.duplicate_of)
        if current == "rejected":
            raise InvalidInput(N_("Feedback #{item_id} was rejected in review and is not public."),
                               item_id=item.id)
        allowed = ", ".join(label(s).lower() for s in sorted(TRANSITIONS[current], key=STATUSES.index))
        raise InvalidInput(
            N_("Feedback #{item_id} can't go from {value} to {value_b}; from {value} it can go to: {allowed}."),
            item_id=item.id, value=label(current).lower(), value_b=label(status).lower(), allowed=allowed
        )


@dataclass(frozen=True, slots=True)
class FeedbackPolicy:
    review_queue: bool = False
    self_votes_count: bool = False
    # Reports one member may open per UTC day (0 = no limit).
    reports_per_day: int = 5
    # bot.search: the PostgreSQL text search configuration of the index, and whether "Is it one of these?"
    # runs before a report is posted (``[guilds.<id>.search]``).
    search_language: str = "english"
    suggest_similar: bool = True
    # Curation credits a UTC day for a member's merge proposals staff confirm ([guilds.<id>.privileges]).
    merge_credits_per_day: int = 3

    @classmethod
    def from_config(cls, guild_config: Any) -> FeedbackPolicy:
        """Points are not here: each stage is its own contribution kind, priced by ``[points]``."""
        fb = guild_config.feedback
        return cls(review_queue=fb.review_queue, self_votes_count=fb.self_votes_count,
                   reports_per_day=getattr(fb, "reports_per_day", 5),
                   search_language=guild_config.search.language, suggest_similar=guild_config.search.suggest,
                   merge_credits_per_day=guild_config.privileges.merge_credits_per_day)


def same_title(title: str) -> str:
    """A title as the duplicate check compares it: case and runs of whitespace aside."""
    return " ".join(title.split()).casefold()


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A committed status change. ``recipients``: who is told (reporter, co-reporters, voters and followers,
    deduplicated, without the staff member who made the change). ``target``: the original of a duplicate."""

    item: FeedbackRow
    previous: str
    recipients: list[int]
    target: FeedbackRow | None = None
    moved_votes: int = 0


VoteStatus = Literal["counted", "already", "own"]


@dataclass(frozen=True, slots=True)
class VoteResult:
    status: VoteStatus
    item: FeedbackRow

    @property
    def message(self) -> str:
        if self.status == "counted":
            return f"Counted: {self.item.vote_count} member(s) want this. You'll hear when its status changes."
        if self.status == "already":
            return f"You already said \"me too\" on #{self.item.id}; your vote counts once."
        return "This is your own report, so your vote isn't counted. You'll hear about every update anyway."


@dataclass(frozen=True, slots=True)
class Page:
    items: list[FeedbackRow] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = 10
