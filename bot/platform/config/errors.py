"""The single exception type of the configuration layer."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from bot.platform.deferred import Said, render
from bot.platform.i18n import Translator

__all__ = ["ConfigError", "toml_type_name"]


def toml_type_name(value: Any) -> str:
    """The TOML name of a parsed value's type (``integer``, ``string``, ``table``, ...)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "table"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, _dt.datetime):
        return "datetime"
    if isinstance(value, _dt.date):
        return "date"
    if isinstance(value, _dt.time):
        return "time"
    if value is None:
        return "nothing"
    return type(value).__name__


def _one_line(text: str) -> str:
    """Collapse any whitespace run containing a line break into one space."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


class ConfigError(Exception):
    """A configuration problem, rendered as one line: ``<source>: <key.path>: <problem>``.

    ``key`` is the dotted path of the offending key (list items as ``rewards[0]``), or
    ``None`` when the problem concerns the whole file (not found, malformed TOML, ...).
    """

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = _one_line(source) or "<config>"
        self.key = _one_line(key) if key else None
        # a said problem (bot.platform.deferred) stays one, for staff to read it in their language
        self.problem = problem if isinstance(problem, Said) and problem == _one_line(problem) else (
            _one_line(problem) or "invalid value")
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.key:
            return f"{self.source}: {self.key}: {self.problem}"
        return f"{self.source}: {self.problem}"

    def translated(self, tr: Translator) -> str:
        """The same line with the problem in ``tr``'s language (source and key as written)."""
        problem = render(tr, self.problem)
        return f"{self.source}: {self.key}: {problem}" if self.key else f"{self.source}: {problem}"

    def __repr__(self) -> str:
        return f"ConfigError({self.source!r}, {self.key!r}, {self.problem!r})"

    def __reduce__(self):  # keep the error picklable despite the custom __init__
        return (type(self), (self.source, self.key, self.problem))
