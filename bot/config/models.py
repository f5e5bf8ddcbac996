"""Pydantic models describing the Kudos configuration file.

Every model forbids unknown keys, is strict about types (TOML is typed, so ``"5"`` is
not an integer) and is frozen: the configuration is built once and passed down.

Cross-field problems are raised as ``PydanticCustomError("kudos_config", ...)`` whose
context carries ``problem`` (the friendly text) and ``at`` (a location relative to the
error's own location), so :mod:`bot.config.loader` can point at the exact key.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from datetime import UTC, date, datetime
from difflib import get_close_matches
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .errors import toml_type_name
from .merge import merge_overrides

__all__ = [
    "CONTRIBUTION_KINDS",
    "REWARD_EVENTS",
    "DEFAULT_DATABASE_URL",
    "ERROR_TYPE",
    "ContributionKind",
    "RewardEvent",
    "BotConfig",
    "CronJob",
    "SchedulerConfig",
    "ChannelsConfig",
    "PointsConfig",
    "CapsConfig",
    "SolutionsConfig",
    "CurationConfig",
    "CreationConfig",
    "LedgerConfig",
    "SeasonConfig",
    "BroadcastConfig",
    "BetasConfig",
    "FeedbackConfig",
    "FeedbackTagsConfig",
    "PerkPool",
    "RewardTrigger",
    "RewardConditions",
    "RewardConfig",
    "RewardDeliveryConfig",
    "PrivacyConfig",
    "InsightsConfig",
    "GuildConfig",
    "WebConfig",
    "KudosConfig",
]

ContributionKind = Literal["answer", "curation", "creation", "thanks", "feedback", "beta"]
CONTRIBUTION_KINDS: tuple[str, ...] = ("answer", "curation", "creation", "thanks", "feedback", "beta")

RewardEvent = Literal["beta_joined", "first_feedback", "feedback_shipped", "answer_accepted", "post_featured"]
REWARD_EVENTS: tuple[str, ...] = get_args(RewardEvent)

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
CommandSync = Literal["guild", "global", "off"]

assert CONTRIBUTION_KINDS == get_args(ContributionKind)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///kudos.db"
DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
ERROR_TYPE = "kudos_config"
MAX_SNOWFLAKE = 2**64 - 1
TOKEN_PROBLEM = "tokens are not read from the config file; set the KUDOS_TOKEN environment variable"
WEB_SECRET_PROBLEM = "the dashboard secret is not read from the config file; set the KUDOS_WEB_SECRET environment variable"
_GUILD_KEY = re.compile(r"^[1-9][0-9]{0,19}$")
_POOL_NAME = re.compile(r"^[a-z0-9-]+$")
_PLACEHOLDER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def config_error(problem: str, *at: str | int) -> PydanticCustomError:
    """A validation error with a friendly one-line text, located ``at`` below the current location."""
    return PydanticCustomError(ERROR_TYPE, "{problem}", {"problem": problem, "at": tuple(at)})


def _did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    match = get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not match:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            match = [lowered[word.lower()]]
    return f" (did you mean '{match[0]}'?)" if match else ""


# --------------------------------------------------------------------------- field types


def _non_empty(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise config_error("must not be empty")
    return value


def _ref(what: str):
    def validate(value: Any) -> int | str:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                raise config_error("must not be empty")
            if not (text.isascii() and text.isdigit()):
                return text
            value = int(text)
        elif isinstance(value, bool) or not isinstance(value, int):
            raise config_error(f"expected a {what} name or numeric id (got {toml_type_name(value)})")
        if not 0 < value <= MAX_SNOWFLAKE:
            raise config_error(f"{what} ids must be positive 64-bit integers (got {value})")
        return value

    return validate


NonEmptyStr = Annotated[str, BeforeValidator(_non_empty)]
# A role / channel is referenced by name (resolved later by the bot) or by id. Numeric
# strings are turned into ints, so downstream code can rely on: int = id, str = name.
RoleRef = Annotated[int | str, BeforeValidator(_ref("role"))]
ChannelRef = Annotated[int | str, BeforeValidator(_ref("channel"))]
NonNegInt = Annotated[int, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --------------------------------------------------------------------------- [bot]


class BotConfig(_Model):
    """Process-wide settings (``[bot]``)."""

    database_url: NonEmptyStr = Field(
        DEFAULT_DATABASE_URL, description="SQLAlchemy async URL: sqlite+aiosqlite:// or postgresql+asyncpg://"
    )
    auto_migrate: bool = Field(True, description="Upgrade the database schema at start")
    shard_count: int = Field(0, ge=-1, description="0 = single process, N >= 1 = N shards, -1 = ask Discord")
    log_level: LogLevel = "INFO"
    command_sync: CommandSync = Field("guild", description="Where application commands are synced at start")
    guild_ready_timeout: float = Field(2.0, gt=0, description="Seconds to wait for GUILD_CREATE events")
    member_cache: bool = Field(True, description="Cache members (role rewards need it); also chunks at startup")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        scheme, sep, _rest = value.strip().partition("://")
        if not sep or not scheme:
            raise config_error(f"must be a database URL such as '{DEFAULT_DATABASE_URL}'")
        if scheme.lower() not in DATABASE_DRIVERS:
            # Only the scheme is echoed: the rest of the URL may hold a password.
            raise config_error(
                f"unsupported database driver '{scheme}'; use 'sqlite+aiosqlite://...' or 'postgresql+asyncpg://...'"
            )
        return value.strip()

    @property
    def sharded(self) -> bool:
        """True when the bot should run as an AutoShardedBot."""
        return self.shard_count != 0

    @property
    def chunk_guilds_at_startup(self) -> bool:
        return self.member_cache

    @property
    def database_backend(self) -> Literal["sqlite", "postgresql"]:
        return "sqlite" if self.database_url.lower().startswith("sqlite") else "postgresql"


# --------------------------------------------------------------------------- [scheduler]

_CRON_FIELDS = ("minute", "hour", "day", "month", "day_of_week")


def check_crontab(expr: str, timezone: str = "UTC") -> CronTrigger:
    """Build the trigger for a 5-field crontab, raising a friendly error when it is invalid."""
    fields = expr.split()
    if len(fields) != 5:
        raise config_error(
            f"invalid cron expression '{expr}': expected 5 fields "
            f"(minute hour day month day-of-week), got {len(fields)}"
        )
    for name, value in zip(_CRON_FIELDS, fields, strict=True):
        try:
            CronTrigger(**{name: value}, timezone=timezone)
        except Exception as exc:  # apscheduler raises ValueError (and occasionally others)
            raise config_error(
                f"invalid cron expression '{expr}': bad {name.replace('_', '-')} field '{value}': {exc}"
            ) from None
    try:
        return CronTrigger.from_crontab(expr, timezone=timezone)
    except Exception as exc:
        raise config_error(f"invalid cron expression '{expr}': {exc}") from None


def _check_json_compatible(value: Any, path: tuple[str | int, ...]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_json_compatible(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_compatible(item, (*path, index))
    elif isinstance(value, float) and not math.isfinite(value):
        raise config_error(f"payload values must be finite numbers (got {value})", *path)
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise config_error(
            f"payload values must be strings, numbers, booleans, arrays or tables (got {toml_type_name(value)})",
            *path,
        )


@lru_cache(maxsize=1)
def _time_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


class CronJob(_Model):
    """A recurring timer declared in ``[[scheduler.cron]]``."""

    name: NonEmptyStr
    event: NonEmptyStr = Field(description="Timer event name fired on each run")
    cron: NonEmptyStr = Field(description="5-field crontab: minute hour day month day-of-week")
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, value: str) -> str:
        check_crontab(value)
        return value.strip()

    @field_validator("payload")
    @classmethod
    def _check_payload(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_json_compatible(value, ())
        return value


class SchedulerConfig(_Model):
    """Durable timers (``[scheduler]``)."""

    timezone: str = Field("UTC", description="IANA time zone used for cron jobs")
    max_attempts: int = Field(5, ge=1)
    retry_base_seconds: float = Field(30.0, gt=0)
    claim_timeout_seconds: float = Field(300.0, gt=0)
    cron: list[CronJob] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            hint = _did_you_mean(value, _time_zones()) or " (use an IANA name such as 'UTC' or 'Europe/Paris')"
            raise config_error(f"unknown time zone '{value}'{hint}") from None
        return value

    @model_validator(mode="after")
    def _unique_jobs(self) -> SchedulerConfig:
        seen: dict[str, int] = {}
        for index, job in enumerate(self.cron):
            if job.name in seen:
                raise config_error(
                    f"duplicate cron job name '{job.name}' (already used by cron[{seen[job.name]}])",
                    "cron", index, "name",
                )
            seen[job.name] = index
        return self

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def trigger(self, job: CronJob) -> CronTrigger:
        """The APScheduler trigger for ``job`` in the configured time zone."""
        return CronTrigger.from_crontab(job.cron, timezone=self.tzinfo)


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
    feedback: NonNegInt = 5
    beta: NonNegInt = 5

    def for_kind(self, kind: str) -> int:
        if kind not in CONTRIBUTION_KINDS:
            raise KeyError(kind)
        return getattr(self, kind)


class CapsConfig(_Model):
    thanks_given_per_day: NonNegInt = 5
    thanks_received_from_same_giver_per_week: NonNegInt = 2
    points_per_kind_per_day: dict[ContributionKind, NonNegInt] = Field(default_factory=dict)
    curator_min_points: NonNegInt = Field(100, description="0 = only the curator role makes a curator")
    thanks_pair_cooldown_hours: NonNegInt = Field(24, description="0 = no cooldown between two thanks of a pair")
    probation_days: NonNegInt = Field(0, description="credit of newer members is held; 0 = no probation")
    exempt_kinds: list[ContributionKind] = Field(default_factory=lambda: ["answer"])

    def daily_points_cap(self, kind: str) -> int | None:
        """The daily points cap for ``kind``, or None when uncapped."""
        return self.points_per_kind_per_day.get(kind)  # type: ignore[call-overload]


class SolutionsConfig(_Model):
    solved_tag: NonEmptyStr = "Solved"
    multiple: bool = False
    close_after_hours: NonNegInt = Field(24, description="0 = never auto close")


class CurationConfig(_Model):
    """Featuring posts in the showcase (``[guilds.<id>.curation]``)."""

    starboard_emoji: NonEmptyStr = "⭐"
    starboard_threshold: NonNegInt = Field(0, description="distinct reactors that feature a post; 0 = off")
    starboard_min_account_age_days: NonNegInt = 7


class CreationConfig(_Model):
    """Guides and creations staff approve (``[guilds.<id>.creation]``)."""

    channels: list[ChannelRef] = Field(default_factory=list)


class LedgerConfig(_Model):
    """Receipts and ring reports (``[guilds.<id>.ledger]``)."""

    receipts: Literal["dm", "ephemeral", "off"] = "ephemeral"
    ring_window_days: NonNegInt = Field(30, description="0 = no reciprocal-ring report")
    ring_min_exchanges: int = Field(4, ge=2)


def _season_time(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise config_error("give a UTC offset (e.g. 2026-01-01T00:00:00Z) or a plain date")
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
            raise config_error("W2026-47 / M2026-11 style ids are kept for calendar weeks and months; "
                               "choose another id", "id")
        if self.ends <= self.starts:
            raise config_error("must be after starts", "ends")
        return self


class BroadcastConfig(_Model):
    per_channel_per_day: NonNegInt = 2
    per_channel_per_week: NonNegInt = 5
    reply_count_after_hours: NonNegInt = Field(24, description="staff-log count of thread replies; 0 = off")
    max_image_mb: int = Field(8, ge=1, le=25, description="largest /announce image")

    @model_validator(mode="after")
    def _day_within_week(self) -> BroadcastConfig:
        if self.per_channel_per_day > self.per_channel_per_week:
            raise config_error(
                f"must not exceed per_channel_per_week ({self.per_channel_per_day} > {self.per_channel_per_week})",
                "per_channel_per_day",
            )
        return self


class BetasConfig(_Model):
    """Beta programs (``[guilds.<id>.betas]``)."""

    remove_cohort_role_on_close: bool = True
    alumni_role: RoleRef | None = Field(None, description="given to participants when a beta closes")
    reminder_hours_before_end: NonNegInt = Field(24, description="0 = no reminder before the end")
    feedback_nudge_hours: NonNegInt = Field(72, description="after joining; 0 = no feedback nudge")
    feedback_bonus_points: NonNegInt = Field(0, description="extra beta points on close for feedback givers")
    thank_you: NonEmptyStr = "Thank you for taking part in the {beta} beta! Your feedback shapes what we build next."
    announcement_debounce_seconds: float = Field(1.5, ge=0, le=30)

    @field_validator("thank_you")
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
    points_acknowledged: NonNegInt = 3
    points_shipped: NonNegInt = 10
    tags: FeedbackTagsConfig = Field(default_factory=FeedbackTagsConfig)


class PerkPool(_Model):
    name: str
    description: str = ""
    low_stock_warning: NonNegInt = 5
    per_member_limit: NonNegInt = Field(0, description="0 = no limit")
    budget: NonNegInt = Field(0, description="codes per budget_period_days before staff approval; 0 = no budget")
    budget_period_days: int = Field(30, ge=1)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _POOL_NAME.match(value):
            raise config_error(f"must contain only lowercase letters, digits and '-' (got {value!r})")
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
            raise config_error(f"must set exactly one of: {_TRIGGER_FORMS} (got none)")
        if len(forms) > 1:
            raise config_error(f"must set exactly one of: {_TRIGGER_FORMS} (got {' and '.join(forms)})")
        if self.kind is not None and self.count is None:
            raise config_error("a kind trigger also needs count (e.g. { kind = \"answer\", count = 5 })")
        if self.count is not None and self.kind is None:
            raise config_error("a count trigger also needs kind (e.g. { kind = \"answer\", count = 5 })")
        if self.points is None:
            for extra in ("window_days", "season"):
                if getattr(self, extra) is not None:
                    raise config_error("only applies to points triggers", extra)
        elif self.window_days is not None and self.season:
            raise config_error("set either window_days or season = true, not both", "season")
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
    min_account_age_days: NonNegInt = 0
    min_membership_days: NonNegInt = 0
    has_role: list[RoleRef] = Field(default_factory=list)
    lacks_role: list[RoleRef] = Field(default_factory=list)
    mode: Literal["all", "any"] = "all"


def _template_fields(template: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise config_error(f"malformed template: {exc} (write {{{{ and }}}} for literal braces)") from None
    names: list[str] = []
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _PLACEHOLDER.match(field) or spec or conversion:
            raise config_error(
                f"placeholders must be plain names like {{code}} (got {{{field}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}})"
            )
        names.append(field)
    return names


class RewardConfig(_Model):
    """A reward rule (``[[guilds.<id>.rewards]]``)."""

    name: NonEmptyStr
    trigger: RewardTrigger
    conditions: RewardConditions = Field(default_factory=RewardConditions)
    role: RoleRef | None = None
    role_duration_days: NonNegInt = Field(0, description="0 = permanent")
    perk_pool: NonEmptyStr | None = None
    dm: NonEmptyStr | None = None
    bonus_points: NonNegInt = 0
    repeatable: bool = False
    cooldown_days: NonNegInt = 0
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
            raise config_error("grants nothing: set at least one of role, perk_pool, dm, or bonus_points > 0")
        if self.role_duration_days and self.role is None:
            raise config_error("needs role to be set", "role_duration_days")
        if self.cooldown_days and not self.repeatable:
            raise config_error("only applies to repeatable rewards (set repeatable = true)", "cooldown_days")
        if self.dm is not None and self.perk_pool is None and "code" in _template_fields(self.dm):
            raise config_error("uses {code} but the reward has no perk_pool to draw a code from", "dm")
        if self.demote and (self.role is None or self.trigger.type not in ("points", "kind")):
            raise config_error("needs a role and a points or kind+count trigger", "demote")
        if (self.role_group is not None or self.replace_in_group) and self.role is None:
            raise config_error("needs role to be set", "role_group" if self.role_group is not None else "replace_in_group")
        if self.replace_in_group and self.role_group is None:
            raise config_error("needs role_group to be set", "replace_in_group")
        return self


class RewardDeliveryConfig(_Model):
    """How the reward dispatcher delivers grants (``[guilds.<id>.reward_delivery]``)."""

    max_attempts: int = Field(5, ge=1)
    retry_base_seconds: float = Field(30.0, gt=0)
    claim_timeout_seconds: float = Field(120.0, gt=0)
    reconcile: Literal["report", "readd", "accept"] = "report"
    reconcile_every_hours: NonNegInt = Field(24, description="0 = never")
    restore_on_rejoin: bool = True
    demote_after_days: int = Field(14, ge=1)
    demote_below: float = Field(0.9, gt=0, le=1)


class PrivacyConfig(_Model):
    """``[guilds.<id>.privacy]``: members' data rights."""

    retention_days_after_leave: NonNegInt = Field(
        0, description="erase the personal data of members who left more than this many days ago; 0 = keep")


