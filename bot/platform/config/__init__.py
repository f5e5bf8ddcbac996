"""Kudos configuration: a TOML file validated into an immutable :class:`KudosConfig`.

    from bot.platform.config import load_config
    cfg = load_config("config.toml")          # raises ConfigError, one line
    cfg.bot.database_url
    cfg.guild(guild_id).points.answer         # [guilds.default] deep-merged with [guilds.<id>]

There is no module-level configuration object: build one and pass it down.
"""

from __future__ import annotations

from .errors import ConfigError
from .loader import load_config, loads_config, parse_config
from .merge import merge_overrides
from .models import (
    CONTRIBUTION_KINDS,
    DEFAULT_DATABASE_URL,
    REWARD_EVENTS,
    AnnouncementsConfig,
    BetasConfig,
    BotConfig,
    CapsConfig,
    ChannelsConfig,
    ContributionKind,
    CronJob,
    GuildConfig,
    KudosConfig,
    PerkPool,
    PointsConfig,
    RewardConditions,
    RewardConfig,
    RewardDeliveryConfig,
    RewardEvent,
    RewardTrigger,
    SchedulerConfig,
    SolutionsConfig,
)

__all__ = [
    "CONTRIBUTION_KINDS",
    "DEFAULT_DATABASE_URL",
    "REWARD_EVENTS",
    "AnnouncementsConfig",
    "BotConfig",
    "BetasConfig",
    "CapsConfig",
    "ChannelsConfig",
    "ConfigError",
    "ContributionKind",
    "CronJob",
    "GuildConfig",
    "KudosConfig",
    "PerkPool",
    "PointsConfig",
    "RewardConditions",
    "RewardConfig",
    "RewardDeliveryConfig",
    "RewardEvent",
    "RewardTrigger",
    "SchedulerConfig",
    "SolutionsConfig",
    "load_config",
    "loads_config",
    "merge_overrides",
    "parse_config",
]
