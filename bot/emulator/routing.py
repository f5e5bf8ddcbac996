"""The REST route table: handlers register with @route(method, template)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.emulator.rules import ApiError
from bot.emulator.spec import template_specificity

if TYPE_CHECKING:
    from bot.emulator.server import Emulator


@dataclass
class Request:
    method: str
    path: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any = None
    files: list[tuple[str, bytes, str]] = field(default_factory=list)  # (filename, data, content type)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"

    def id(self, name: str, kind: str) -> int:
        raw = self.params[name]
        try:
            return int(raw)
        except ValueError:
            raise ApiError(404, 0, f"Unknown {kind}") from None

    def body(self) -> dict[str, Any]:
        if self.json is None:
            return {}
        if not isinstance(self.json, dict):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        return self.json


Result = tuple[int, Any]
Handler = Callable[["Emulator", Request], Awaitable[Result]]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    auth: bool
    regex: re.Pattern[str]


ROUTES: list[Route] = []


def route(method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        parts = re.split(r"(\{[^}]+\})", template)
        rx = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
        ROUTES.append(Route(method, template, fn, auth, re.compile(f"^{rx}$")))
        ROUTES.sort(key=lambda r: template_specificity(r.template))
        return fn

    return deco


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for r in ROUTES:
        if r.method != method:
            continue
        m = r.regex.match(path)
        if m:
            return r, m.groupdict()
    return None
