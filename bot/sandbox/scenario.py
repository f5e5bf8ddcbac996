"""Scenario files (TOML, documented in docs/scenarios.md): parse, run against the real bot, report.

A broken scenario stops with the step number and the reason (exit code 2). A failed ``expect`` is
reported and the run goes on; the exit code is then 1.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.emulator.rules import LOCALES
from bot.platform import i18n
from bot.platform.clock import parse_duration
from bot.sandbox.harness import ChannelSpec, MemberSpec, RoleSpec, WorldSpec

ACTIONS = ("say", "post", "slash", "context_menu", "click", "modal", "react", "unreact", "join", "leave",
           "set_roles", "advance", "fault", "restart", "link_roles", "expect")
NO_ACTOR = {"advance", "fault", "restart"}
# Expectations about a channel, not a member: an ``expect`` step of only these needs no ``as``.
CHANNEL_EXPECTS = {"message_in", "contains", "message_lacks", "no_message_in", "message_count"}
STEP_KEYS = {"as", "id", "in", "content", "tags", "options", "target", "on", "contains", "note", *ACTIONS}
EXPECT_KEYS = {"has_role", "lacks_role", "dm_contains", "ephemeral_contains", "message_in", "contains", "points",
               "kind", "no_dm", "interaction_failed", "dm_lacks", "message_lacks", "no_message_in", "dm_count",
               "message_count", "linked_role"}
CHANNEL_TYPES = {"text", "forum", "announcement"}
# ``--locale`` takes a catalogue or a Discord locale; a catalogue plays as this Discord locale.
DISCORD_LOCALE = {"en": "en-US", "de": "de", "fr": "fr", "es": "es-ES", "pt_BR": "pt-BR", "ja": "ja"}


class ScenarioError(Exception):
    """A malformed scenario or an impossible step: exit code 2."""

    def __init__(self, message: str, step: int | None = None) -> None:
        self.step = step
        super().__init__(f"step {step}: {message}" if step is not None else message)


@dataclass
class Step:
    number: int
    action: str
    raw: dict[str, Any]
    actor: str | None = None
    label: str | None = None


@dataclass
class Scenario:
    source: str
    world: WorldSpec
    config: dict[str, Any] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    absent: set[str] = field(default_factory=set)  # members listed but not in the guild yet (join later)
    title: str = ""
    # ``[texts.de]``: what an English text of the steps (a button label, a form field, an expected reply) reads
    # in another language, for ``kudos sandbox --locale`` (docs/scenarios.md); by catalogue (de, pt_BR, ...).
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    language: str = i18n.DEFAULT  # the language the scenario is played in (``play_in``)

    def play_in(self, locale: str) -> None:
        """Play in ``locale`` (a Discord locale such as ``de`` or ``pt-BR``, or a catalogue such as ``pt_BR``):
        every member's client and the server's preferred locale speak it."""
        code = DISCORD_LOCALE.get(locale, locale)
        if code not in LOCALES or not i18n.supported(code):
            raise ScenarioError(f"--locale: {locale!r} is not one of Kudos' languages "
                                f"({', '.join(sorted(DISCORD_LOCALE))})")
        self.world.locale = code
        for member in self.world.members:
            member.locale = code
        self.language = i18n.language(code)

    def say(self, text: str) -> str:
        """``text`` in the language played: the scenario's own ``[texts.<lang>]`` entry, else the catalogue's
        translation when the text is a whole message of the bot (a button label such as "Me too"), else as it is
        (member-written text, names)."""
        if self.language == i18n.DEFAULT:
            return text
        own = self.texts.get(self.language, {})
        if text in own:
            return own[text]
        return i18n.translator(self.language).template(text)


def _table(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a table")
    return data


def _check_keys(data: dict[str, Any], allowed: set[str], where: str) -> None:
    import difflib

    for key in data:
        if key not in allowed:
            hint = difflib.get_close_matches(key, sorted(allowed), n=1)
            raise ScenarioError(f"{where}: unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))


def _locale(data: dict[str, Any], where: str) -> str:
    """``locale = "de"``: a Discord locale (reference.mdx, Locales), for a member's client or the server."""
    locale = str(data.get("locale", "en-US"))
    if locale not in LOCALES:
        raise ScenarioError(f"{where}.locale: {locale!r} is not a Discord locale (e.g. de, fr, es-ES, pt-BR, ja, en-US)")
    return locale


