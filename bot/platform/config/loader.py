"""Reading the TOML file and turning validation failures into one-line ``ConfigError``s."""

from __future__ import annotations

import json
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.platform.deferred import Said, message, said
from bot.platform.i18n import N_

from .base import CONTRIBUTION_KINDS, MOVED_KEYS, RENAMED_SECTIONS, RETIRED_KINDS
from .errors import ConfigError, toml_type_name
from .models import ERROR_TYPE, KudosConfig

__all__ = ["load_config", "loads_config", "parse_config"]

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

# Kudos' own wording of pydantic's error types (never pydantic's text: staff may read it in another language).
_EXPECTED = {
    "int_type": N_("expected an integer (got {type})"),
    "int_from_float": N_("expected an integer (got {type})"),
    "int_parsing": N_("expected an integer (got {type})"),
    "float_type": N_("expected a number (got {type})"),
    "float_parsing": N_("expected a number (got {type})"),
    "string_type": N_("expected a string (got {type})"),
    "bool_type": N_("expected a boolean (true or false) (got {type})"),
    "bool_parsing": N_("expected a boolean (true or false) (got {type})"),
    "dict_type": N_("expected a table (got {type})"),
    "model_type": N_("expected a table (got {type})"),
    "model_attributes_type": N_("expected a table (got {type})"),
    "list_type": N_("expected an array (got {type})"),
    "tuple_type": N_("expected an array (got {type})"),
    "datetime_type": N_("expected a date and time (got {type})"),
    "datetime_parsing": N_("expected a date and time (got {type})"),
    "datetime_from_date_parsing": N_("expected a date and time (got {type})"),
    "date_type": N_("expected a date (got {type})"),
}
_COMPARISONS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}


def load_config(path: str | os.PathLike[str]) -> KudosConfig:
    """Read a TOML configuration file. Raises :class:`ConfigError` (one line) on any problem."""
    source = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(source, None, said(N_("file not found"))) from None
    except IsADirectoryError:
        raise ConfigError(source, None, said(N_("is a directory, not a file"))) from None
    except PermissionError:
        raise ConfigError(source, None, said(N_("cannot read file (permission denied)"))) from None
    except OSError as exc:
        raise ConfigError(source, None, said(N_("cannot read file ({reason})"),
                                             reason=exc.strerror or type(exc).__name__)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, None, said(N_("file is not valid UTF-8 (invalid byte at offset {offset})"),
                                             offset=exc.start)) from None
    return loads_config(text, source)


def loads_config(text: str, source: str = "<string>") -> KudosConfig:
    """Parse TOML text into a :class:`KudosConfig`."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)  # Python's own words for the TOML mistake, given as they are
        position = _TOML_POSITION.search(message)
        if position:
            problem = said(N_("line {line}, column {column}: malformed TOML: {error}"), line=position.group(1),
                           column=position.group(2), error=message[: position.start()])
        else:  # "(at end of document)": point at the last position of the text
            lines = text.split("\n")
            problem = said(N_("line {line}, column {column}: malformed TOML: {error} at end of file"),
                           line=len(lines), column=len(lines[-1]) + 1, error=_TOML_END.sub("", message))
        raise ConfigError(source, None, problem) from None
    return parse_config(data, source)


def parse_config(data: Mapping[str, Any], source: str = "<string>") -> KudosConfig:
    """Validate already-parsed configuration data (e.g. a TOML dict with overrides merged in)."""
    if not isinstance(data, Mapping):
        raise ConfigError(source, None, said(N_("expected a table at the top level (got {type})"),
                                             type=toml_type_name(data)))
    try:
        return KudosConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise _to_config_error(exc, data, source) from None


# --------------------------------------------------------------------------- error conversion


def _to_config_error(exc: ValidationError, data: Mapping[str, Any], source: str) -> ConfigError:
    error = exc.errors(include_url=False)[0]
    ctx = error.get("ctx") or {}
    loc: tuple[str | int, ...] = tuple(error["loc"])
    if error["type"] == ERROR_TYPE:
        loc += tuple(ctx.get("at", ()))
    is_dict_key = bool(loc) and loc[-1] == "[key]"
    if is_dict_key:
        loc = loc[:-1]
    problem = _problem(error, loc, is_dict_key)
    if _inherited(loc, data):
        problem = said(N_("{problem} (value inherited from guilds.default)"), problem=problem)
    return ConfigError(source, key_path(loc) or None, problem)


def key_path(loc: tuple[str | int, ...]) -> str:
    """``('guilds', 'default', 'rewards', 0, 'trigger')`` -> ``guilds.default.rewards[0].trigger``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = part if _BARE_KEY.match(part) else json.dumps(part, ensure_ascii=False)
            path += f".{name}" if path else name
    return path


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    return toml_type_name(value)


