"""A server's settings as a TOML document (``/settings export``) and back (``/settings import``)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from typing import Any

from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_
from bot.settings.keys import all_keys, find_key, get_path, toml_value

MAX_PROBLEMS = 5


def render(guild_id: int, effective: Mapping[str, Any], *, when: str) -> str:
    """The effective settings of the settable keys, grouped in tables the way config.example.toml is."""
    lines = [
        f"# Kudos settings of server {guild_id}, exported {when}: config.toml's values with this server's changes.",
        "# /settings import (or the dashboard) takes this file back; keys left out keep their current value.",
        "# Reward rules and perk pools are not here: /rewards and /perks manage them.",
    ]
    tables: dict[str, list[str]] = {"": []}
    for key in all_keys().values():
        if key.entry:
            continue
        header, _, name = key.path.rpartition(".")
        value = get_path(dict(effective), key.parts)
        line = f"# {name}: not set" if value is None else f"{name} = {toml_value(value)}"
        tables.setdefault(header, []).append(line)
    for header, body in tables.items():
        if header:
            lines.extend(["", f"[{header}]"])
        lines.extend(body)
    return "\n".join(lines) + "\n"


def parse(text: str) -> dict[str, Any]:
    """The keys a TOML document sets, by path (``points.answer``); unknown keys are refused with a "did you
    mean", all of them in one message."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        problem = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)\s*$", r" (\1)", str(exc))
        raise InvalidInput(N_("That file is not valid TOML: {problem}. Nothing was changed."),
                           problem=problem) from None
    keys = all_keys()
    found: dict[str, Any] = {}
    problems: list[str] = []

    def walk(table: Mapping[str, Any], prefix: str) -> None:
        for name, value in table.items():
            path = f"{prefix}{name}"
            if path in keys:
                found[path] = value
            elif isinstance(value, Mapping) and any(k.startswith(path + ".") for k in keys):
                walk(value, path + ".")
            else:
                try:
                    find_key(path)
                except InvalidInput as exc:
                    problems.append(exc.message.rstrip("."))

    walk(data, "")
    if problems:
        more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
        raise InvalidInput("Nothing was changed: " + "; ".join(problems[:MAX_PROBLEMS]) + more + ".")
    if not found:
        raise InvalidInput(N_("That file sets no settings. Nothing was changed."))
    return found
