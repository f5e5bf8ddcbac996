"""Per-guild config sections: channels, points, caps, solutions, curation, creation, ledger, seasons,
announcements, betas, feedback, privacy and insights."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from bot.platform.config.base import (
    CONTRIBUTION_KINDS,
    ChannelRef,
    ContributionKind,
    NonEmptyStr,
    NonNegInt,
    RoleRef,
    _Model,
    _template_fields,
    config_error,
)
from bot.platform.deferred import said
from bot.platform.i18n import N_

# --------------------------------------------------------------------------- [guilds.*]


class ChannelsConfig(_Model):
    """Channels by name or id (``[guilds.<id>.channels]``)."""

    announcements: ChannelRef = "announcements"
    feedback_forum: ChannelRef = "feedback"
    help_forums: list[ChannelRef] = Field(default_factory=lambda: ["help"])
    showcase: ChannelRef = "showcase"
    staff_log: ChannelRef = "staff-log"


class PointsConfig(_Model):
    """Points granted per contribution kind."""

    answer: NonNegInt = 10
    curation: NonNegInt = 3
    creation: NonNegInt = 8
    thanks: NonNegInt = 2
    feedback_given: NonNegInt = 5
    feedback_acknowledged: NonNegInt = 3
    feedback_shipped: NonNegInt = 10
    beta: NonNegInt = 5

    def for_kind(self, kind: str) -> int:
        if kind not in CONTRIBUTION_KINDS:
            raise KeyError(kind)
        return getattr(self, kind)


assert tuple(PointsConfig.model_fields) == CONTRIBUTION_KINDS, "one [points] key per contribution kind"


# Daily points caps of the kinds a member starts alone, without anyone else's say and without a bound of their
# own: a report (3 of 5 points a day). Betas pay once per beta that staff open; answers, curation, creations and
# thanks need another member or staff.
DEFAULT_DAILY_CAPS: dict[str, int] = {"feedback_given": 15}


class CapsConfig(_Model):
    thanks_given_per_day: NonNegInt = 5
    thanks_received_from_same_giver_per_week: NonNegInt = 2
    # The kinds a member starts alone (a report) are capped by default; listing the table replaces the default.
    points_per_kind_per_day: dict[ContributionKind, NonNegInt] = Field(
        default_factory=lambda: dict(DEFAULT_DAILY_CAPS))
    curator_min_points: NonNegInt = Field(100, description=N_("0 = only the curator role makes a curator"))
    thanks_pair_cooldown_hours: NonNegInt = Field(24, description=N_("0 = no cooldown between two thanks of a pair"))
    probation_days: NonNegInt = Field(0, description=N_("credit of newer members is held; 0 = no probation"))
    exempt_kinds: list[ContributionKind] = Field(default_factory=lambda: ["answer"])

    def daily_points_cap(self, kind: str) -> int | None:
        """The daily points cap for ``kind``, or None when uncapped."""
        return self.points_per_kind_per_day.get(kind)  # type: ignore[call-overload]


class SolutionsConfig(_Model):
    solved_tag: NonEmptyStr = "Solved"
    multiple: bool = False
    close_after_hours: NonNegInt = Field(24, description=N_("0 = never auto close"))


class CurationConfig(_Model):
    """Featuring posts in the showcase (``[guilds.<id>.curation]``)."""

    starboard_emoji: NonEmptyStr = "⭐"
    starboard_threshold: NonNegInt = Field(0, description=N_("distinct reactors that feature a post; 0 = off"))
    starboard_min_account_age_days: NonNegInt = 7


class CreationConfig(_Model):
    """Guides and creations staff approve (``[guilds.<id>.creation]``)."""

    channels: list[ChannelRef] = Field(default_factory=list)


class LedgerConfig(_Model):
    """Receipts and ring reports (``[guilds.<id>.ledger]``)."""

    receipts: Literal["dm", "ephemeral", "off"] = "ephemeral"
    ring_window_days: NonNegInt = Field(30, description=N_("0 = no reciprocal-ring report"))
    ring_min_exchanges: int = Field(4, ge=2)


def _season_time(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise config_error(said(N_("give a UTC offset (e.g. 2026-01-01T00:00:00Z) or a plain date")))
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


SeasonTime = Annotated[datetime, BeforeValidator(_season_time)]


class SeasonConfig(_Model):
    """A season (``[[guilds.<id>.seasons]]``): from ``starts`` (inclusive) to ``ends`` (exclusive)."""

    id: NonEmptyStr = Field(max_length=20)
    starts: SeasonTime
    ends: SeasonTime

    @model_validator(mode="after")
    def _ordered(self) -> SeasonConfig:
        if re.fullmatch(r"[WM]\d{4}-\d{2}", self.id):
            raise config_error(said(N_("W2026-47 / M2026-11 style ids are kept for calendar weeks and months; "
                                       "choose another id")), "id")
        if self.ends <= self.starts:
            raise config_error(said(N_("must be after starts")), "ends")
        return self


class AnnouncementsConfig(_Model):
    """The announcement budget and ``/announce`` (``[guilds.<id>.announcements]``)."""

    per_channel_per_day: NonNegInt = 2
    per_channel_per_week: NonNegInt = 5
    reply_count_after_hours: NonNegInt = Field(24, description=N_("staff-log count of thread replies; 0 = off"))
    max_image_mb: int = Field(8, ge=1, le=25, description=N_("largest /announce image"))

    @model_validator(mode="after")
    def _day_within_week(self) -> AnnouncementsConfig:
        if self.per_channel_per_day > self.per_channel_per_week:
            raise config_error(
                said(N_("must not exceed per_channel_per_week ({day} > {week})"), day=self.per_channel_per_day,
                     week=self.per_channel_per_week),
                "per_channel_per_day",
            )
        return self


class BetasConfig(_Model):
    """Beta programs (``[guilds.<id>.betas]``)."""

    remove_cohort_role_on_close: bool = True
    alumni_role: RoleRef | None = Field(None, description=N_("given to participants when a beta closes"))
    reminder_hours_before_end: NonNegInt = Field(24, description=N_("0 = no reminder before the end"))
    feedback_nudge_hours: NonNegInt = Field(72, description=N_("after joining; 0 = no feedback nudge"))
    feedback_bonus_points: NonNegInt = Field(0, description=N_("extra beta points on close for feedback givers"))
    thank_you: NonEmptyStr = "Thank you for taking part in the {beta} beta! Your feedback shapes what we build next."
    thank_you_no_feedback: NonEmptyStr = (
        "Thank you for taking part in the {beta} beta! Using it early, in real life, is how we learn it's ready "
        "for everyone.")
    waitlist_closed: NonEmptyStr = (
        "The {beta} beta has closed before a spot opened up for you. Thank you for signing up: watch the "
        "announcements for the next beta.")
    announcement_debounce_seconds: float = Field(1.5, ge=0, le=30)
    rejoin_cooldown_seconds: NonNegInt = Field(300, le=86400, description=N_("after leaving; 0 = none"))

    @field_validator("thank_you", "thank_you_no_feedback", "waitlist_closed")
    @classmethod
    def _check_thank_you(cls, value: str) -> str:
        _template_fields(value)
        return value


class FeedbackTagsConfig(_Model):
    """Forum tag names for each feedback type and status (``[guilds.<id>.feedback.tags]``)."""

    bug: NonEmptyStr = "Bug"
    idea: NonEmptyStr = "Idea"
    praise: NonEmptyStr = "Praise"
    question: NonEmptyStr = "Question"
    new: NonEmptyStr = "New"
    acknowledged: NonEmptyStr = "Acknowledged"
    planned: NonEmptyStr = "Planned"
    in_progress: NonEmptyStr = "In progress"
    shipped: NonEmptyStr = "Shipped"
    declined: NonEmptyStr = "Declined"
    duplicate: NonEmptyStr = "Duplicate"

    def for_value(self, value: str) -> str | None:
        """The tag name of a feedback type or status (``None`` for states without a tag)."""
        return getattr(self, value, None) if value in type(self).model_fields else None


class FeedbackConfig(_Model):
    """Feedback threads (``[guilds.<id>.feedback]``)."""

    review_queue: bool = False
    review_channel: ChannelRef = "staff-log"
    self_votes_count: bool = False
    reports_per_day: NonNegInt = Field(5, description=N_("reports one member may open per UTC day; 0 = no limit"))
    tags: FeedbackTagsConfig = Field(default_factory=FeedbackTagsConfig)


class PrivacyConfig(_Model):
    """``[guilds.<id>.privacy]``: members' data rights."""

    retention_days_after_leave: NonNegInt = Field(
        0, description=N_("erase the personal data of members who left more than this many days ago; 0 = keep"))