def _problem(error: Any, loc: tuple[str | int, ...], is_dict_key: bool) -> Said:
    """Kudos' wording of one validation error, a :class:`Said` (English text, and its message for a reader of
    another language)."""
    kind: str = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == ERROR_TYPE:
        if isinstance(ctx.get("message"), dict):
            return Said(ctx["message"])
        return _pydantic_text(error, kind, str(ctx.get("problem", error["msg"])))
    if kind == "missing":
        return said(N_("missing required key"))
    if kind == "extra_forbidden":
        allowed = _field_names_at(loc[:-1])
        if len(loc) >= 2 and (loc[-2], loc[-1]) in MOVED_KEYS:
            return said(N_("unknown key: {why}"), why=said(MOVED_KEYS[(str(loc[-2]), str(loc[-1]))]))
        renamed = _renamed_section(loc, allowed)
        if renamed:
            return renamed
        if loc and loc[-1] in RETIRED_KINDS and set(CONTRIBUTION_KINDS) <= set(allowed):
            return said(N_("unknown key: {why}"), why=said(RETIRED_KINDS[str(loc[-1])]))
        return said(N_("unknown key{hint}"), hint=_suggest(str(loc[-1]) if loc else "", allowed))
    if kind in _EXPECTED:
        return said(_EXPECTED[kind], type=toml_type_name(value))
    if kind in _COMPARISONS:
        symbol, name = _COMPARISONS[kind]
        bound = ctx.get(name)
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return said(N_("must be {symbol} {bound} (got {value})"), symbol=symbol, bound=bound, value=_show(value))
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        if isinstance(value, str) and value in RETIRED_KINDS and set(choices) == set(CONTRIBUTION_KINDS):
            if is_dict_key:
                return said(N_("unknown key: {why}"), why=said(RETIRED_KINDS[value]))
            return said(N_("unknown contribution kind: {why}"), why=said(RETIRED_KINDS[value]))
        if is_dict_key:
            return said(N_("unknown key{hint}"), hint=_suggest(str(value), choices))
        if not isinstance(value, str):
            return said(N_("must be one of: {choices} (got {type})"), choices=", ".join(choices),
                        type=toml_type_name(value))
        hint = get_close_matches(value, choices, n=1, cutoff=0.6)
        if hint:
            return said(N_("must be one of: {choices} (got {value}; did you mean '{hint}'?)"),
                        choices=", ".join(choices), value=_show(value), hint=hint[0])
        return said(N_("must be one of: {choices} (got {value})"), choices=", ".join(choices), value=_show(value))
    if kind == "string_too_short":
        return said(N_("must not be empty"))
    if kind == "string_too_long":
        return said(N_("must be at most {max} characters long"), max=ctx.get("max_length"))
    if kind == "too_short":
        return said(N_("must have at least {count} item(s)"), count=ctx.get("min_length"))
    if kind == "too_long":
        return said(N_("must have at most {count} item(s)"), count=ctx.get("max_length"))
    if kind == "string_pattern_mismatch":
        return said(N_("must match the pattern {pattern} (got {value})"), pattern=ctx.get("pattern"),
                    value=_show(value))
    if kind == "value_error" and "error" in ctx:
        raised = ctx["error"]
        if isinstance(raised, Exception) and raised.args and isinstance(raised.args[0], Said):
            return raised.args[0]
        return _pydantic_text(error, kind, str(raised))
    message = str(error.get("msg") or "invalid value")
    return _pydantic_text(error, kind, message[:1].lower() + message[1:])


def _pydantic_text(error: Any, kind: str, english: str) -> Said:
    """A text Kudos did not word (pydantic's, or a plain ``ValueError``'s): the English as it is, and in another
    language only "invalid value" with the error's type (never pydantic's English in a German reply)."""
    return Said.worded(english, message(N_("invalid value ({error_type})"), error_type=kind))


def _renamed_section(loc: tuple[str | int, ...], allowed: list[str]) -> Said | None:
    """The refusal of a section under its old name (:data:`RENAMED_SECTIONS`), where sections can appear: in a
    guild's table, or at the top level (where no section of a guild belongs)."""
    old = str(loc[-1]) if loc else ""
    new = RENAMED_SECTIONS.get(old)
    if new is None:
        return None
    if new in allowed:  # a guild's table: [guilds.<id>.broadcast]
        where = ".".join(str(part) for part in loc[:-1])
        return said(N_("config key '{old}' was renamed to '{new}': write [{where}.{new}]"), old=old, new=new,
                    where=where)
    if len(loc) == 1:  # [broadcast] at the top level
        return said(N_("config key '{old}' was renamed to '{new}', a section of each guild: write "
                       "[guilds.default.{new}]"), old=old, new=new)
    return None


def _suggest(word: str, allowed: list[str]) -> Said | str:
    if not allowed:
        return ""
    match = get_close_matches(word, allowed, n=1, cutoff=0.6)
    if match:
        return said(N_(" (did you mean '{name}'?)"), name=match[0])
    return said(N_(" (allowed keys: {names})"), names=", ".join(allowed))


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            models = [arg for arg in members if isinstance(arg, type) and issubclass(arg, BaseModel)]
            if len(members) == 1:
                annotation = members[0]
            elif len(models) == 1:
                annotation = models[0]
            else:
                return annotation
        else:
            return annotation


def _field_names_at(loc: tuple[str | int, ...]) -> list[str]:
    """Field names of the model found at ``loc`` in :class:`KudosConfig` (for 'did you mean')."""
    annotation: Any = KudosConfig
    for part in loc:
        annotation = _unwrap(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return []
            annotation = field.annotation
        elif origin is list and isinstance(part, int):
            annotation = typing.get_args(annotation)[0]
        elif origin is dict and isinstance(part, str):
            annotation = typing.get_args(annotation)[1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _inherited(loc: tuple[str | int, ...], data: Mapping[str, Any]) -> bool:
    """Whether a guild's bad value does not appear in its own table but came from [guilds.default]."""
    if len(loc) < 3 or loc[0] != "guilds" or loc[1] == "default":
        return False
    guilds = data.get("guilds")
    node: Any = guilds.get(loc[1]) if isinstance(guilds, Mapping) else None
    if not isinstance(node, Mapping):
        return False
    for part in loc[2:]:
        if isinstance(node, Mapping):
            if part not in node:
                return True
            node = node[part]
        else:
            return False  # arrays are replaced wholesale, so the value is the guild's own
    return False
