"""The bot's Prometheus metrics: one :class:`Metrics` (one ``CollectorRegistry``) per bot, never the global
registry (tests run several bots in one process).

Names follow Prometheus' conventions: the unit in the name, ``_total`` for counters, few labels and never a
member id. Counters move as things happen (hooks in ``bot.core.observability``); the gauges of what the
database holds (jobs, grants, perk stock) are refreshed at scrape time. docs/operations.md lists them all.
This module knows no discord.
"""

from __future__ import annotations

import re
import time
from collections import deque
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.tables import timers

CONTENT_TYPE = CONTENT_TYPE_LATEST
INVALID_WINDOW_SECONDS = 600.0  # Discord bans an IP after 10,000 invalid requests (401, 403, 429) in 10 minutes
LATE_AFTER = timedelta(minutes=1)  # a pending job due longer ago than this counts as late
_INVALID_STATUSES = frozenset({401, 403, 429})
_LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
_SEGMENT = re.compile(r"^[a-z][a-z0-9_\-]*$|^@me$")
_MAJOR_WITH_TOKEN = {"webhooks", "interactions"}  # /webhooks/{id}/{token}, /interactions/{id}/{token}


def route_template(method: str, path: str) -> str:
    """``"GET /channels/{id}/messages/{id}"`` from a request path: ids, tokens, emoji and anything that is not a
    plain lower-case word become placeholders, so the label has few values and carries no secret."""
    path = re.sub(r"^/api/v\d+", "", path.split("?", 1)[0])
    out: list[str] = []
    parts = [p for p in path.split("/") if p]
    for i, part in enumerate(parts):
        if part.isdigit():
            out.append("{id}")
        elif i >= 2 and parts[i - 2] in _MAJOR_WITH_TOKEN and parts[i - 1].isdigit():
            out.append("{token}")
        elif i >= 1 and parts[i - 1] == "reactions":
            out.append("{emoji}")
        elif _SEGMENT.match(part):
            out.append(part)
        else:
            out.append("{param}")
    return f"{method.upper()} /{'/'.join(out)}"


