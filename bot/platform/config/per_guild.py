"""Each guild's effective configuration, looked up by id (cached: a guild's merged config is built once).

The file gives every guild its config (``[guilds.default]`` merged with ``[guilds.<id>]``); a server's own
settings, stored in the database (``bot.settings``), are laid over it with :meth:`GuildConfigs.overlay`: the one
place every feature reads a guild's config from sees the change at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from bot.platform.config.models import GuildConfig, KudosConfig

T = TypeVar("T")


class GuildConfigs:
    def __init__(self, config: KudosConfig) -> None:
        self.config = config
        self._cache: dict[int, GuildConfig] = {}
        self._overlays: dict[int, GuildConfig] = {}

    def __call__(self, guild_id: int) -> GuildConfig:
        found = self._overlays.get(guild_id)
        if found is None:
            found = self._cache.get(guild_id)
            if found is None:
                found = self._cache[guild_id] = self.config.guild(guild_id)
        return found

    def from_file(self, guild_id: int) -> GuildConfig:
        """The guild's config as the file gives it (without the server's own settings)."""
        found = self._cache.get(guild_id)
        if found is None:
            found = self._cache[guild_id] = self.config.guild(guild_id)
        return found

    def overlay(self, guild_id: int, effective: GuildConfig | None) -> None:
        """Use ``effective`` as the guild's config from now on (``None``: the file's again)."""
        if effective is None:
            self._overlays.pop(guild_id, None)
        else:
            self._overlays[guild_id] = effective


class PerGuild(Generic[T]):
    """``build(guild's config)`` for a guild id, built once per config: a feature's rules object (its policy),
    asked for on every command and credit, built again only when the guild's config changes. Config objects are
    frozen (a change of settings, from the file or ``/settings``, lays a new one over the old), so the one
    held is current exactly when ``configs(guild_id)`` still returns that very object."""

    def __init__(self, configs: Callable[[int], GuildConfig], build: Callable[[GuildConfig], T]) -> None:
        self._configs = configs
        self._build = build
        self._built: dict[int, tuple[GuildConfig, T]] = {}

    def __call__(self, guild_id: int) -> T:
        config = self._configs(guild_id)
        found = self._built.get(guild_id)
        if found is not None and found[0] is config:
            return found[1]
        value = self._build(config)
        self._built[guild_id] = (config, value)
        return value