class InsightsConfig(_Model):
    """``[guilds.<id>.insights]``: /stats charts and exports."""

    default_period: Literal["7d", "30d", "90d", "365d", "all"] = "30d"


class GuildConfig(_Model):
    """Settings of one guild: ``[guilds.default]`` merged with ``[guilds.<id>]``."""

    staff_roles: list[RoleRef] = Field(default_factory=lambda: ["Staff"])
    moderator_roles: list[RoleRef] = Field(default_factory=lambda: ["Moderator"])
    curator_roles: list[RoleRef] = Field(default_factory=lambda: ["Curator"])
    helper_roles: list[RoleRef] = Field(default_factory=lambda: ["Helper"])
    channels: ChannelsConfig = Field(default_factory=ChannelsConfig)
    points: PointsConfig = Field(default_factory=PointsConfig)
    caps: CapsConfig = Field(default_factory=CapsConfig)
    solutions: SolutionsConfig = Field(default_factory=SolutionsConfig)
    broadcast: BroadcastConfig = Field(default_factory=BroadcastConfig)
    betas: BetasConfig = Field(default_factory=BetasConfig)
    curation: CurationConfig = Field(default_factory=CurationConfig)
    creation: CreationConfig = Field(default_factory=CreationConfig)
    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    seasons: list[SeasonConfig] = Field(default_factory=list)
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    perk_pools: list[PerkPool] = Field(default_factory=list)
    rewards: list[RewardConfig] = Field(default_factory=list)
    reward_delivery: RewardDeliveryConfig = Field(default_factory=RewardDeliveryConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    insights: InsightsConfig = Field(default_factory=InsightsConfig)

    @model_validator(mode="after")
    def _check_seasons(self) -> GuildConfig:
        seen: dict[str, int] = {}
        for index, season in enumerate(self.seasons):
            if season.id in seen:
                raise config_error(f"duplicate season id '{season.id}' (already used by seasons[{seen[season.id]}])",
                                   "seasons", index, "id")
            seen[season.id] = index
        ordered = sorted(enumerate(self.seasons), key=lambda pair: pair[1].starts)
        for (_, before), (index, after) in zip(ordered, ordered[1:], strict=False):
            if after.starts < before.ends:
                raise config_error(f"overlaps season '{before.id}' (seasons must not overlap)",
                                   "seasons", index, "starts")
        return self

    @model_validator(mode="after")
    def _check_references(self) -> GuildConfig:
        pools: dict[str, int] = {}
        for index, pool in enumerate(self.perk_pools):
            if pool.name in pools:
                raise config_error(
                    f"duplicate perk pool name '{pool.name}' (already used by perk_pools[{pools[pool.name]}])",
                    "perk_pools", index, "name",
                )
            pools[pool.name] = index
        rewards: dict[str, int] = {}
        for index, reward in enumerate(self.rewards):
            if reward.name in rewards:
                raise config_error(
                    f"duplicate reward name '{reward.name}' (already used by rewards[{rewards[reward.name]}])",
                    "rewards", index, "name",
                )
            rewards[reward.name] = index
            privileged = [*self.staff_roles, *self.moderator_roles]
            if reward.role is not None and reward.role in privileged:
                raise config_error(
                    f"role {reward.role!r} is a staff or moderator role; a reward must not hand out staff powers",
                    "rewards", index, "role",
                )
            if reward.perk_pool is not None and reward.perk_pool not in pools:
                known = f"perk pools of this guild: {', '.join(pools)}" if pools else "this guild has no perk pools"
                raise config_error(
                    f"unknown perk pool '{reward.perk_pool}'{_did_you_mean(reward.perk_pool, list(pools))} ({known})",
                    "rewards", index, "perk_pool",
                )
        return self

    def perk_pool(self, name: str) -> PerkPool | None:
        return next((pool for pool in self.perk_pools if pool.name == name), None)

    def reward(self, name: str) -> RewardConfig | None:
        return next((reward for reward in self.rewards if reward.name == name), None)


# --------------------------------------------------------------------------- [web]


class WebConfig(_Model):
    """``[web]``: the staff dashboard served from the bot process (see docs/dashboard.md)."""

    enabled: bool = Field(False, description="Serve the staff dashboard")
    host: NonEmptyStr = Field("127.0.0.1", description="Address the web server listens on")
    port: int = Field(8080, ge=0, le=65535, description="TCP port; 0 = any free port")
    public_url: str = Field("", description="Base URL members' browsers use (login links); default http://host:port")

    @model_validator(mode="before")
    @classmethod
    def _refuse_secret(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key in data:
                if "secret" in str(key).lower() or "password" in str(key).lower():
                    raise config_error(WEB_SECRET_PROBLEM, key)
        return data

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", value):
            raise config_error("must be an http:// or https:// URL without a query, e.g. 'https://kudos.example.com'")
        return value


# --------------------------------------------------------------------------- top level


def find_token_key(data: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The path of the first key whose name contains 'token' (any case), in document order."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if "token" in str(key).lower():
                return (*path, key)
            found = find_token_key(value, (*path, key))
            if found:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found = find_token_key(value, (*path, index))
            if found:
                return found
    return None


class KudosConfig(_Model):
    """The whole configuration. Build it with ``load_config`` / ``parse_config``."""

    bot: BotConfig = Field(default_factory=BotConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    guilds: dict[str, GuildConfig] = Field(
        default_factory=lambda: {"default": GuildConfig()},
        description="'default' plus one entry per guild id; after loading, every entry is fully merged",
    )

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any) -> Any:
        """Refuse tokens, check guild keys and merge every [guilds.<id>] over [guilds.default]."""
        if not isinstance(data, Mapping):
            return data
        token_path = find_token_key(data)
        if token_path:
            raise config_error(TOKEN_PROBLEM, *token_path)
        guilds = data.get("guilds")
        if not isinstance(guilds, Mapping):
            return data
        for key in guilds:
            if key != "default" and not (_GUILD_KEY.match(str(key)) and int(key) <= MAX_SNOWFLAKE):
                raise config_error(
                    "not a guild id: guild tables must be [guilds.default] or [guilds.<numeric guild id>]",
                    "guilds", key,
                )
        default = guilds.get("default", {})
        merged: dict[str, Any] = {"default": default}
        for key, override in guilds.items():
            if key != "default":
                both_tables = isinstance(default, Mapping) and isinstance(override, Mapping)
                merged[key] = merge_overrides(default, override) if both_tables else override
        return {**data, "guilds": merged}

    def guild(self, guild_id: int) -> GuildConfig:
        """The configuration of ``guild_id``: its merged [guilds.<id>] or else [guilds.default]."""
        found = self.guilds.get(str(int(guild_id)))
        return found if found is not None else self.guilds["default"]

    @property
    def default_guild(self) -> GuildConfig:
        return self.guilds["default"]

    @property
    def guild_ids(self) -> tuple[int, ...]:
        """Ids of the guilds that have their own [guilds.<id>] table."""
        return tuple(int(key) for key in self.guilds if key != "default")
