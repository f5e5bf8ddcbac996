"""Discord-like rate limits (rate-limits.mdx): per-route buckets per top-level resource, buckets shared by
several routes (one ``X-RateLimit-Bucket``), a global limit, ``Retry-After``, the invalid request limit
(401, 403 and 429 answers; "429 errors returned with `X-RateLimit-Scope: shared` are not counted"), and
per-resource limits shared by everyone ("`shared` (per resource limit)"): reactions in one channel count
whoever adds them, and when the channel is busy the bot's reaction gets a 429 with scope ``shared``."""

from __future__ import annotations

import collections
import hashlib
import math
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
    # renaming a channel or changing its topic: twice per 10 minutes (other channel and thread edits: 5/5 s)
    "PATCH /channels/{channel_id} name/topic": (2, 600.0),
    "PATCH /channels/{channel_id}": (5, 5.0),
    "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}": (10, 10.0),
    "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}": (10, 10.0),
}
# (Discord publishes no limit for opening DMs; a made-up one stricter than Discord's would fail bots wrongly.)

# Routes that count against one bucket (rate-limits.mdx: "per-route limits will be shared across a set of
# similar endpoints, indicated in the `X-RateLimit-Bucket` header").
DEFAULT_SHARED: dict[str, str] = {
    "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me": "own reactions",
    "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me": "own reactions",
    "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}": "member roles",
    "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}": "member roles",
}

# Per-resource limits that every user's actions count against (rate-limits.mdx, X-RateLimit-Scope "shared"):
# route → (resource, top-level parameter, (limit, seconds)). Discord publishes no numbers; reactions added in
# one channel by anyone, bot or member, are counted here.
DEFAULT_SHARED_RESOURCES: dict[str, tuple[str, str, tuple[int, float]]] = {
    "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me":
        ("channel reactions", "channel_id", (30, 5.0)),
}

MAJOR_PARAMS = ("channel_id", "guild_id", "webhook_id", "webhook_token", "interaction_id")

# Process-wide totals across every Emulator (reported by the pytest plugin).
TOTALS: dict[str, int] = {"requests": 0, "rate_limited": 0, "invalid": 0}
# The routes of the 429s the limiter gave (not injected faults), e.g. {"POST /channels/{channel_id}/messages": 3}.
LIMITED_ROUTES: collections.Counter[str] = collections.Counter()


@dataclass
class RateLimitConfig:
    per_route: dict[str, tuple[int, float]] = field(default_factory=lambda: dict(DEFAULT_PER_ROUTE))
    shared: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SHARED))
    shared_resources: dict[str, tuple[str, str, tuple[int, float]]] = field(
        default_factory=lambda: dict(DEFAULT_SHARED_RESOURCES))
    default_route: tuple[int, float] = (50, 1.0)
    global_limit: tuple[int, float] = (50, 1.0)
    invalid_limit: tuple[int, float] = (10_000, 600.0)  # rate-limits.mdx: "10,000 per 10 minutes"
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
    shared: bool = False  # a per-resource limit (X-RateLimit-Scope: shared)