def _world(data: dict[str, Any]) -> tuple[WorldSpec, set[str]]:
    if not data:
        return WorldSpec.default(), set()
    _check_keys(data, {"name", "roles", "channels", "members", "bot_permissions", "locale"}, "guild")
    world = WorldSpec(name=str(data.get("name", "Acme Community")), locale=_locale(data, "guild"))
    absent: set[str] = set()
    for i, role in enumerate(data.get("roles", [])):
        _check_keys(_table(role, f"guild.roles[{i}]"), {"name", "permissions"}, f"guild.roles[{i}]")
        if not role.get("name"):
            raise ScenarioError(f"guild.roles[{i}]: a role needs a name")
        world.roles.append(RoleSpec(role["name"], int(role.get("permissions", 0))))
    for i, ch in enumerate(data.get("channels", [])):
        where = f"guild.channels[{i}]"
        _check_keys(_table(ch, where), {"name", "type", "tags"}, where)
        ctype = ch.get("type", "text")
        if ctype not in CHANNEL_TYPES:
            raise ScenarioError(f"{where}.type: must be one of text, forum, announcement (got {ctype!r})")
        if ch.get("tags") and ctype != "forum":
            raise ScenarioError(f"{where}.tags: only forums have tags")
        world.channels.append(ChannelSpec(ch["name"], ctype, list(ch.get("tags", []))))
    role_names = {r.name for r in world.roles}
    for i, m in enumerate(data.get("members", [])):
        where = f"guild.members[{i}]"
        _check_keys(_table(m, where), {"name", "roles", "account_age_days", "joined_days_ago", "present",
                                       "dms_open", "locale"}, where)
        missing = [r for r in m.get("roles", []) if r not in role_names]
        if missing:
            raise ScenarioError(f"{where}.roles: unknown role {missing[0]!r}")
        world.members.append(MemberSpec(m["name"], list(m.get("roles", [])), float(m.get("account_age_days", 365)),
                                        float(m.get("joined_days_ago", 90)), bool(m.get("dms_open", True)),
                                        _locale(m, where)))
        if m.get("present", True) is False:
            absent.add(m["name"])
    if "bot_permissions" in data:
        world.bot_permissions = int(data["bot_permissions"])
    return world, absent


def parse(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: malformed TOML: {exc}") from None
    _check_keys(data, {"title", "guild", "config", "steps", "texts"}, source)
    world, absent = _world(_table(data.get("guild", {}), "guild"))
    members = {m.name for m in world.members}
    scenario = Scenario(source=source, world=world, config=_table(data.get("config", {}), "config"),
                        absent=absent, title=str(data.get("title", "")))
    for lang, table in _table(data.get("texts", {}), "texts").items():
        if lang not in i18n.LANGUAGES or lang == i18n.DEFAULT:
            raise ScenarioError(f"texts.{lang}: not one of Kudos' languages ({', '.join(i18n.LANGUAGES[1:])})")
        scenario.texts[lang] = {str(k): str(v) for k, v in _table(table, f"texts.{lang}").items()}
    for number, raw in enumerate(data.get("steps", []), start=1):
        if not isinstance(raw, dict):
            raise ScenarioError("expected a table", number)
        _check_keys(raw, STEP_KEYS, f"step {number}")
        actions = [a for a in ACTIONS if a in raw]
        if "expect" in actions and len(actions) == 2:
            actions.remove("expect")  # an action may carry an expectation checked after it
        if len(actions) != 1:
            raise ScenarioError(f"needs exactly one action ({', '.join(ACTIONS)}); found "
                                f"{', '.join(actions) or 'none'}", number)
        action = actions[0]
        actor = raw.get("as")
        channel_only = action == "expect" and isinstance(raw.get("expect"), dict) and bool(raw["expect"]) and set(
            raw["expect"]) <= CHANNEL_EXPECTS
        if action not in NO_ACTOR and actor is None and not channel_only:
            raise ScenarioError(f"'{action}' needs `as = \"member\"`", number)
        if actor is not None and actor not in members:
            raise ScenarioError(f"unknown member {actor!r}", number)
        if action == "advance":
            try:
                parse_duration(str(raw["advance"]))
            except ValueError as exc:
                raise ScenarioError(str(exc), number) from None
        if action in ("say", "post") and "in" not in raw:
            raise ScenarioError(f"'{action}' needs `in`", number)
        if action in ("click", "react", "unreact") and "on" not in raw:
            raise ScenarioError(f"'{action}' needs `on` (a message reference)", number)
        if action == "context_menu" and "target" not in raw:
            raise ScenarioError("'context_menu' needs `target` (a message reference)", number)
        if "expect" in raw:
            _check_keys(_table(raw["expect"], f"step {number}: expect"), EXPECT_KEYS, f"step {number}: expect")
        scenario.steps.append(Step(number, action, raw, actor, raw.get("id")))
    return scenario


def load(path: str | Path) -> Scenario:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse(text, str(path))