class Metrics:
    """Every metric of one bot, on its own registry."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.interactions = Counter("kudos_interactions_total", "Interactions handled, by command and outcome "
                                    "(ok, refused: a message to the member, error: a bug)",
                                    ["command", "outcome"], registry=r)
        self.interaction_seconds = Histogram("kudos_interaction_duration_seconds", "From the interaction's "
                                             "arrival to the end of its handling", ["command"],
                                             buckets=_LATENCY_BUCKETS, registry=r)
        self.gateway_events = Counter("kudos_gateway_events_total", "Gateway dispatch events received, by type",
                                      ["type"], registry=r)
        self.gateway_latency = Gauge("kudos_gateway_latency_seconds", "Heartbeat round trip per shard",
                                     ["shard"], registry=r)
        self.requests = Counter("kudos_discord_requests_total", "Discord REST requests by route template and "
                                "HTTP status", ["route", "status"], registry=r)
        self.rate_limited = Counter("kudos_discord_rate_limited_total", "429 answers by X-RateLimit-Scope "
                                    "(user, global, shared)", ["scope"], registry=r)
        self.invalid_requests = Gauge("kudos_discord_invalid_requests_10m", "401, 403 and 429 answers in the "
                                      "last 10 minutes (Discord bans at 10,000)", registry=r)
        self.invalid_requests.set_function(self._invalid_in_window)
        self.job_runs = Counter("kudos_job_runs_total", "Job (timer) runs by kind and outcome (done, dropped, "
                                "retry, failed)", ["kind", "outcome"], registry=r)
        self.job_retries = Counter("kudos_job_retries_total", "Job runs that failed and were scheduled again",
                                   ["kind"], registry=r)
        self.job_seconds = Histogram("kudos_job_duration_seconds", "How long a job's handler ran", ["kind"],
                                     buckets=_LATENCY_BUCKETS, registry=r)
        self.jobs = Gauge("kudos_jobs", "Jobs in the timers table by kind and state (pending, running, done, "
                          "failed, cancelled)", ["kind", "state"], registry=r)
        self.jobs_due = Gauge("kudos_jobs_due", "Pending jobs whose time has come", registry=r)
        self.jobs_late = Gauge("kudos_jobs_late", "Pending jobs due for more than a minute", registry=r)
        self.oldest_due_age = Gauge("kudos_jobs_oldest_due_age_seconds", "How long the oldest due pending job "
                                    "has waited (0 when none is due)", registry=r)
        self.grants = Gauge("kudos_grants", "Reward grants by action and status (pending, delivering, "
                            "delivered, failed, revoked)", ["action", "status"], registry=r)
        self.perk_stock = Gauge("kudos_perk_pool_codes_available", "Codes a perk pool can still hand out",
                                ["guild", "pool"], registry=r)
        self.contributions = Counter("kudos_contributions_total", "Contributions counted in the ledger by kind "
                                     "and action (credit, reversal, release)", ["kind", "action"], registry=r)
        self.activity_flush_rows = Histogram("kudos_activity_flush_rows", "Rows written per activity flush",
                                             buckets=(1, 10, 50, 100, 500, 1000, 5000), registry=r)
        self.activity_flush_seconds = Histogram("kudos_activity_flush_duration_seconds", "How long an activity "
                                                "flush took", buckets=_LATENCY_BUCKETS, registry=r)
        self.db_statement_seconds = Histogram("kudos_db_statement_duration_seconds", "How long a database "
                                              "statement took (cursor execute)",
                                              buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                       1.0, 2.5, 5.0), registry=r)
        self.db_pool_in_use = Gauge("kudos_db_pool_connections_in_use", "Database connections checked out of "
                                    "the pool", registry=r)
        self.db_pool_size = Gauge("kudos_db_pool_connections", "Connections the pool holds open (idle or in use)",
                                  registry=r)
        self._invalid: deque[float] = deque()

    # -- Discord REST --------------------------------------------------------------------------------
    def request_done(self, method: str, path: str, status: int, scope: str | None) -> None:
        self.requests.labels(route_template(method, path), str(status)).inc()
        if status == 429:
            self.rate_limited.labels(scope or "user").inc()
        if status in _INVALID_STATUSES:
            self._invalid.append(time.monotonic())

    def _invalid_in_window(self) -> float:
        horizon = time.monotonic() - INVALID_WINDOW_SECONDS
        while self._invalid and self._invalid[0] < horizon:
            self._invalid.popleft()
        return float(len(self._invalid))

    # -- jobs ----------------------------------------------------------------------------------------
    def job_run(self, kind: str, outcome: str, seconds: float) -> None:
        self.job_runs.labels(kind, outcome).inc()
        self.job_seconds.labels(kind).observe(seconds)
        if outcome == "retry":
            self.job_retries.labels(kind).inc()

    async def refresh_jobs(self, conn: AsyncConnection, now: datetime) -> None:
        """Read the timers table for the job gauges (at scrape time)."""
        counts = await conn.execute(select(timers.c.event, timers.c.status, func.count())
                                    .group_by(timers.c.event, timers.c.status))
        due = await conn.execute(select(func.count(), func.min(timers.c.due_at))
                                 .where(timers.c.status == "pending", timers.c.due_at <= now))
        late = await conn.execute(select(func.count()).where(
            timers.c.status == "pending", timers.c.due_at <= now - LATE_AFTER))
        due_n, oldest = due.one()
        self.jobs.clear()
        for kind, state, n in counts:
            self.jobs.labels(kind, state).set(n)
        self.jobs_due.set(due_n)
        self.jobs_late.set(late.scalar_one())
        self.oldest_due_age.set(max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)

    def set_grants(self, counts: dict[tuple[str, str], int]) -> None:
        self.grants.clear()
        for (action, status), n in counts.items():
            self.grants.labels(action, status).set(n)

    def set_perk_stock(self, stock: dict[tuple[int, str], int]) -> None:
        self.perk_stock.clear()
        for (guild_id, pool), n in stock.items():
            self.perk_stock.labels(str(guild_id), pool).set(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)
