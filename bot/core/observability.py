"""The operations listener (``[metrics]``): Prometheus metrics on ``/metrics``, liveness on ``/healthz`` and
readiness on ``/readyz``, on an aiohttp server of its own, bound apart from the dashboard so it can stay on a
private interface (docs/operations.md "Metrics and health").

:class:`Observability` hooks the bot into :class:`bot.platform.metrics.Metrics`: the aiohttp trace of the
REST client (through the pacer's trace config), the gateway's ``socket_event_type`` (a sync listener: no task
per event), interactions (started in a sync listener, finished by the central error handler, by
``app_command_completion`` or at the end of a view's or modal's task), the job engine's run observers, the
activity flush, the database engine's statements, and the ledger's ``ContributionEvent`` (counted when its
transaction commits).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from aiohttp import web
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.activity.service import FlushStats
from bot.ledger import ContributionEvent
from bot.platform.db import migrate
from bot.platform.metrics import CONTENT_TYPE, Metrics
from bot.rewards import gauges as reward_gauges

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)

DB_CHECK_TIMEOUT = 2.0  # seconds for the readiness probe's SELECT 1 (and the migration check)
SCRAPE_TIMEOUT = 5.0  # seconds for the scrape-time reads of the database
_STARTED = "kudos.started"  # interaction.extras keys
_DONE = "kudos.observed"
_STATEMENT_STARTED = "_kudos_statement_started"  # an attribute of the statement's ExecutionContext
_CUSTOM_ID = re.compile(r"^([a-z_]+):([a-z_]+)(:|$)")


def interaction_label(interaction: discord.Interaction) -> str:
    """The command's qualified name; for a button or modal the ``feature:action`` of its custom id (the rest
    of a custom id is ids: never in a label); else the interaction type."""
    command = interaction.command
    if command is not None:
        return command.qualified_name
    custom_id = (interaction.data or {}).get("custom_id") if interaction.data else None
    match = _CUSTOM_ID.match(custom_id or "")
    if match:
        return f"{match.group(1)}:{match.group(2)}"
    return interaction.type.name


class Observability:
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot
        self.config = bot.config.metrics
        self.metrics = Metrics()
        self.port: int = self.config.port
        self._runner: web.AppRunner | None = None
        self._heads: tuple[str, ...] | None = None
        self._gateway_children: dict[str, Any] = {}  # event type -> its gateway_events counter

    # -- hooks ---------------------------------------------------------------------------------------
    def install(self) -> None:
        """In ``KudosBot.__init__``, before login (the REST session freezes its trace config when it is made);
        only sync listeners: no task per event."""
        bot = self.bot
        bot.pacer.trace.on_request_end.append(self._on_request_end)
        bot.add_sync_listener("socket_event_type", self._on_gateway_event)
        bot.add_sync_listener("interaction", self._on_interaction)
        bot.add_sync_listener("app_command_completion", self._on_command_done)
        bot.scheduler.observers.append(self.metrics.job_run)
        bot.app.activity.flush_observers.append(self._on_flush)
        bot.app.bus.subscribe(ContributionEvent, self._on_contribution)
        engine = bot.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._before_statement)
        event.listen(engine, "after_cursor_execute", self._after_statement)

    def uninstall(self) -> None:
        """Take the engine hooks off (the database may outlive this bot); the rest goes with the bot."""
        engine = self.bot.db.engine.sync_engine
        for name, hook in (("before_cursor_execute", self._before_statement),
                           ("after_cursor_execute", self._after_statement)):
            if event.contains(engine, name, hook):
                event.remove(engine, name, hook)

    @staticmethod
    def _before_statement(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any,
                          _many: bool) -> None:
        if context is not None:  # the statement's own execution context: nothing left behind if it fails
            setattr(context, _STATEMENT_STARTED, time.perf_counter())

    def _after_statement(self, _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any,
                         _many: bool) -> None:
        started = getattr(context, _STATEMENT_STARTED, None)
        if started is not None:
            self.metrics.db_statement_seconds.observe(time.perf_counter() - started)

    def _on_gateway_event(self, event_type: str) -> None:
        # Every gateway event: the labelled child is looked up once per event type, not per event
        # (``labels()`` builds a tuple of strings and takes a lock each call).
        child = self._gateway_children.get(event_type)
        if child is None:
            child = self._gateway_children[event_type] = self.metrics.gateway_events.labels(event_type)
        child.inc()

    async def _on_request_end(self, _session: aiohttp.ClientSession, _ctx: Any,
                              params: aiohttp.TraceRequestEndParams) -> None:
        response = params.response
        if response.status == 101:  # the gateway's websocket upgrade shares the session: not a REST request
            return
        self.metrics.request_done(params.method, params.url.path, response.status,
                                  response.headers.get("X-RateLimit-Scope"))

    def _on_interaction(self, interaction: discord.Interaction) -> None:
        interaction.extras[_STARTED] = asyncio.get_running_loop().time()

    def _on_command_done(self, interaction: discord.Interaction, _command: Any) -> None:
        self.interaction_finished(interaction, "ok")

    def interaction_finished(self, interaction: discord.Interaction, outcome: str) -> None:
        if interaction.extras.get(_DONE):
            return
        interaction.extras[_DONE] = True
        label = interaction_label(interaction)
        self.metrics.interactions.labels(label, outcome).inc()
        started = interaction.extras.get(_STARTED)
        if started is not None:
            self.metrics.interaction_seconds.labels(label).observe(asyncio.get_running_loop().time() - started)

    def _on_flush(self, stats: FlushStats, seconds: float) -> None:
        self.metrics.activity_flush_rows.observe(stats.rows)
        self.metrics.activity_flush_seconds.observe(seconds)

    async def _on_contribution(self, conn: AsyncConnection, change: ContributionEvent) -> None:
        counter = self.metrics.contributions.labels(change.kind, change.action)
        settled = False

        def committed(_conn: Any) -> None:
            nonlocal settled
            if not settled:
                settled = True
                counter.inc()

        def rolled_back(_conn: Any) -> None:
            nonlocal settled
            settled = True

        # Counted when the cause commits: a transaction rolled back after the ledger wrote counts nothing.
        sync_conn = conn.sync_connection
        event.listen(sync_conn, "commit", committed, once=True)
        event.listen(sync_conn, "rollback", rolled_back, once=True)

    # -- health --------------------------------------------------------------------------------------
    def shard_states(self) -> list[dict[str, Any]]:
        """Each gateway shard of this process: connected or not, and its heartbeat latency."""
        bot = self.bot
        shards = getattr(bot, "shards", None)
        if isinstance(shards, dict) and shards:
            return [_shard_state(sid, not info.is_closed(), info.latency) for sid, info in sorted(shards.items())]
        ws = bot.ws
        return [_shard_state(getattr(ws, "shard_id", None) or 0, ws is not None and ws.open,
                             bot.latency)]

    async def readiness(self) -> tuple[list[str], dict[str, Any]]:
        """The reasons the bot is not ready (empty: ready) and the details of every check."""
        problems: list[str] = []
        shards = self.shard_states()
        down = [s["shard"] for s in shards if not s["connected"]]
        if down:
            problems.append(f"gateway: shard(s) {', '.join(map(str, down))} not connected")
        elif not self.bot.is_ready():
            problems.append("gateway: not ready yet (the servers are still loading)")
        database = "ok"
        try:
            current = await asyncio.wait_for(self._database_revisions(), DB_CHECK_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - any failure (refused, timeout, missing file) is "not ready"
            database = f"unreachable: {type(exc).__name__}"
            problems.append(f"database: {database}")
        else:
            if self._heads is None:
                self._heads = migrate.head_revisions()
            if current != self._heads:
                problems.append(f"migrations: at {'+'.join(current) or 'nothing'}, head is {'+'.join(self._heads)}")
        if not self.bot.scheduler.running:
            problems.append("jobs: the job engine is not running")
        return problems, {"shards": shards, "database": database, "jobs": self.bot.scheduler.running}

    async def _database_revisions(self) -> tuple[str, ...]:
        async with self.bot.db.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return await migrate.current_revisions(self.bot.db)

    # -- scrape --------------------------------------------------------------------------------------
    async def refresh(self) -> None:
        """The gauges read at scrape time: shard latency and what the database holds."""
        self.metrics.gateway_latency.clear()
        for shard in self.shard_states():
            if shard["latency_seconds"] is not None:
                self.metrics.gateway_latency.labels(str(shard["shard"])).set(shard["latency_seconds"])
        pool = self.bot.db.engine.sync_engine.pool
        if hasattr(pool, "checkedout"):  # a QueuePool (PostgreSQL, SQLite files)
            self.metrics.db_pool_in_use.set(pool.checkedout())
            self.metrics.db_pool_size.set(pool.checkedin() + pool.checkedout())
        now = self.bot.clock.now()
        async with self.bot.db.connect() as conn:
            await self.metrics.refresh_jobs(conn, now)
            grants = await reward_gauges.grant_counts(conn)
            stock = await reward_gauges.pool_stock(conn, now=now)
        self.metrics.set_grants(grants)
        self.metrics.set_perk_stock(stock)

    # -- the listener --------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        return app

    async def _metrics(self, _request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(self.refresh(), SCRAPE_TIMEOUT)
        except Exception:  # noqa: BLE001 - the counters are still worth serving; the gauges keep their last value
            log.warning("metrics: could not read the database for the gauges", exc_info=True)
        body = self.metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        problems, details = await self.readiness()
        body: dict[str, Any] = {"status": "ready" if not problems else "not ready"}
        if problems:
            body["reasons"] = problems
        if request.query.get("verbose") not in (None, "", "0", "false"):
            body.update(details)
        return web.json_response(body, status=503 if problems else 200)

    async def start(self) -> None:
        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        await site.start()
        self._runner = runner
        sockets = getattr(site._server, "sockets", None) or []  # the real port when port = 0
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("metrics and health listening on %s (/metrics, /healthz, /readyz)", site.name)

    async def stop(self) -> None:
        self.uninstall()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()


def _shard_state(shard_id: int, connected: bool, latency: float) -> dict[str, Any]:
    known = latency is not None and math.isfinite(latency)
    return {"shard": shard_id, "connected": bool(connected), "latency_seconds": latency if known else None}
