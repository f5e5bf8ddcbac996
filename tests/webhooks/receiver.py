"""A loopback webhook receiver for the tests: an aiohttp server that records every request, can go down (its
port closed: connection refused) and come back on the same port, and checks signatures the documented way."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.webhooks.signing import verify


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: datetime | None  # the receiver's clock when it arrived (the harness's emulator time)

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.body)

    def verified(self, secret: str, now: datetime) -> bool:
        return verify(secret, self.headers.get("Kudos-Signature", ""), self.body, now=now)


class Receiver:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[Received] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self.clock: Any = None

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(Received(dict(request.headers), await request.read(),
                                      self.clock.now() if self.clock is not None else None))
        if self.status in (301, 302, 307, 308):
            raise web.HTTPTemporaryRedirect(location=f"http://127.0.0.1:{self.port}/elsewhere")
        return web.Response(status=self.status, text="ok")

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        app.router.add_post("/elsewhere", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def of_type(self, type_: str) -> list[Received]:
        return [r for r in self.received if r.headers.get("Kudos-Event-Type") == type_]
