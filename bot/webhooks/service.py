"""Outbound webhooks: a guild's endpoints hear of what happens in Kudos (see docs/webhooks.md).

Flow
----
A feature publishes an :class:`~bot.platform.events.Outbound` on the bus in its cause's transaction.
:meth:`WebhooksService.on_outbound` (subscribed by ``bot.app``) records the event once — its id is derived
from the guild, type and the cause's key, so a replayed cause adds nothing — and, in that same transaction,
one delivery row and one durable job (:data:`DELIVER_EVENT`) per enabled endpoint that wants the type. A
cause that rolls back sends nothing.

The job (:meth:`WebhooksService.deliver`) POSTs the event's JSON document, signed (:mod:`bot.webhooks.signing`),
without following redirects, through a resolver that refuses private addresses (:mod:`bot.webhooks.http`).
A 2xx answer delivers it. Anything else is written to the delivery log and tried again with back-off (30 s,
1 min, 2 min … at most an hour apart) until :data:`RETRY_FOR` (24 h) after the event; then the delivery fails.
Each try is its own job, keyed by the delivery and the try's number, written with the log line in one
transaction, so a restart neither loses nor doubles a try. Delivery is at least once (a crash after the
receiver answered and before the log line commits sends again): receivers de-duplicate by ``Kudos-Event-Id``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets as secrets_mod
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform import audit
from bot.platform.clock import Clock
from bot.platform.config import GuildConfig
from bot.platform.config.webhooks import ENDPOINT_NAME
from bot.platform.db import Database
from bot.platform.errors import Conflict, InvalidInput, NotFound
from bot.platform.events import OUTBOUND_TYPES, Outbound
from bot.platform.i18n import N_
from bot.platform.webhook_targets import url_problem
from bot.webhooks import store as repo
from bot.webhooks.http import Attempt, Sender

DELIVER_EVENT = "webhooks.deliver"
TEST_TYPE = "webhook.test"
VERSION = 1
RETRY_FOR = timedelta(hours=24)
RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 3600.0

Schedule = Callable[..., Awaitable[Any]]


def event_id(guild_id: int, type_: str, key: str) -> str:
    """The event's id: the same cause (guild, type, key) always gives the same id."""
    digest = hashlib.sha256(f"{guild_id}\x1f{type_}\x1f{key}".encode()).hexdigest()
    return f"evt_{digest[:32]}"


def document(event: Outbound) -> dict[str, Any]:
    """The versioned JSON document of ``event`` (validated against ``schemas/<type>.json`` by the tests)."""
    return {
        "id": event_id(event.guild_id, event.type, event.key),
        "type": event.type,
        "version": VERSION,
        "created_at": event.at.isoformat().replace("+00:00", "Z"),
        "guild_id": str(event.guild_id),
        "data": event.data,
    }


def encode(body: dict[str, Any]) -> bytes:
    """The bytes sent (and signed): compact JSON, keys sorted."""
    return json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


