"""Pydantic models describing the Kudos configuration file.

Every model forbids unknown keys, is strict about types (TOML is typed, so ``"5"`` is
not an integer) and is frozen: the configuration is built once and passed down.

Cross-field problems are raised as ``PydanticCustomError("kudos_config", ...)`` whose
context carries ``problem`` (the friendly text) and ``at`` (a location relative to the
error's own location), so :mod:`bot.platform.config.loader` can point at the exact key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, field_validator, model_validator

from bot.platform.config.base import (
    _GUILD_KEY,
    CONTRIBUTION_KINDS,
    DATABASE_DRIVERS,
    DEFAULT_DATABASE_URL,
    ERROR_TYPE,
    MAX_SNOWFLAKE,
    REWARD_EVENTS,
    TOKEN_PROBLEM,
    WEB_SECRET_PROBLEM,
    CommandSync,
    ContributionKind,
    LogLevel,
    NonEmptyStr,
    RewardEvent,
    RoleRef,
    _did_you_mean,
    _Model,
    config_error,
)
from bot.platform.config.github import GithubConfig
from bot.platform.config.privileges import PRIVILEGES, GivebackConfig, PrivilegesConfig
from bot.platform.config.rewards import (
    PerkPool,
    RewardConditions,
    RewardConfig,
    RewardDeliveryConfig,
    RewardTrigger,
)
from bot.platform.config.sections import (
    AnnouncementsConfig,
    BetasConfig,
    CapsConfig,
    ChannelsConfig,
    CreationConfig,
    CurationConfig,
    FeedbackConfig,
    FeedbackTagsConfig,
    InsightsConfig,
    LedgerConfig,
    PointsConfig,
    PrivacyConfig,
    PublicConfig,
    SearchConfig,
    SeasonConfig,
    SolutionsConfig,
)
from bot.platform.config.webhooks import WebhookEndpointConfig, WebhooksConfig, private_endpoint_problems
from bot.platform.deferred import said
from bot.platform.i18n import N_

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
    "AnnouncementsConfig",
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
    "PublicConfig",
    "SearchConfig",
    "GuildConfig",
    "WebConfig",
    "WebhooksConfig",
    "WebhookEndpointConfig",
    "MetricsConfig",
    "KudosConfig",
]


# --------------------------------------------------------------------------- [bot]


class BotConfig(_Model):
    """Process-wide settings (``[bot]``)."""

    database_url: NonEmptyStr = Field(
        DEFAULT_DATABASE_URL, description="SQLAlchemy async URL: sqlite+aiosqlite:// or postgresql+asyncpg://"
    )
    auto_migrate: bool = Field(True, description="Upgrade the database schema at start")
    shard_count: int = Field(0, ge=-1, description="0 = single process, N >= 1 = N shards, -1 = ask Discord")
    log_level: LogLevel = "INFO"
    log_format: Literal["text", "json"] = Field(
        "text", description="text: one readable line per record; json: one JSON object per line, with ids")
    command_sync: CommandSync = Field("guild", description="Where application commands are synced at start")
    guild_ready_timeout: float = Field(2.0, gt=0, description="Seconds to wait for GUILD_CREATE events")
    connect_attempts: int = Field(5, ge=1, le=100, description="Tries to reach Discord at start before giving up")
    connect_backoff_seconds: float = Field(2.0, ge=0, le=300, description="First wait between those tries; doubles")
    member_cache: bool = Field(True, description="Cache members (role rewards need it); also chunks at startup")
    gc_freeze: bool = Field(True, description="Once ready, keep start-up objects out of full GC passes")
    shutdown_grace_seconds: float = Field(
        20.0, ge=0, le=600, description="On SIGTERM: how long in-flight interactions and jobs may take to finish")
    interaction_burst: int = Field(10, ge=0, le=1000, description="Interactions a member may send at once; 0 = no limit")
    interaction_refill_per_second: float = Field(1.0, gt=0, le=100, description="Tokens a member gets back each second")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        scheme, sep, _rest = value.strip().partition("://")
        if not sep or not scheme:
            raise config_error(said(N_("must be a database URL such as '{example}'"), example=DEFAULT_DATABASE_URL))
        if scheme.lower() not in DATABASE_DRIVERS:
            # Only the scheme is echoed: the rest of the URL may hold a password.
            raise config_error(said(
                N_("unsupported database driver '{scheme}'; use 'sqlite+aiosqlite://...' or 'postgresql+asyncpg://...'"),
                scheme=scheme))
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
        raise config_error(said(N_("invalid cron expression '{expr}': expected 5 fields "
                                   "(minute hour day month day-of-week), got {count}"), expr=expr, count=len(fields)))
    for name, value in zip(_CRON_FIELDS, fields, strict=True):
        try:
            CronTrigger(**{name: value}, timezone=timezone)
        except Exception as exc:  # apscheduler raises ValueError (and occasionally others)
            raise config_error(said(N_("invalid cron expression '{expr}': bad {field} field '{value}': {error}"),
                                    expr=expr, field=name.replace("_", "-"), value=value, error=str(exc))) from None
    try:
        return CronTrigger.from_crontab(expr, timezone=timezone)
    except Exception as exc:
        raise config_error(said(N_("invalid cron expression '{expr}': {error}"), expr=expr, error=str(exc))) from None


def _check_json_compatible(value: Any, path: tuple[str | int, ...]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_json_compatible(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_compatible(item, (*path, index))
    elif isinstance(value, float) and not math.isfinite(value):
        raise config_error(said(N_("payload values must be finite numbers (got {value})"), value=value), *path)
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise config_error(said(N_("payload values must be strings, numbers, booleans, arrays or tables (got {type})"),
                                type=toml_type_name(value)), *path)


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
            hint = _did_you_mean(value, _time_zones()) or said(N_(" (use an IANA name such as 'UTC' or 'Europe/Paris')"))
            raise config_error(said(N_("unknown time zone '{value}'{hint}"), value=value, hint=hint)) from None
        return value

    @model_validator(mode="after")
    def _unique_jobs(self) -> SchedulerConfig:
        seen: dict[str, int] = {}
        for index, job in enumerate(self.cron):
            if job.name in seen:
                raise config_error(
                    said(N_("duplicate cron job name '{name}' (already used by cron[{index}])"), name=job.name,
                         index=seen[job.name]),
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


class GuildConfig(_Model):
    """Settings of one guild: ``[guilds.default]`` merged with ``[guilds.<id>]``."""

    staff_roles: list[RoleRef] = Field(default_factory=lambda: ["Staff"])
    moderator_roles: list[RoleRef] = Field(default_factory=lambda: ["Moderator"])
    curator_roles: list[RoleRef] = Field(default_factory=lambda: ["Curator"])
    helper_roles: list[RoleRef] = Field(default_factory=lambda: ["Helper"])
    cards: Literal["embed", "v2"] = Field("embed", description=N_("How cards are drawn: classic embeds or Components V2"))
    language: str | None = Field(None, description=N_("Language of public posts; default: the server's preferred locale"))
    channels: ChannelsConfig = Field(default_factory=ChannelsConfig)
    points: PointsConfig = Field(default_factory=PointsConfig)
    caps: CapsConfig = Field(default_factory=CapsConfig)
    solutions: SolutionsConfig = Field(default_factory=SolutionsConfig)
    announcements: AnnouncementsConfig = Field(default_factory=AnnouncementsConfig)
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
    public: PublicConfig = Field(default_factory=PublicConfig)
    webhooks: WebhooksConfig = Field(default_factory=WebhooksConfig)
    github: GithubConfig = Field(default_factory=GithubConfig)
    privileges: PrivilegesConfig = Field(default_factory=PrivilegesConfig)
    giveback: GivebackConfig = Field(default_factory=GivebackConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str | None) -> str | None:
        from bot.platform.i18n import LANGUAGES

        if value is None:
            return None
        code = value.strip().replace("-", "_")
        if code not in LANGUAGES:
            raise config_error(said(N_("unknown language '{value}' (one of {choices})"), value=value,
                                    choices=", ".join(LANGUAGES)))
        return code

    @model_validator(mode="after")
    def _check_seasons(self) -> GuildConfig:
        seen: dict[str, int] = {}
        for index, season in enumerate(self.seasons):
            if season.id in seen:
                raise config_error(said(N_("duplicate season id '{id}' (already used by seasons[{index}])"),
                                        id=season.id, index=seen[season.id]), "seasons", index, "id")
            seen[season.id] = index
        ordered = sorted(enumerate(self.seasons), key=lambda pair: pair[1].starts)
        for (_, before), (index, after) in zip(ordered, ordered[1:], strict=False):
            if after.starts < before.ends:
                raise config_error(said(N_("overlaps season '{id}' (seasons must not overlap)"), id=before.id),
                                   "seasons", index, "starts")
        return self

    @model_validator(mode="after")
    def _check_references(self) -> GuildConfig:
        pools: dict[str, int] = {}
        for index, pool in enumerate(self.perk_pools):
            if pool.name in pools:
                raise config_error(
                    said(N_("duplicate perk pool name '{name}' (already used by perk_pools[{index}])"), name=pool.name,
                         index=pools[pool.name]),
                    "perk_pools", index, "name",
                )
            pools[pool.name] = index
        rewards: dict[str, int] = {}
        for index, reward in enumerate(self.rewards):
            if reward.name in rewards:
                raise config_error(
                    said(N_("duplicate reward name '{name}' (already used by rewards[{index}])"), name=reward.name,
                         index=rewards[reward.name]),
                    "rewards", index, "name",
                )
            rewards[reward.name] = index
            privileged = [*self.staff_roles, *self.moderator_roles]
            if reward.role is not None and reward.role in privileged:
                raise config_error(
                    said(N_("role {role} is a staff or moderator role; a reward must not hand out staff powers"),
                         role=repr(reward.role)),
                    "rewards", index, "role",
                )
            if reward.perk_pool is not None and reward.perk_pool not in pools:
                known = (said(N_("perk pools of this guild: {names}"), names=", ".join(pools)) if pools
                         else said(N_("this guild has no perk pools")))
                raise config_error(
                    said(N_("unknown perk pool '{name}'{hint} ({known})"), name=reward.perk_pool,
                         hint=_did_you_mean(reward.perk_pool, list(pools)), known=known),
                    "rewards", index, "perk_pool",
                )
        return self

    @model_validator(mode="after")
    def _check_privilege_roles(self) -> GuildConfig:
        privileged = [*self.staff_roles, *self.moderator_roles]
        for name in PRIVILEGES:
            role = self.privileges.rule(name).role
            if role is not None and role in privileged:
                raise config_error(said(N_("role {role} is a staff or moderator role; a privilege must not hand out "
                                           "staff powers"), role=repr(role)), "privileges", name, "role")
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
    allow_private_webhooks: bool = Field(
        False, description="Let outbound webhooks target loopback, private and link-local addresses (self-hosting)")

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
            raise config_error(said(N_("must be an http:// or https:// URL without a query, e.g. "
                                       "'https://kudos.example.com'")))
        return value


class MetricsConfig(_Model):
    """``[metrics]``: the operations listener (``/metrics``, ``/healthz``, ``/readyz``; docs/operations.md)."""

    enabled: bool = Field(False, description="Serve /metrics, /healthz and /readyz")
    host: NonEmptyStr = Field("127.0.0.1", description="Address the metrics listener binds (keep it private)")
    port: int = Field(9108, ge=0, le=65535, description="TCP port; 0 = any free port")


# --------------------------------------------------------------------------- [linked_roles]

LINKED_ROLE_RECORDS = ("points", "accepted_answers", "stage", "betas_joined", "days_since_first_contribution")
LinkedRoleRecord = Literal["points", "accepted_answers", "stage", "betas_joined", "days_since_first_contribution"]


class LinkedRolesConfig(_Model):
    """``[linked_roles]``: members' ledger numbers published as Discord Linked Roles metadata (docs/linked-roles.md)."""

    enabled: bool = Field(False, description="Register role-connection metadata and serve the verification URL")
    guild_id: int = Field(0, ge=0, le=MAX_SNOWFLAKE,
                          description="The server whose ledger numbers are published; 0 = the one server the bot is in")
    records: list[LinkedRoleRecord] = Field(default_factory=lambda: list(LINKED_ROLE_RECORDS),
                                            description="Which metadata records to publish (at most 5)")
    platform_name: str = Field("Kudos", min_length=1, max_length=50, description="Shown on the member's profile")
    batch_seconds: int = Field(30, ge=1, le=3600, description="Changes within this window go out in one batch")

    @field_validator("records")
    @classmethod
    def _check_records(cls, value: list[str]) -> list[str]:
        if len(value) > 5:
            raise config_error(said(N_("Discord allows at most 5 role-connection metadata records")))
        duplicates = sorted({r for r in value if value.count(r) > 1})
        if duplicates:
            raise config_error(said(N_("listed twice: {names}"), names=", ".join(duplicates)))
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
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    linked_roles: LinkedRolesConfig = Field(default_factory=LinkedRolesConfig)
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
                    said(N_("not a guild id: guild tables must be [guilds.default] or [guilds.<numeric guild id>]")),
                    "guilds", key,
                )
        default = guilds.get("default", {})
        merged: dict[str, Any] = {"default": default}
        for key, override in guilds.items():
            if key != "default":
                both_tables = isinstance(default, Mapping) and isinstance(override, Mapping)
                merged[key] = merge_overrides(default, override) if both_tables else override
        return {**data, "guilds": merged}

    @model_validator(mode="after")
    def _check_linked_roles(self) -> KudosConfig:
        if self.linked_roles.enabled and not self.web.enabled:
            raise config_error(said(N_("linked roles need the web server: its verification URL and OAuth2 redirect "
                                       "are served there; set [web] enabled = true")), "linked_roles", "enabled")
        return self

    @model_validator(mode="after")
    def _check_webhook_targets(self) -> KudosConfig:
        if not self.web.allow_private_webhooks:
            found = private_endpoint_problems(self.guilds)
            if found is not None:
                key, index, problem = found
                raise config_error(problem, "guilds", key, "webhooks", "endpoints", index, "url")
        return self

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