class PublicConfig(_Model):
    """``[guilds.<id>.public]``: the read-only public pages (roadmap, changelog, top requests, betas) under
    ``/p/<slug>/`` on the web server. Off by default."""

    enabled: bool = Field(False, description=N_("serve this server's public pages"))
    slug: str = Field("", description=N_("the pages' address: /p/<slug>/ (2-40 lower-case letters, digits, dashes)"))
    public_types: list[Literal["bug", "idea", "praise", "question"]] = Field(
        default_factory=lambda: ["idea"], description=N_("feedback types shown unless staff mark an item otherwise"))
    show_details: bool = Field(False, description=N_("show a report's details (never its steps or staff notes)"))

    @field_validator("slug")
    @classmethod
    def _check_slug(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])", value):
            raise config_error(said(N_("must be 2-40 lower-case letters, digits or dashes, starting and ending with "
                                       "a letter or digit (e.g. 'acme')")))
        return value

    @model_validator(mode="after")
    def _slug_when_enabled(self) -> PublicConfig:
        if self.enabled and not self.slug:
            raise config_error(said(N_("is required when public pages are enabled (e.g. slug = \"acme\")")), "slug")
        return self

# PostgreSQL's built-in text search configurations (``\\dF``): the stemmers the search index can use.
SEARCH_LANGUAGES = ("simple", "arabic", "armenian", "basque", "catalan", "danish", "dutch", "english", "finnish",
                    "french", "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian",
                    "lithuanian", "nepali", "norwegian", "portuguese", "romanian", "russian", "serbian",
                    "spanish", "swedish", "tamil", "turkish", "yiddish")


class SearchConfig(_Model):
    """``[guilds.<id>.search]``: similar feedback and already-solved help posts (bot/search)."""

    language: str = Field("english", description=N_("PostgreSQL text search configuration; SQLite always "
                                                     "stems English (FTS5 porter)"))
    suggest: bool = Field(True, description=N_('"Is it one of these?" before a report is posted'))
    help_suggestions: bool = Field(True, description=N_('"Maybe already answered:" in new help posts'))
    helped_per_day: NonNegInt = Field(3, description=N_('"your answer helped again" credits per answerer per UTC '
                                                        "day; 0 = none"))

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SEARCH_LANGUAGES:
            raise config_error(said(N_("unknown text search language {value}: use one of {choices}"),
                                    value=repr(value), choices=", ".join(SEARCH_LANGUAGES)))
        return value


class InsightsConfig(_Model):
    """``[guilds.<id>.insights]``: /stats charts and exports."""

    default_period: Literal["7d", "30d", "90d", "365d", "all"] = "30d"