class RateLimiter:
    def __init__(self, config: RateLimitConfig, clock: Any) -> None:
        self.config = config
        self._clock = clock  # callable returning monotonic seconds (loop.time)
        self._buckets: dict[tuple[str, tuple[str, ...]], _Window] = {}
        self._global = _Window(0, 0.0)
        self._resources: dict[tuple[str, str], _Window] = {}
        self.hits: list[tuple[str, bool]] = []  # (route key, global?) of every 429 given
        self.requests = 0
        self.invalid = 0  # 401, 403 and 429 answers (not shared-scope 429s)
        self._invalid_times: collections.deque[float] = collections.deque()

    @staticmethod
    def bucket_hash(bucket: str) -> str:
        return hashlib.sha1(bucket.encode()).hexdigest()[:16]

    def bucket_of(self, route_key: str) -> str:
        return self.config.shared.get(route_key, route_key)

    def _resource_window(self, resource: str, key: str, per: float) -> _Window:
        now = self._clock()
        window = self._resources.get((resource, key))
        if window is None or now >= window.reset_at:
            window = self._resources[(resource, key)] = _Window(0, now + per)
        return window

    def count_resource(self, resource: str, key: str) -> None:
        """Someone (a member or the bot) used a shared resource: reactions added in channel ``key``."""
        for name, _param, (_limit, per) in self.config.shared_resources.values():
            if name == resource:
                self._resource_window(resource, key, per).count += 1
                return

    def check(self, route_key: str, params: dict[str, str], *, count_global: bool = True) -> Decision:
        cfg = self.config
        limit, per = cfg.per_route.get(route_key, cfg.default_route)
        if not cfg.enabled:  # headers that never make the client wait
            limit = 1_000_000
        now = self._clock()
        bucket = self.bucket_of(route_key)
        major = tuple(params.get(p, "") for p in MAJOR_PARAMS)
        window = self._buckets.get((bucket, major))
        if window is None or now >= window.reset_at:
            window = self._buckets[(bucket, major)] = _Window(0, now + per)
        reset_after = max(window.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Bucket": self.bucket_hash(bucket),
        }
        if cfg.enabled and count_global:
            glimit, gper = cfg.global_limit
            if now >= self._global.reset_at:
                self._global = _Window(0, now + gper)
            if self._global.count >= glimit:
                retry = max(self._global.reset_at - now, 0.001)
                headers.update(_reset_headers(0, retry))
                headers.update({"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global",
                                "Retry-After": retry_after_header(retry)})
                self.hits.append((route_key, True))
                LIMITED_ROUTES[route_key] += 1
                return Decision(False, headers, retry, True)
        if cfg.enabled and window.count >= limit:
            retry = max(reset_after, 0.001)
            headers.update(_reset_headers(0, retry))
            headers["X-RateLimit-Scope"] = "user"
            headers["Retry-After"] = retry_after_header(retry)
            self.hits.append((route_key, False))
            LIMITED_ROUTES[route_key] += 1
            return Decision(False, headers, retry, False)
        shared = cfg.shared_resources.get(route_key) if cfg.enabled else None
        if shared is not None:
            resource, param, (rlimit, rper) = shared
            busy = self._resource_window(resource, params.get(param, ""), rper)
            if busy.count >= rlimit:  # the resource is busy: the bot's own bucket is not used up
                retry = max(busy.reset_at - now, 0.001)
                headers.update(_reset_headers(max(limit - window.count, 0), reset_after))
                headers["X-RateLimit-Scope"] = "shared"
                headers["Retry-After"] = retry_after_header(retry)
                self.hits.append((route_key, False))
                LIMITED_ROUTES[route_key] += 1
                return Decision(False, headers, retry, False, shared=True)
        window.count += 1
        if cfg.enabled and count_global:
            self._global.count += 1
        headers.update(_reset_headers(max(limit - window.count, 0), reset_after))
        return Decision(True, headers)

    def record(self, status: int, scope: str | None) -> bool:
        """Count an answer; returns False once the invalid request limit is exceeded (Discord would ban)."""
        self.requests += 1
        TOTALS["requests"] += 1
        if status == 429:
            TOTALS["rate_limited"] += 1
        if status in (401, 403) or (status == 429 and scope != "shared"):
            self.invalid += 1
            TOTALS["invalid"] += 1
            now = self._clock()
            limit, per = self.config.invalid_limit
            self._invalid_times.append(now)
            while self._invalid_times and self._invalid_times[0] <= now - per:
                self._invalid_times.popleft()
            if self.config.enabled and len(self._invalid_times) > limit:
                return False
        return True


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` is whole seconds (the JSON body's ``retry_after`` carries the fraction)."""
    return str(max(math.ceil(seconds), 1))


def _reset_headers(remaining: int, reset_after: float) -> dict[str, str]:
    return {
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
    }
