"""A server's own settings on top of config.toml.

``config.toml`` gives each server its defaults (``[guilds.default]`` merged with ``[guilds.<id>]``); staff change
a key from Discord (``/settings``) or the dashboard, and the change is stored in the database (one row per key).
A server's effective config is the file's with those changes laid over it, validated by the same pydantic models
as the file, with the same one-line errors naming the key. A change is written with its audit line (who, old
value, new value) in one transaction, then laid over :class:`~bot.platform.config.per_guild.GuildConfigs` (the
one place features read a guild's config from) and announced to the subscribers (the bot re-resolves names to
ids). Other processes see it through :meth:`SettingsService.poll` (a look at each server's version number).

Every key has a version: the server's version number when it last changed (0 if never). A save may give the
version it was based on (``expected_version``): if the key changed since, it is refused (:class:`Conflict`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.platform import audit
from bot.platform.clock import Clock
from bot.platform.config import ConfigError, GuildConfig, parse_config
from bot.platform.config.merge import merge_overrides
from bot.platform.config.per_guild import GuildConfigs
from bot.platform.db import Database
from bot.platform.errors import Conflict, InvalidInput
from bot.platform.i18n import N_
from bot.settings import document
from bot.settings import store as repo
from bot.settings.keys import SettingKey, all_keys, find_key, get_path, parse_value, toml_value

log = logging.getLogger(__name__)

RESET: Any = object()  # in a change set: back to the file's value
_PREFIX = "guilds.default."
Listener = Callable[[int], None]
Via = Literal["command", "dashboard", "import"]


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of a server: its effective value, where it comes from and its version."""

    key: SettingKey
    value: Any
    file_value: Any
    source: Literal["file", "server"]
    version: int
    updated_by: int | None = None
    updated_at: datetime | None = None

    @property
    def text(self) -> str:
        return "not set" if self.value is None else toml_value(self.value)

    @property
    def file_text(self) -> str:
        return "not set" if self.file_value is None else toml_value(self.file_value)


def _apply(base: Mapping[str, Any], rows: Mapping[str, repo.OverrideRow]) -> dict[str, Any]:
    """The file's data with the active overrides laid over it (a table's key before its entries)."""
    data = merge_overrides(base, {})
    for key in sorted((k for k, r in rows.items() if r.value is not None), key=lambda k: k.count(".")):
        node = data
        *head, last = key.split(".")
        for part in head:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[last] = parse_value(rows[key].value or "")
    return data


def _validate(data: Mapping[str, Any]) -> GuildConfig:
    """The models' validation of a guild's table, its error naming the key as under a guild (``points.answer``)."""
    try:
        return parse_config({"guilds": {"default": dict(data)}}, "settings").default_guild
    except ConfigError as exc:
        key = (exc.key or "").removeprefix(_PREFIX)
        if key:
            raise InvalidInput(N_("`{key}`: {problem}"), key=key, problem=exc.problem) from None
        # TRANSLATORS: a problem of the whole settings (already said in the reader's language); keep it as is
        raise InvalidInput(N_("{problem}"), problem=exc.problem) from None


