"""The webhooks' HTTP client: one POST per try, signed, no redirects followed, and a resolver that refuses
loopback, private and link-local addresses at connect time (unless private targets are allowed), so a public
name that resolves to 127.0.0.1 is refused as well as a literal one."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from bot.platform.webhook_targets import address_problem, url_problem
from bot.webhooks.signing import HEADER, sign

USER_AGENT = "Kudos-Webhooks/1"


class RefusedTarget(OSError):
    """The target is not allowed (its scheme, or an address its name resolves to)."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one try got: the HTTP status (``None`` without an answer), how long it took, and why it failed."""

    status: int | None
    latency_ms: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class CheckedResolver(AbstractResolver):
    """Resolves through the system's resolver, then refuses the addresses webhooks may not reach."""

    def __init__(self, *, allow_private: bool) -> None:
        self._inner = ThreadedResolver()
        self.allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET,
                      ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        for entry in found:
            problem = address_problem(entry["host"], allow_private=self.allow_private)
            if problem:
                raise RefusedTarget(f"{host} resolves to {problem}")
        return found

    async def close(self) -> None:
        await self._inner.close()


class Sender:
    def __init__(self, *, allow_private: bool, timeout: float = 10.0) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=CheckedResolver(allow_private=self.allow_private),
                                             use_dns_cache=False, limit_per_host=4)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False,
                                                  timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, url: str, body: bytes, *, secret: str, at: datetime, headers: dict[str, str]) -> Attempt:
        """POST ``body`` to ``url`` once; never raises for what the target does (that is the Attempt)."""
        problem = url_problem(url, allow_private=self.allow_private)
        if problem:
            return Attempt(None, None, f"refused target: the URL {problem}")
        sent: dict[str, Any] = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                                HEADER: sign(secret, at, body), **headers}
        started = time.perf_counter()
        try:
            async with self._client().post(url, data=body, headers=sent, allow_redirects=False) as resp:
                await resp.read()
                status = resp.status
        except RefusedTarget as exc:
            return Attempt(None, None, f"refused target: {exc}")
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, RefusedTarget):
                return Attempt(None, None, f"refused target: {exc.os_error}")
            return Attempt(None, _ms(started), f"no connection: {exc.os_error or exc}")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return Attempt(None, _ms(started), f"{type(exc).__name__}: {exc}"[:300] or "no answer")
        latency = _ms(started)
        if 300 <= status < 400:
            return Attempt(status, latency, f"HTTP {status}: redirects are not followed")
        if not 200 <= status < 300:
            return Attempt(status, latency, f"HTTP {status}")
        return Attempt(status, latency, None)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
