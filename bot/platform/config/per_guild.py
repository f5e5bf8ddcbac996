"""Each guild's effective configuration, looked up by id (cached: a guild's merged config is built once)."""

from __future__ import annotations

from bot.platform.config.models import GuildConfig, KudosConfig


class GuildConfigs:
    def __init__(self, config: KudosConfig) -> None:
        self.config = config
        self._cache: dict[int, GuildConfig] = {}

    def __call__(self, guild_id: int) -> GuildConfig:
        found = self._cache.get(guild_id)
        if found is None:
            found = self._cache[guild_id] = self.config.guild(guild_id)
        return found
