"""Discord-like rate limits: per route + major parameter buckets and a global limit."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

# Realistic defaults (Discord does not publish exact numbers; these match what bots observe).
DEFAULT_PER_ROUTE: dict[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
    "DELETE /channels/{channel_id}/messages/{message_id}": (5, 1.0),
    "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me": (1, 0.25),
    "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me": (1, 0.25),
    "PATCH /channels/{channel_id}": (2, 600.0),
    "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}": (10, 10.0),
    "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}": (10, 10.0),
    "POST /users/@me/channels": (2, 10.0),
}

MAJOR_PARAMS = ("channel_id", "guild_id", "webhook_id", "webhook_token", "interaction_id")


@dataclass
class RateLimitConfig:
    per_route: dict[str, tuple[int, float]] = field(default_factory=lambda: dict(DEFAULT_PER_ROUTE))
    default_route: tuple[int, float] = (50, 1.0)
    global_limit: tuple[int, float] = (50, 1.0)
    enabled: bool = True

    @classmethod
    def disabled(cls) -> RateLimitConfig:
        return cls(enabled=False)


@dataclass
class _Window:
    count: int
    reset_at: float


@dataclass
class Decision:
    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0
    is_global: bool = False


class RateLimiter:
    def __init__(self, config: RateLimitConfig, clock: Any) -> None:
        self.config = config
        self._clock = clock  # callable returning monotonic seconds (loop.time)
        self._buckets: dict[tuple[str, tuple[str, ...]], _Window] = {}
        self._global = _Window(0, 0.0)
        self.hits: list[tuple[str, bool]] = []  # (route key, global?) of every 429 given

    @staticmethod
    def bucket_hash(route_key: str) -> str:
        return hashlib.sha1(route_key.encode()).hexdigest()[:16]

    def check(self, route_key: str, params: dict[str, str], *, count_global: bool = True) -> Decision:
        cfg = self.config
        limit, per = cfg.per_route.get(route_key, cfg.default_route)
        if not cfg.enabled:  # headers that never make the client wait
            limit = 1_000_000
        now = self._clock()
        major = tuple(params.get(p, "") for p in MAJOR_PARAMS)
        window = self._buckets.get((route_key, major))
        if window is None or now >= window.reset_at:
            window = self._buckets[(route_key, major)] = _Window(0, now + per)
        reset_after = max(window.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Bucket": self.bucket_hash(route_key),
        }
        if cfg.enabled and count_global:
            glimit, gper = cfg.global_limit
            if now >= self._global.reset_at:
                self._global = _Window(0, now + gper)
            if self._global.count >= glimit:
                retry = max(self._global.reset_at - now, 0.001)
                headers.update(_reset_headers(0, retry))
                headers.update({"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"})
                self.hits.append((route_key, True))
                return Decision(False, headers, retry, True)
        if cfg.enabled and window.count >= limit:
            retry = max(reset_after, 0.001)
            headers.update(_reset_headers(0, retry))
            headers["X-RateLimit-Scope"] = "user"
            self.hits.append((route_key, False))
            return Decision(False, headers, retry, False)
        window.count += 1
        if cfg.enabled and count_global:
            self._global.count += 1
        headers.update(_reset_headers(max(limit - window.count, 0), reset_after))
        return Decision(True, headers)


def _reset_headers(remaining: int, reset_after: float) -> dict[str, str]:
    return {
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
    }
