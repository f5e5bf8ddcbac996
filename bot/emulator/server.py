"""The Emulator: an aiohttp server speaking Discord's REST API (/api/v10) and gateway (/gateway)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.emulator import oauth2, routes_apps, routes_channels, routes_core, routes_interactions, world_polls
from bot.emulator.actors import ActorsMixin
from bot.emulator.faults import Faults
from bot.emulator.gateway import HEARTBEAT_INTERVAL, PRIVILEGED_INTENTS, Gateway
from bot.emulator.options import Strict
from bot.emulator.ratelimit import RateLimitConfig, RateLimiter, retry_after_header
from bot.emulator.routing import Request, RouteModule, build_router
from bot.emulator.rules import ApiError, FormErrors
from bot.emulator.spec import SpecValidator
from bot.emulator.state import Snowflakes, State, User
from bot.emulator.world import WorldMixin

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
# Answers of these are not counted against the global rate limit (Discord exempts interaction endpoints).
_NO_GLOBAL = ("/interactions/", "/webhooks/")
# The REST API the emulator serves: each module registers its routes with ``register(router)``.
DEFAULT_ROUTE_MODULES: tuple[RouteModule, ...] = (routes_core, routes_channels, routes_interactions, routes_apps,
                                                     world_polls)


class EmulatorError(Exception):
    """Misuse of the emulator by a test (unknown command, no such button, ...)."""


@dataclass
class RequestRecord:
    method: str
    route: str  # template, e.g. "/channels/{channel_id}/messages"
    path: str
    status: int
    json: Any = None
    query: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"


class Emulator(WorldMixin, ActorsMixin):
    def __init__(
        self,
        spec_path: str | None = None,
        ratelimits: RateLimitConfig | None = None,
        shard_count: int = 1,
        *,
        interaction_timeout: float = 3.0,
        followup_timeout: float = 5.0,
        members_in_guild_create: int | None = None,
        token: str | None = None,
        host: str = "127.0.0.1",
        route_modules: tuple[RouteModule, ...] = DEFAULT_ROUTE_MODULES,
        strict: Strict | None = None,
        privileged_intents: int = PRIVILEGED_INTENTS,
        heartbeat_interval: int = HEARTBEAT_INTERVAL,
    ) -> None:
        self.strict = strict or Strict()
        # the privileged intents enabled for the application in the Developer Portal (others close with 4014)
        self.privileged_intents = privileged_intents
        self.router = build_router(route_modules)
        self.ids = Snowflakes()
        self.state = State()
        self.token = token or f"emu.{secrets.token_urlsafe(24)}"
        self.shard_count = shard_count
        self.interaction_timeout = interaction_timeout
        self.followup_timeout = followup_timeout
        self.members_in_guild_create = members_in_guild_create
        self.host = host
        self.validator = SpecValidator(spec_path)
        self.ratelimit_config = ratelimits or RateLimitConfig()  # on by default, like Discord
        self.faults = Faults()
        self.gateway = Gateway(self)
        self.gateway.heartbeat_interval = heartbeat_interval
        self.request_log: list[RequestRecord] = []
        self.oauth = oauth2.OAuthApp()  # the app's OAuth2 settings, grants and Linked Roles (oauth2.py)
        self.cdn: dict[int, tuple[bytes, str]] = {}  # attachment id -> (bytes, content type)
        self.errors: list[str] = []
        self.chunk_requests = 0
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._limiter: RateLimiter | None = None
        self._inflight = 0
        self._banned = False
        self._last_activity = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._patched: tuple[Any, Any] | None = None
        bot = User(self.ids.next(), "Kudos", bot=True)
        self.state.users[bot.id] = bot
        self.bot_user_id = self.state.bot_user_id = bot.id
        self.application_id = bot.id  # like Discord: a bot's user id equals its application id
        self._init_world()
        self._init_actors()
        from bot.emulator.spec import _register_emulator

        _register_emulator(self)

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    async def start(self) -> Emulator:
        loop = asyncio.get_running_loop()
        self._limiter = RateLimiter(self.ratelimit_config, loop.time)
        self._last_activity = loop.time()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{aid}/{filename}", self._cdn)
        oauth2.register(self, app)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("Discord emulator listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        self.validator.drain()  # the answers still queued for their spec check
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.unpatch_discord()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def patch_discord(self) -> None:
        """Point the unmodified discord.py client at this emulator."""
        import discord.gateway
        import discord.http
        import yarl

        if self._patched is None:
            self._patched = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def unpatch_discord(self) -> None:
        if self._patched is None:
            return
        import discord.gateway
        import discord.http

        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._patched
        self._patched = None

    @property
    def ratelimiter(self) -> RateLimiter:
        """The live rate limiter (``.hits`` lists every 429 it gave); exists once started."""
        assert self._limiter is not None, "start() the emulator first"
        return self._limiter

    # ------------------------------------------------------------------ activity tracking

    def _touch(self) -> None:
        try:
            self._last_activity = asyncio.get_running_loop().time()
        except RuntimeError:
            pass

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._touch()
        return task

    async def settle(self, quiet: float = 0.05, timeout: float = 5.0) -> bool:
        """Wait until no REST request is in flight and none started for ``quiet`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._touch()
        while True:
            now = loop.time()
            if self._inflight == 0 and not self._tasks and now - self._last_activity >= quiet:
                return True
            if now >= deadline:
                log.warning("settle(): bot still busy after %.1fs", timeout)
                return False
            await asyncio.sleep(min(quiet / 4, 0.01))

    async def disconnect(self, resume: bool = True, *, shard_id: int | None = None, hold: bool = False,
                         wait: bool = False, timeout: float = 5.0) -> None:
        """Drop the gateway connection. resume=True: close with 4000 (client RESUMEs, missed events are
        replayed); resume=False: INVALID_SESSION d=false (client IDENTIFYs again; missed events are lost).
        hold=True keeps new connections waiting until :meth:`release_gateway`."""
        await self.gateway.disconnect(resume=resume, shard_id=shard_id, hold=hold)
        if wait and not hold:
            await self.wait_until_connected(timeout)

    def release_gateway(self) -> None:
        self.gateway.release()

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        await self.gateway.wait_connected(timeout)

    async def _cdn(self, request: web.Request) -> web.Response:
        """Files of attachment options (see :meth:`ActorsMixin._upload`), like cdn.discordapp.com."""
        try:
            data, ctype = self.cdn[int(request.match_info["aid"])]
        except (KeyError, ValueError):
            return web.Response(status=404)
        return web.Response(status=200, body=data, headers={"Content-Type": ctype})

    # ------------------------------------------------------------------ REST

    @staticmethod
    def _response(status: int, data: Any, headers: dict[str, str] | None = None) -> web.Response:
        hdrs = dict(headers or {})
        if status == 204 or data is None:
            return web.Response(status=204 if data is None else status, headers=hdrs)
        hdrs["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(data).encode(), headers=hdrs)

    def _answer(self, method: str, path: str, status: int, data: Any,
                headers: dict[str, str] | None = None) -> web.Response:
        """An answer of a known route, checked against the spec's response schema (violations recorded) once it
        is on its way (``SpecValidator.queue_response``)."""
        response = self._response(status, data, headers)
        body = response.body if data is not None and isinstance(response.body, bytes) else None
        self.validator.queue_response(method, path, 204 if data is None else status, body)
        return response

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        self._inflight += 1
        self._touch()
        try:
            response = await self._rest_inner(request)
            if self._limiter is not None and not self._limiter.record(
                    response.status, response.headers.get("X-RateLimit-Scope")) and not self._banned:
                self._banned = True
                limit, per = self.ratelimit_config.invalid_limit
                self.errors.append(f"more than {limit} invalid requests (401, 403, 429) in {per:.0f} s: Discord "
                                   "would ban the bot's IP (rate-limits.mdx, Invalid Request Limit)")
            return response
        finally:
            self._inflight -= 1
            self._touch()

    async def _parse_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes, str]]]:
        files: list[tuple[str, bytes, str]] = []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            async for part in reader:
                if part is None or not hasattr(part, "read"):
                    continue
                name = part.name or ""
                data = await part.read()  # type: ignore[union-attr]
                if name == "payload_json":
                    payload = json.loads(data.decode())
                else:
                    ctype = part.headers.get("Content-Type", "application/octet-stream")
                    files.append((part.filename or name, bytes(data), ctype))
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            raise ApiError(400, 50109, "The request body contains invalid JSON.") from None

    def _limit_key(self, key: str, params: dict[str, str], body: Any) -> str:
        """Renaming a channel or changing its topic has its own, much smaller limit than other channel edits."""
        if key == "PATCH /channels/{channel_id}" and isinstance(body, dict) and {"name", "topic"} & body.keys():
            raw = params.get("channel_id", "")
            channel = self.state.channels.get(int(raw)) if raw.isdigit() else None
            if channel is not None and not channel.is_thread:
                return f"{key} name/topic"
        return key

    async def _rest_inner(self, request: web.Request) -> web.StreamResponse:
        method = request.method.upper()
        if not request.path.startswith(API_PREFIX + "/"):
            return self._response(404, {"message": "404: Not Found", "code": 0})
        path = request.path[len(API_PREFIX):]
        query = dict(request.query)
        found = self.router.match(method, path)
        if found is None:
            self.validator.check_route(method, path)
            log.warning("emulator: no route for %s %s", method, path)
            self.request_log.append(RequestRecord(method, path, path, 404, None, query))
            return self._response(404, {"message": "404: Not Found", "code": 0})
        rt, params = found
        record = RequestRecord(method, rt.template, path, 0, None, query)
        self.request_log.append(record)
        try:
            body, files = await self._parse_body(request)
        except ApiError as exc:
            record.status = exc.status
            return self._answer(method, path, exc.status, exc.body())
        record.json = body
        record.files = [f[0] for f in files]
        key = f"{method} {rt.template}"
        grant = self.oauth.bearer(request.headers.get("Authorization"))
        bearer_ok = grant is not None and oauth2.BEARER_ROUTES.get(key) in grant.scopes
        if rt.auth and request.headers.get("Authorization") != f"Bot {self.token}" and not bearer_ok:
            record.status = 401
            return self._answer(method, path, 401, {"message": "401: Unauthorized", "code": 0})
        delay = self.faults.delay_for(key)
        fault = self.faults.take(key)
        if fault is not None and fault.delay:
            delay = max(delay, fault.delay)
        if delay:
            await asyncio.sleep(delay)
        assert self._limiter is not None
        if fault is not None:
            record.status = fault.status
            headers = {"Via": "1.1 google"} if fault.status == 429 else {}
            if fault.status == 429:
                headers.update({"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0",
                                "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                                "Retry-After": retry_after_header(fault.retry_after),
                                "X-RateLimit-Scope": "global" if fault.is_global else "user"})
                if fault.is_global:
                    headers["X-RateLimit-Global"] = "true"
            return self._response(fault.status, fault.body(), headers)
        decision = self._limiter.check(self._limit_key(key, params, body), params,
                                       count_global=not path.startswith(_NO_GLOBAL))
        if not decision.allowed:
            record.status = 429
            body429 = {"message": "The resource is being rate limited." if decision.shared
                       else "You are being rate limited.", "retry_after": round(decision.retry_after, 3),
                       "global": decision.is_global}
            return self._answer(method, path, 429, body429, {**decision.headers, "Via": "1.1 google"})
        if body is not None:
            problem = self.validator.body_error(method, path, body)
            if problem is not None:  # Discord refuses malformed bodies before looking at them
                record.status = 400
                where, _, text = problem.partition(": ")
                form = FormErrors()  # nested per field, like Discord: {"embeds": {"0": {"title": {"_errors"...
                form.add([] if where == "<body>" else where.split("/"), "BASE_TYPE_INVALID", text)
                errors = form.errors
                return self._answer(method, path, 400, {"message": "Invalid Form Body", "code": 50035,
                                                        "errors": errors}, decision.headers)
        else:
            self.validator.check_route(method, path)
        req = Request(method, path, rt.template, params, query, body, files, dict(request.headers),
                      oauth_user=grant.user_id if bearer_ok and grant is not None else None)
        try:
            status, data = await rt.handler(self, req)
        except ApiError as exc:
            status, data = exc.status, exc.body()
        except EmulatorError as exc:
            self.errors.append(f"{key}: {exc}")
            status, data = 400, {"message": f"emulator: {exc}", "code": 0}
        except Exception as exc:
            log.exception("emulator bug while handling %s %s", method, path)
            self.errors.append(f"{key}: {exc!r}")
            status, data = 400, {"message": f"emulator error: {exc!r}", "code": 0}
        record.status = status
        return self._answer(method, path, status, data, decision.headers)
