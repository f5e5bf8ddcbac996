"""SQL of the outbound webhooks: endpoints, events (each once) and the per-endpoint delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.db.upsert import insert_for
from bot.webhooks.tables import webhook_deliveries, webhook_endpoints, webhook_events


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: int
    guild_id: int
    name: str
    url: str
    events: tuple[str, ...]
    source: str
    secret_env: str | None
    secret: str | None
    enabled: bool

    def wants(self, type_: str) -> bool:
        return self.enabled and ("*" in self.events or type_ in self.events)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    endpoint_id: int
    event_pk: int
    event_id: str
    type: str
    guild_id: int
    body: dict[str, Any]
    status: str
    attempts: int
    last_status: int | None
    last_latency_ms: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(id=row.id, guild_id=row.guild_id, name=row.name, url=row.url, events=tuple(row.events or ()),
                    source=row.source, secret_env=row.secret_env, secret=row.secret, enabled=bool(row.enabled))


_D, _E = webhook_deliveries.c, webhook_events.c
_DELIVERY_COLUMNS = (*webhook_deliveries.c, _E.event_id, _E.type, _E.guild_id, _E.body)


def _delivery(row: Any) -> Delivery:
    return Delivery(id=row.id, endpoint_id=row.endpoint_id, event_pk=row.event_pk, event_id=row.event_id,
                    type=row.type, guild_id=row.guild_id, body=row.body, status=row.status, attempts=row.attempts,
                    last_status=row.last_status, last_latency_ms=row.last_latency_ms, last_error=row.last_error,
                    last_attempt_at=row.last_attempt_at, next_attempt_at=row.next_attempt_at,
                    delivered_at=row.delivered_at, created_at=row.created_at)


# ------------------------------------------------------------------ endpoints


async def endpoints(conn: AsyncConnection, guild_id: int) -> list[Endpoint]:
    rows = await conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.guild_id == guild_id)
                              .order_by(webhook_endpoints.c.name))
    return [_endpoint(r) for r in rows]


async def endpoint(conn: AsyncConnection, endpoint_id: int) -> Endpoint | None:
    row = (await conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))).first()
    return _endpoint(row) if row is not None else None


async def save_endpoint(conn: AsyncConnection, *, guild_id: int, name: str, url: str, events: list[str],
                        source: str, secret_env: str | None, secret: str | None, enabled: bool,
                        now: datetime) -> int:
    """Insert or update the guild's endpoint ``name``; returns its id."""
    c = webhook_endpoints.c
    values = {"url": url, "events": list(events), "source": source, "secret_env": secret_env, "secret": secret,
              "enabled": enabled, "updated_at": now}
    stmt = insert_for(conn, webhook_endpoints).values(guild_id=guild_id, name=name, created_at=now, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["guild_id", "name"], set_=values)
    await conn.execute(stmt)
    return int((await conn.execute(select(c.id).where(c.guild_id == guild_id, c.name == name))).scalar_one())


async def disable_config_endpoints_except(conn: AsyncConnection, guild_id: int, names: list[str],
                                          now: datetime) -> int:
    """Endpoints the file no longer lists stay in the log, disabled."""
    c = webhook_endpoints.c
    stmt = update(webhook_endpoints).where(c.guild_id == guild_id, c.source == "config", c.enabled.is_(True))
    if names:
        stmt = stmt.where(c.name.not_in(names))
    return (await conn.execute(stmt.values(enabled=False, updated_at=now))).rowcount


async def disable_endpoint(conn: AsyncConnection, endpoint_id: int, now: datetime) -> None:
    """A staff endpoint removed: disabled and its secret dropped (its delivery log stays)."""
    await conn.execute(update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
                       .values(enabled=False, secret=None, updated_at=now))


async def configured_guilds(conn: AsyncConnection) -> set[int]:
    c = webhook_endpoints.c
    return set((await conn.execute(select(c.guild_id).where(c.source == "config").distinct())).scalars())


# ------------------------------------------------------------------ events and deliveries


async def add_event(conn: AsyncConnection, *, guild_id: int, event_id: str, type_: str, member_id: int | None,
                    body: dict[str, Any], now: datetime) -> int | None:
    """Record the event once: ``None`` when ``event_id`` is already recorded (the cause was replayed)."""
    stmt = insert_for(conn, webhook_events).values(
        guild_id=guild_id, event_id=event_id, type=type_, member_id=member_id, body=body, created_at=now,
    ).on_conflict_do_nothing(index_elements=["event_id"])
    return (await conn.execute(stmt.returning(_E.id))).scalar_one_or_none()


async def add_delivery(conn: AsyncConnection, *, endpoint_id: int, event_pk: int, now: datetime) -> int:
    result = await conn.execute(insert(webhook_deliveries).values(
        endpoint_id=endpoint_id, event_pk=event_pk, status="pending", attempts=0, next_attempt_at=now,
        created_at=now).returning(_D.id))
    return int(result.scalar_one())


async def delivery(conn: AsyncConnection, delivery_id: int) -> Delivery | None:
    row = (await conn.execute(select(*_DELIVERY_COLUMNS).select_from(webhook_deliveries.join(webhook_events))
                              .where(_D.id == delivery_id))).first()
    return _delivery(row) if row is not None else None


async def record_attempt(conn: AsyncConnection, delivery_id: int, *, status: str, http_status: int | None,
                         latency_ms: int | None, error: str | None, at: datetime,
                         next_attempt_at: datetime | None) -> None:
    values: dict[str, Any] = {"status": status, "attempts": _D.attempts + 1, "last_status": http_status,
                              "last_latency_ms": latency_ms, "last_error": error[:500] if error else None,
                              "last_attempt_at": at, "next_attempt_at": next_attempt_at}
    if status == "delivered":
        values["delivered_at"] = at
    await conn.execute(update(webhook_deliveries).where(_D.id == delivery_id).values(**values))


async def requeue(conn: AsyncConnection, delivery_id: int, *, now: datetime) -> None:
    await conn.execute(update(webhook_deliveries).where(_D.id == delivery_id)
                       .values(status="pending", next_attempt_at=now))


async def pending_count(conn: AsyncConnection, event_pk: int) -> int:
    return int((await conn.execute(select(func.count()).select_from(webhook_deliveries)
                                   .where(_D.event_pk == event_pk, _D.status == "pending"))).scalar_one())


async def log(conn: AsyncConnection, endpoint_id: int, *, limit: int = 50) -> list[Delivery]:
    """The endpoint's latest deliveries, newest first."""
    rows = await conn.execute(select(*_DELIVERY_COLUMNS).select_from(webhook_deliveries.join(webhook_events))
                              .where(_D.endpoint_id == endpoint_id).order_by(_D.id.desc()).limit(limit))
    return [_delivery(r) for r in rows]


async def counts(conn: AsyncConnection, endpoint_id: int) -> dict[str, int]:
    rows = await conn.execute(select(_D.status, func.count()).where(_D.endpoint_id == endpoint_id)
                              .group_by(_D.status))
    return {status: int(n) for status, n in rows}


async def events_of_member(conn: AsyncConnection, guild_id: int, member_id: int) -> list[tuple[int, dict[str, Any]]]:
    rows = await conn.execute(select(_E.id, _E.body).where(_E.guild_id == guild_id, _E.member_id == member_id))
    return [(int(r.id), r.body) for r in rows]


async def replace_body(conn: AsyncConnection, event_pk: int, body: dict[str, Any], member_id: int | None) -> None:
    await conn.execute(update(webhook_events).where(_E.id == event_pk).values(body=body, member_id=member_id))
