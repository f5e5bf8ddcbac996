"""The settable keys of a server: every key of a guild's table in ``config.toml`` (``points.answer``,
``caps.points_per_kind_per_day.thanks``, ``channels.showcase``, ...), found from the same pydantic models that
validate the file; and TOML values written and read back as inline TOML text (``25``, ``"#showcase"``,
``["Staff", "Team"]``)."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from difflib import get_close_matches
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from bot.platform.config.models import GuildConfig, KudosConfig
from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_

__all__ = [
    "EXCLUDED",
    "PROCESS_SECTIONS",
    "SettingKey",
    "all_keys",
    "find_key",
    "get_path",
    "parse_value",
    "toml_value",
]

# Sections of the file that belong to the process, not to a server: they stay in config.toml.
PROCESS_SECTIONS: tuple[str, ...] = tuple(name for name in KudosConfig.model_fields if name != "guilds")
# Guild keys that have their own commands and dashboard pages (reward rules and perk pools live in the database
# already: /rewards, /perks); the file's entries for them are synced at start.
EXCLUDED: dict[str, str] = {
    "rewards": "reward rules are managed with /rewards rule (and the dashboard's Rewards page)",
    "perk_pools": "perk pools are managed with /perks (and the dashboard's Rewards page)",
}
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True, slots=True)
class SettingKey:
    """One settable key: its dotted path, its section (the first part, or ``""`` for the guild's top-level keys
    such as ``staff_roles``), the model field's description and default, and whether it is a table's entry
    (``caps.points_per_kind_per_day.thanks``: its own key inside a table of kinds)."""

    path: str
    section: str
    description: str
    entry: bool = False
    # How a form edits it: "bool", "choice" (one of ``choices``), "text", "channel" / "role" (a name or id),
    # "channels" / "roles" (several), or "toml" (an inline TOML value: numbers, tables, arrays of tables).
    kind: str = "toml"
    choices: tuple[str, ...] = ()

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.path.split("."))


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) == 1:
                annotation = members[0]
            else:
                return annotation
        else:
            return annotation


def _literal_keys(annotation: Any) -> tuple[str, ...]:
    """The keys of a ``dict[Literal[...], ...]`` field (a table with a fixed set of keys), else ()."""
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is not dict:
        return ()
    key = _unwrap(typing.get_args(annotation)[0])
    if typing.get_origin(key) is typing.Literal:
        return tuple(str(arg) for arg in typing.get_args(key))
    return ()


def _is_ref(annotation: Any) -> bool:
    """A role or channel reference: a name or an id (``int | str``)."""
    annotation = _unwrap(annotation)
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and \
        set(typing.get_args(annotation)) == {int, str}


def _kind(annotation: Any, name: str) -> tuple[str, tuple[str, ...]]:
    annotation = _unwrap(annotation)
    what = "role" if "role" in name else "channel"
    if annotation is bool:
        return "bool", ()
    if annotation is str:
        return "text", ()
    if typing.get_origin(annotation) is typing.Literal and all(isinstance(a, str) for a in typing.get_args(annotation)):
        return "choice", tuple(typing.get_args(annotation))
    if _is_ref(annotation):
        return what, ()
    if typing.get_origin(annotation) is list and _is_ref(typing.get_args(annotation)[0]):
        return what + "s", ()
    return "toml", ()


def _walk(model: type[BaseModel], prefix: tuple[str, ...]) -> list[SettingKey]:
    found: list[SettingKey] = []
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        if not prefix and name in EXCLUDED:
            continue
        annotation = _unwrap(field.annotation)
        section = path[0] if len(path) > 1 else ""
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.extend(_walk(annotation, path))
            continue
        description = field.description or ""
        kind, choices = _kind(field.annotation, name)
        found.append(SettingKey(".".join(path), section, description, kind=kind, choices=choices))
        for key in _literal_keys(field.annotation):
            found.append(SettingKey(".".join((*path, key)), section, description, entry=True))
    return found


@lru_cache(maxsize=1)
def all_keys() -> dict[str, SettingKey]:
    """Every settable key of a server, in the order of the models (which is config.example.toml's)."""
    return {key.path: key for key in _walk(GuildConfig, ())}


def find_key(text: str) -> SettingKey:
    """The key named ``text``, or :class:`InvalidInput` saying why not (with a "did you mean")."""
    path = ".".join(part.strip() for part in text.strip().split("."))
    keys = all_keys()
    if path in keys:
        return keys[path]
    head = path.split(".", 1)[0]
    if head in PROCESS_SECTIONS:
        raise InvalidInput(N_("`{path}` is a process-level setting: it stays in config.toml ([{head}]) and "
                              "takes effect at the next start."),
                           path=path, head=head)
    if head == "guilds":
        raise InvalidInput(N_("`{path}`: give the key as under a guild's table, without `guilds.<id>.` (e.g. "
                              "`points.answer`)."),
                           path=path)
    if head in EXCLUDED:
        raise InvalidInput(N_("`{path}` is not a setting here: {value}."),
                           path=path, value=EXCLUDED[head])
    if not path:
        raise InvalidInput(N_("Give a setting's key, such as `points.answer`."))
    match = get_close_matches(path, list(keys), n=1, cutoff=0.6)
    if not match:  # the last part alone: "answr" -> points.answer
        last = {key.rsplit(".", 1)[-1]: key for key in keys}
        close = get_close_matches(path.rsplit(".", 1)[-1], list(last), n=1, cutoff=0.75)
        match = [last[close[0]]] if close else []
    hint = f" (did you mean `{match[0]}`?)" if match else " (`/settings show` lists them)"
    raise InvalidInput(N_("`{value}` is not a setting{hint}."), value=path[:100], hint=hint)


# --------------------------------------------------------------------------- values


def get_path(data: Any, parts: tuple[str, ...]) -> Any:
    """The value at ``parts`` in nested dicts, or ``None`` when absent."""
    for part in parts:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _toml_key(key: str) -> str:
    return key if _BARE.match(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    # JSON's escapes are TOML's (no "\/" is written); DEL is not allowed raw in a TOML basic string.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    """``value`` as an inline TOML value (what ``/settings set`` takes and ``show`` prints)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() == dt.timedelta(0):
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(str(k))} = {toml_value(v)}" for k, v in value.items() if v is not None)
        return "{" + inner + "}" if inner else "{}"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def parse_value(raw: str) -> Any:
    """A value as TOML (``25``, ``"#showcase"``, ``["Staff", "Team"]``, ``true``). A bare word that is not TOML
    (``showcase``, ``#showcase``) is taken as that string."""
    text = raw.strip()
    if not text:
        raise InvalidInput(N_("Give a value (TOML: `25`, `\"#showcase\"`, `[\"Staff\", \"Team\"]`, `true`)."))
    try:
        parsed = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError as exc:
        if "\n" not in text and text[0] not in "[{\"'" and not text[0].isdigit() and text[0] not in "+-":
            return text
        problem = re.sub(r"\s*\(at .*\)\s*$", "", str(exc))
        raise InvalidInput(N_("That value is not TOML ({problem}): quote text (`\"#showcase\"`), write arrays "
                              "as `[\"Staff\", \"Team\"]`."),
                           problem=problem) from None
    if set(parsed) != {"v"}:
        raise InvalidInput(N_("Give one value, not several lines of TOML."))
    return parsed["v"]