class WebhooksService:
    def __init__(self, db: Database, clock: Clock, *, guild_config: Callable[[int], GuildConfig],
                 configured_guilds: Callable[[], tuple[int, ...]], allow_private: bool, schedule: Schedule,
                 env: Mapping[str, str] | None = None, timeout: float = 10.0) -> None:
        self.db = db
        self.clock = clock
        self.guild_config = guild_config
        self._configured_guilds = configured_guilds
        self.allow_private = allow_private
        self._schedule = schedule
        self._env = env if env is not None else os.environ
        self.sender = Sender(allow_private=allow_private, timeout=timeout)
        # Each guild's endpoints, read once (every cause publishes: most guilds have none); this process's
        # sync_config and register refresh it.
        self._endpoints: dict[int, list[repo.Endpoint]] = {}

    async def close(self) -> None:
        await self.sender.close()

    # ------------------------------------------------------------------ endpoints

    async def sync_config(self) -> int:
        """Write the file's endpoints (``[guilds.<id>.webhooks]``) to the database, disabling the ones it no
        longer lists (their log stays). Run at start. Returns how many endpoints the file lists."""
        now = self.clock.now()
        listed = 0
        async with self.db.begin() as conn:
            guilds = set(self._configured_guilds()) | await repo.configured_guilds(conn)
            for guild_id in sorted(guilds):
                listed += await self._sync_guild(conn, guild_id, now)
        self._endpoints.clear()
        return listed

    async def _sync_guild(self, conn: AsyncConnection, guild_id: int, now: datetime) -> int:
        endpoints = self.guild_config(guild_id).webhooks.endpoints
        for ep in endpoints:
            await repo.save_endpoint(conn, guild_id=guild_id, name=ep.name, url=ep.url, events=ep.events,
                                     source="config", secret_env=ep.secret_env, secret=None, enabled=ep.enabled,
                                     now=now)
        await repo.disable_config_endpoints_except(conn, guild_id, [ep.name for ep in endpoints], now)
        return len(endpoints)

    async def register(self, guild_id: int, name: str, url: str, events: list[str], *, actor_id: int) -> str:
        """Staff register an endpoint (no file edit needed); returns its new signing secret, shown once."""
        name = name.strip().lower()
        if not ENDPOINT_NAME.match(name):
            raise InvalidInput(N_("The name must be 1-40 lowercase letters, digits, '-' or '_'."))
        problem = url_problem(url, allow_private=self.allow_private)
        if problem:
            raise InvalidInput(N_("The URL {problem}."), problem=problem)
        unknown = [e for e in events if e != "*" and e not in OUTBOUND_TYPES]
        if unknown or not events:
            raise InvalidInput(N_("Unknown event type {value}; known: {value_b} (or * for all)."),
                               value=', '.join(unknown) or '(none given)', value_b=', '.join(OUTBOUND_TYPES))
        secret = "whsec_" + secrets_mod.token_hex(24)
        now = self.clock.now()
        async with self.db.begin() as conn:
            existing = {e.name: e for e in await repo.endpoints(conn, guild_id)}
            if name in existing and existing[name].source == "config":
                raise InvalidInput(N_("The endpoint {name} comes from the config file; change it there."),
                                   name=repr(name))
            endpoint_id = await repo.save_endpoint(conn, guild_id=guild_id, name=name, url=url.strip(),
                                                   events=list(dict.fromkeys(events)), source="staff",
                                                   secret_env=None, secret=secret, enabled=True, now=now)
            await audit.record(conn, now=now, action="webhooks.register", guild_id=guild_id, actor_id=actor_id,
                               target_id=endpoint_id, details={"name": name, "events": list(events)})
        self._endpoints.pop(guild_id, None)
        return secret

    async def _named(self, conn: AsyncConnection, guild_id: int, name: str) -> repo.Endpoint:
        await self._sync_guild(conn, guild_id, self.clock.now())  # the file's endpoints are there too
        name = name.strip().lower()
        found = next((ep for ep in await repo.endpoints(conn, guild_id) if ep.name == name), None)
        if found is None:
            raise NotFound(N_("There is no webhook endpoint {name} in this server (`/webhooks list`)."), name=repr(name))
        return found

    async def remove(self, guild_id: int, name: str, *, actor_id: int) -> repo.Endpoint:
        """Staff remove an endpoint they registered: it is disabled and its secret dropped; its log stays, and
        ``register`` with the same name makes it again (with a new secret)."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            ep = await self._named(conn, guild_id, name)
            if ep.source == "config":
                raise InvalidInput(N_("The endpoint {name} comes from the config file; remove it there."),
                                   name=repr(ep.name))
            if not ep.enabled:
                raise Conflict(N_("The endpoint {name} is removed already."), name=repr(ep.name))
            await repo.disable_endpoint(conn, ep.id, now)
            await audit.record(conn, now=now, action="webhooks.remove", guild_id=guild_id, actor_id=actor_id,
                               target_id=ep.id, details={"name": ep.name})
        self._endpoints.pop(guild_id, None)
        return ep

    async def test(self, guild_id: int, name: str, *, actor_id: int) -> int:
        """Staff send a signed ``webhook.test`` event to the one endpoint ``name``, through the same durable
        delivery (log, retries) as every event; returns the delivery's id."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            ep = await self._named(conn, guild_id, name)
            if not ep.enabled:
                raise InvalidInput(N_("The endpoint {name} is disabled."), name=repr(ep.name))
            test_id = await audit.record(conn, now=now, action="webhooks.test", guild_id=guild_id,
                                         actor_id=actor_id, target_id=ep.id, details={"name": ep.name})
            body = document(Outbound(guild_id, TEST_TYPE, f"test:{test_id}", now,
                                     {"endpoint": ep.name, "actor_id": str(actor_id)}))
            event_pk = await repo.add_event(conn, guild_id=guild_id, event_id=body["id"], type_=TEST_TYPE,
                                            member_id=None, body=body, now=now)
            assert event_pk is not None  # the audit id makes the key new
            delivery_id = await repo.add_delivery(conn, endpoint_id=ep.id, event_pk=event_pk, now=now)
            await self._try_at(conn, delivery_id, 1, now)
        return delivery_id

    async def endpoints(self, guild_id: int) -> list[repo.Endpoint]:
        async with self.db.connect() as conn:
            return await repo.endpoints(conn, guild_id)

    async def log(self, guild_id: int, endpoint_id: int, *, limit: int = 50) -> list[repo.Delivery]:
        async with self.db.connect() as conn:
            ep = await repo.endpoint(conn, endpoint_id)
            if ep is None or ep.guild_id != guild_id:
                raise NotFound(N_("There is no webhook endpoint #{endpoint_id} in this server."),
                               endpoint_id=endpoint_id)
            return await repo.log(conn, endpoint_id, limit=limit)

    # ------------------------------------------------------------------ events (in the cause's transaction)

    async def on_outbound(self, conn: AsyncConnection, event: Outbound) -> None:
        """Record ``event`` once and write a delivery (and its first try's job) per endpoint that wants it."""
        endpoints = self._endpoints.get(event.guild_id)
        if endpoints is None:
            # First event of the guild in this process: its file endpoints ([guilds.default] ones too, which
            # sync_config cannot place before it knows the guild) are written first.
            await self._sync_guild(conn, event.guild_id, self.clock.now())
            endpoints = self._endpoints[event.guild_id] = await repo.endpoints(conn, event.guild_id)
        wanting = [ep for ep in endpoints if ep.wants(event.type)]
        if not wanting:
            return
        body = document(event)
        now = self.clock.now()
        event_pk = await repo.add_event(conn, guild_id=event.guild_id, event_id=body["id"], type_=event.type,
                                        member_id=event.member_id, body=body, now=now)
        if event_pk is None:
            return  # this cause was recorded before
        for ep in wanting:
            delivery_id = await repo.add_delivery(conn, endpoint_id=ep.id, event_pk=event_pk, now=now)
            await self._try_at(conn, delivery_id, 1, now)

    async def _try_at(self, conn: AsyncConnection, delivery_id: int, attempt: int, at: datetime) -> None:
        await self._schedule(DELIVER_EVENT, {"delivery_id": delivery_id, "attempt": attempt}, at=at,
                             dedupe_key=f"{DELIVER_EVENT}:{delivery_id}:{attempt}", conn=conn)

    # ------------------------------------------------------------------ delivery (the job)

    def _secret(self, ep: repo.Endpoint) -> str | None:
        if ep.secret:
            return ep.secret
        return self._env.get(ep.secret_env or "") or None

    async def deliver(self, payload: dict[str, Any], _timer: Any = None) -> None:
        """One try of one delivery (the :data:`DELIVER_EVENT` job's handler)."""
        delivery_id = int(payload["delivery_id"])
        async with self.db.connect() as conn:
            found = await repo.delivery(conn, delivery_id)
            ep = await repo.endpoint(conn, found.endpoint_id) if found is not None else None
        if found is None or ep is None or found.status != "pending" or found.attempts >= int(payload["attempt"]):
            return  # delivered, failed for good, or this try already ran
        started = self.clock.now()
        secret = self._secret(ep)
        if not ep.enabled:
            result = Attempt(None, None, "the endpoint is disabled")
        elif secret is None:
            result = Attempt(None, None, f"no signing secret: the environment variable {ep.secret_env} is not set")
        else:
            body = encode(found.body)
            result = await self.sender.post(ep.url, body, secret=secret, at=started, headers={
                "Kudos-Event-Id": found.event_id, "Kudos-Event-Type": found.type,
                "Kudos-Delivery": str(found.id)})
        now = self.clock.now()
        async with self.db.begin() as conn:
            if result.ok:
                await repo.record_attempt(conn, delivery_id, status="delivered", http_status=result.status,
                                          latency_ms=result.latency_ms, error=None, at=now, next_attempt_at=None)
                await self._ended(conn, found)
                return
            attempts = found.attempts + 1
            retry_at = now + retry_delay(attempts)
            if retry_at - found.created_at > RETRY_FOR or not ep.enabled:
                await repo.record_attempt(conn, delivery_id, status="failed", http_status=result.status,
                                          latency_ms=result.latency_ms, error=result.error, at=now,
                                          next_attempt_at=None)
                await audit.record(conn, now=now, action="webhooks.failed", guild_id=found.guild_id,
                                   target_id=found.id, details={"endpoint": ep.name, "event": found.event_id,
                                                                "type": found.type, "attempts": attempts,
                                                                "error": (result.error or "")[:300]})
                await self._ended(conn, found)
                return
            await repo.record_attempt(conn, delivery_id, status="pending", http_status=result.status,
                                      latency_ms=result.latency_ms, error=result.error, at=now,
                                      next_attempt_at=retry_at)
            await self._try_at(conn, delivery_id, attempts + 1, retry_at)

    async def _ended(self, conn: AsyncConnection, found: repo.Delivery) -> None:
        """A ``member.erased`` whose deliveries are all over keeps the pseudonym only (the erased id goes)."""
        if found.type != "member.erased" or await repo.pending_count(conn, found.event_pk):
            return
        data = dict(found.body.get("data") or {})
        data["member_id"] = data.get("pseudonym")
        await repo.replace_body(conn, found.event_pk, {**found.body, "data": data}, int(data["member_id"]))

    async def resend(self, guild_id: int, delivery_id: int, *, actor_id: int) -> repo.Delivery:
        """Staff send a delivery again (delivered or failed): a new try now, with the same event id."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            found = await repo.delivery(conn, delivery_id)
            if found is None or found.guild_id != guild_id:
                raise NotFound(N_("There is no webhook delivery #{delivery_id} in this server."),
                               delivery_id=delivery_id)
            if found.status != "pending":
                await repo.requeue(conn, delivery_id, now=now)
            await self._try_at(conn, delivery_id, found.attempts + 1, now)
            await audit.record(conn, now=now, action="webhooks.resend", guild_id=guild_id, actor_id=actor_id,
                               target_id=delivery_id, details={"event": found.event_id})
            refreshed = await repo.delivery(conn, delivery_id)
        assert refreshed is not None
        return refreshed
