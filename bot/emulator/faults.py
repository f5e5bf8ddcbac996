"""Fault injection: error bursts, slow routes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Fault:
    route: str | None  # "POST /channels/{channel_id}/messages" or None for any route
    status: int
    count: int
    retry_after: float = 0.05
    code: int = 0
    delay: float = 0.0
    message: str | None = None
    is_global: bool = False
    hits: int = 0

    def body(self) -> dict[str, object]:
        if self.status == 429:
            return {"message": "You are being rate limited.", "retry_after": self.retry_after,
                    "global": self.is_global}
        if self.status == 403:
            return {"message": self.message or "Missing Permissions", "code": self.code or 50013}
        return {"message": self.message or f"{self.status}: Emulated failure", "code": self.code}


class Faults:
    def __init__(self) -> None:
        self.active: list[Fault] = []
        self.slow_routes: dict[str | None, float] = {}

    def add(self, route: str | None = None, status: int = 500, count: int = 1, retry_after: float = 0.05,
            code: int = 0, delay: float = 0.0, message: str | None = None, is_global: bool = False) -> Fault:
        fault = Fault(route, status, count, retry_after, code, delay, message, is_global)
        self.active.append(fault)
        return fault

    def slow(self, route: str | None, seconds: float) -> None:
        """Delay every answer of ``route`` (None: every route) by ``seconds``."""
        self.slow_routes[route] = seconds

    def clear(self) -> None:
        self.active.clear()
        self.slow_routes.clear()

    def delay_for(self, route_key: str) -> float:
        return max(self.slow_routes.get(route_key, 0.0), self.slow_routes.get(None, 0.0))

    def take(self, route_key: str) -> Fault | None:
        for fault in self.active:
            if fault.count > 0 and (fault.route is None or fault.route == route_key):
                fault.count -= 1
                fault.hits += 1
                return fault
        return None