class SettingsService:
    def __init__(self, db: Database, clock: Clock, guild_configs: GuildConfigs) -> None:
        self.db = db
        self.clock = clock
        self.configs = guild_configs
        self._rows: dict[int, dict[str, repo.OverrideRow]] = {}
        self._versions: dict[int, int] = {}
        self._listeners: list[Listener] = []

    # -- reading ------------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """``listener(guild_id)`` after a server's settings changed here or in another process."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def version(self, guild_id: int) -> int:
        return self._versions.get(guild_id, 0)

    def _file_data(self, guild_id: int) -> dict[str, Any]:
        return self.configs.from_file(guild_id).model_dump()

    def _setting(self, guild_id: int, key: SettingKey, effective: dict[str, Any], file: dict[str, Any]) -> Setting:
        rows = self._rows.get(guild_id, {})
        row = rows.get(key.path)
        active = {k for k, r in rows.items() if r.value is not None}
        parent = key.path.rpartition(".")[0] if key.entry else None
        server = key.path in active or parent in active or any(k.startswith(key.path + ".") for k in active)
        return Setting(key, get_path(effective, key.parts), get_path(file, key.parts),
                       "server" if server else "file", row.version if row else 0,
                       row.updated_by if row else None, row.updated_at if row else None)

    def show(self, guild_id: int, key: str | None = None) -> list[Setting]:
        """One key (``key``), or every settable key of the server."""
        effective = self.configs(guild_id).model_dump()
        file = self._file_data(guild_id)
        keys = [find_key(key)] if key is not None else list(all_keys().values())
        return [self._setting(guild_id, k, effective, file) for k in keys]

    def export(self, guild_id: int) -> str:
        """The server's effective settings as a TOML document (``import_`` takes it back)."""
        return document.render(guild_id, self.configs(guild_id).model_dump(),
                               when=self.clock.now().strftime("%Y-%m-%d %H:%M UTC"))

    # -- changing -----------------------------------------------------------------------------------
    async def set(self, guild_id: int, key: str, raw_value: str, actor_id: int | None, *,
                  expected_version: int | None = None, via: Via = "command") -> Setting:
        """Set ``key`` to ``raw_value`` (TOML: ``25``, ``"#showcase"``, ``["Staff", "Team"]``)."""
        found = find_key(key)
        value = parse_value(raw_value)
        expected = None if expected_version is None else {found.path: expected_version}
        await self.change(guild_id, {found.path: value}, actor_id, expected=expected, via=via)
        return self.show(guild_id, found.path)[0]

    async def reset(self, guild_id: int, key: str, actor_id: int | None, *,
                    expected_version: int | None = None, via: Via = "command") -> Setting:
        """``key`` back to the file's value."""
        found = find_key(key)
        expected = None if expected_version is None else {found.path: expected_version}
        await self.change(guild_id, {found.path: RESET}, actor_id, expected=expected, via=via)
        return self.show(guild_id, found.path)[0]

    async def import_(self, guild_id: int, text: str, actor_id: int | None) -> list[Setting]:
        """Apply a TOML document of settings (what ``export`` writes) as a whole: nothing is applied when any key
        or value is wrong. A key whose value is the file's goes back to the file's; keys left out are kept.
        Returns the keys that changed."""
        wanted = document.parse(text)
        file = self._file_data(guild_id)
        changes = {path: RESET if value == get_path(file, tuple(path.split("."))) else value
                   for path, value in wanted.items()}
        changed = await self.change(guild_id, changes, actor_id, via="import")
        return [s for s in self.show(guild_id) if s.key.path in changed]

    async def change(self, guild_id: int, changes: Mapping[str, Any], actor_id: int | None, *,
                     expected: Mapping[str, int] | None = None, via: Via = "command") -> list[str]:
        """Apply ``changes`` (key path -> value, or :data:`RESET`) in one transaction, all or nothing: validated
        together with the server's other changes as they are in the database now. Returns the keys whose
        override changed (a key set to the value it has is left alone)."""
        keys = all_keys()
        for path in changes:
            if path not in keys:
                find_key(path)  # raises, naming the key
        now = self.clock.now()
        async with self.db.begin() as conn:
            version = await repo.bump_version(conn, guild_id)  # locks the server's settings until commit
            rows = (await repo.overrides(conn, guild_id)).get(guild_id, {})
            for path, based_on in (expected or {}).items():
                current = rows[path].version if path in rows else 0
                if current != based_on:
                    raise Conflict(N_("`{path}` was changed by someone else since you loaded it (version "
                                      "{current}, yours {based_on}): reload to see the new value, then save "
                                      "again."),
                                   path=path, current=current, based_on=based_on)
            wanted: dict[str, str | None] = {}
            for path, value in changes.items():
                wanted[path] = None if value is RESET else toml_value(value)
                if not keys[path].entry:  # a table set (or reset) as a whole takes the place of its entries'
                    for other, row in rows.items():
                        if other.startswith(path + ".") and row.value is not None and other not in changes:
                            wanted[other] = None
            new_rows = dict(rows)
            touched = [p for p, text in wanted.items() if (rows[p].value if p in rows else None) != text]
            for path in touched:
                new_rows[path] = repo.OverrideRow(path, wanted[path], version, actor_id, now)
            file = self._file_data(guild_id)
            try:
                before = _validate(_apply(file, rows)).model_dump()
            except InvalidInput:  # a stored setting the file no longer allows (left out at load)
                before = _apply(file, rows)
            effective = _validate(_apply(file, new_rows))
            after = effective.model_dump()

            def same(path: str) -> bool:  # the same value written another way (2026-01-01 for midnight UTC)
                was_active = path in rows and rows[path].value is not None
                return was_active == (wanted[path] is not None) and \
                    get_path(before, keys[path].parts) == get_path(after, keys[path].parts)

            touched = [path for path in touched if not same(path)]
            new_rows = {**rows, **{path: new_rows[path] for path in touched}}
            for path in touched:
                await repo.write(conn, guild_id, path, wanted[path], version=version, actor_id=actor_id, now=now)
                old, new = get_path(before, keys[path].parts), get_path(after, keys[path].parts)
                await audit.record(conn, now=now, action="settings.reset" if wanted[path] is None else "settings.set",
                                   guild_id=guild_id, actor_id=actor_id, details={
                                       "key": path, "old": None if old is None else toml_value(old),
                                       "new": None if new is None else toml_value(new), "version": version,
                                       "via": via})
        self._install(guild_id, new_rows, version, effective)
        return touched

    # -- loading and other processes' changes -------------------------------------------------------
    async def load(self) -> None:
        """At start: every server's stored settings, laid over the file's."""
        async with self.db.connect() as conn:
            versions = await repo.versions(conn)
            rows = await repo.overrides(conn)
        for guild_id in sorted(set(versions) | set(rows)):
            self._load_guild(guild_id, rows.get(guild_id, {}), versions.get(guild_id, 0))

    async def poll(self) -> list[int]:
        """Pick up the changes other processes made (a look at each server's version); returns those servers."""
        async with self.db.connect() as conn:
            versions = await repo.versions(conn)
        changed = [g for g, v in versions.items() if self._versions.get(g, 0) != v]
        for guild_id in changed:
            await self.refresh(guild_id)
        return changed

    async def refresh(self, guild_id: int) -> None:
        async with self.db.connect() as conn:
            version = (await repo.versions(conn)).get(guild_id, 0)
            rows = (await repo.overrides(conn, guild_id)).get(guild_id, {})
        self._load_guild(guild_id, rows, version)

    def _load_guild(self, guild_id: int, rows: dict[str, repo.OverrideRow], version: int) -> None:
        file = self._file_data(guild_id)
        usable = dict(rows)
        while True:
            try:
                effective = _validate(_apply(file, usable))
                break
            except InvalidInput as exc:
                # The file changed under a stored setting (or a key was retired): that setting is left out, the
                # server's others still apply. The row stays, for staff to see and fix.
                bad = next((k for k, r in usable.items() if r.value is not None and f"`{k}`" in exc.message), None)
                if bad is None:
                    bad = next((k for k, r in usable.items() if r.value is not None), None)
                if bad is None:
                    effective = None
                    break
                log.error("guild %s: stored setting %s is left out: %s", guild_id, bad, exc.message)
                usable[bad] = repo.OverrideRow(bad, None, usable[bad].version, None, usable[bad].updated_at)
        self._install(guild_id, usable, version, effective)

    def _install(self, guild_id: int, rows: dict[str, repo.OverrideRow], version: int,
                 effective: GuildConfig | None) -> None:
        if version < self._versions.get(guild_id, 0):
            return  # a poll that read before a newer change landed here: that change is already installed
        self._rows[guild_id] = rows
        self._versions[guild_id] = version
        active = any(r.value is not None for r in rows.values())
        self.configs.overlay(guild_id, effective if active else None)
        for listener in list(self._listeners):
            try:
                listener(guild_id)
            except Exception:  # noqa: BLE001 - one subscriber must not stop the others
                log.exception("settings listener %r failed for guild %s", listener, guild_id)
