"""The REST route table. Each route module lists its handlers in a module-level ``RouteTable`` and exposes
``register(router)``; the server builds one ``Router`` from the route modules it is given (no route exists
just because a module was imported)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

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
    oauth_user: int | None = None  # the user of an OAuth2 bearer token (None: the bot's own token)

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


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    rx = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{rx}$")


class RouteTable:
    """The routes of one module: ``@TABLE.route("GET", "/users/@me")`` only records the handler here."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, Handler, bool]] = []

    def route(self, method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.entries.append((method, template, fn, auth))
            return fn

        return deco


class Router:
    """Matches a request to a route; the most specific template wins (like the spec's own paths)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        if any(r.method == method and r.template == template for r in self.routes):
            raise ValueError(f"route {method} {template} registered twice")
        self.routes.append(Route(method, template, handler, auth, _compile(template)))
        self.routes.sort(key=lambda r: template_specificity(r.template))

    def include(self, table: RouteTable) -> None:
        for method, template, handler, auth in table.entries:
            self.add(method, template, handler, auth=auth)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for r in self.routes:
            if r.method != method:
                continue
            m = r.regex.match(path)
            if m:
                return r, m.groupdict()
        return None


class RouteModule(Protocol):
    def register(self, router: Router) -> None: ...


def build_router(modules: Iterable[RouteModule]) -> Router:
    router = Router()
    for module in modules:
        module.register(router)
    return router
