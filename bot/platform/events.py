"""The in-transaction event bus: how one feature reacts to another without importing it.

A publisher calls ``await bus.publish(conn, event)`` inside the transaction of its cause; every subscriber
for the event's type runs in that same transaction, so what it writes (a grant, a job) commits or rolls
back with the cause. Subscribers are plain async functions; the composition root (:func:`bot.app.build_app`)
subscribes the features to each other, once. After-commit signals that carry no transaction (such as "grants
were written, deliver them") use :class:`Signal`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger(__name__)

E = TypeVar("E")
T = TypeVar("T")
Handler = Callable[[AsyncConnection, Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something a member did that rewards may react to, e.g. ``beta_joined``, ``first_feedback``,
    ``feedback_shipped``, ``answer_accepted``, ``post_featured`` (see ``bot.platform.config.REWARD_EVENTS``)."""

    guild_id: int
    user_id: int
    name: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


# The catalogue of outbound events (bot.webhooks sends them to the endpoints a guild registered; each type's
# JSON Schema is in bot/webhooks/schemas/ and docs/webhooks.md).
OUTBOUND_TYPES: tuple[str, ...] = (
    "feedback.created", "feedback.status_changed", "feedback.voted", "feedback.merged",
    "contribution.credited", "contribution.reversed", "grant.delivered", "grant.failed",
    "beta.joined", "beta.left", "beta.closed", "member.stage_changed", "member.erased",
    "webhook.test",  # staff's /webhooks test: sent to the one endpoint named, never published on the bus
)


@dataclass(frozen=True, slots=True)
class Outbound:
    """A fact other systems may hear of, published in its cause's transaction (``bot.webhooks`` writes one
    delivery job per endpoint that wants ``type``, in that same transaction).

    ``key`` names the cause uniquely within the guild and type (``change:<audit id>``, ``vote:<item>:<user>``):
    the event id is derived from it, so a cause replayed or retried makes no second event. ``data`` is the
    event's JSON-ready body (ids as strings); ``member_id`` the member it is about, if any (erasure swaps it).
    """

    guild_id: int
    type: str
    key: str
    at: datetime
    data: dict[str, Any]
    member_id: int | None = None

    def __post_init__(self) -> None:
        if self.type not in OUTBOUND_TYPES:
            raise ValueError(f"unknown outbound event type {self.type!r}")


class EventBus:
    """Subscribers by event type, run in order inside the publisher's transaction."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[AsyncConnection, E], Awaitable[None]]) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def unsubscribe(self, event_type: type[E], handler: Callable[[AsyncConnection, E], Awaitable[None]]) -> None:
        handlers = self._handlers.get(event_type, [])
        if handler in handlers:
            handlers.remove(handler)

    def handlers(self, event_type: type) -> tuple[Handler, ...]:
        return tuple(self._handlers.get(event_type, ()))

    async def publish(self, conn: AsyncConnection, event: object) -> None:
        """Run every subscriber of ``type(event)``; an exception rolls the caller's transaction back."""
        for handler in self._handlers.get(type(event), ()):
            await handler(conn, event)


class Signal(Generic[T]):
    """A synchronous notification with no transaction (e.g. "these grant ids were written"): receivers must
    be cheap and must not fail; one that raises is logged and the others still run."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Callable[[T], None]] = []

    def connect(self, receiver: Callable[[T], None]) -> None:
        self._receivers.append(receiver)

    def disconnect(self, receiver: Callable[[T], None]) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def send(self, value: T) -> None:
        for receiver in tuple(self._receivers):
            try:
                receiver(value)
            except Exception:  # noqa: BLE001 - a receiver must never break the sender's transaction
                log.exception("receiver %r of signal %s failed", receiver, self.name)
