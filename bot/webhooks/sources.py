"""Outbound events made from events other features already publish: the ledger's :class:`ContributionEvent`
becomes ``contribution.credited`` / ``contribution.reversed`` (subscribed by ``bot.app``, in the ledger's
transaction)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger.models import ContributionEvent
from bot.platform.events import Outbound

Publish = Callable[[AsyncConnection, object], Awaitable[None]]


def contribution(publish: Publish) -> Callable[[AsyncConnection, ContributionEvent], Awaitable[None]]:
    async def on_contribution(conn: AsyncConnection, event: ContributionEvent) -> None:
        type_ = "contribution.reversed" if event.action == "reverse" else "contribution.credited"
        await publish(conn, Outbound(event.guild_id, type_, f"{event.contribution_id}:{event.action}", event.at, {
            "contribution_id": event.contribution_id, "member_id": str(event.user_id), "kind": event.kind,
            "points": event.points, "total_points": event.total_points, "season": event.season or None,
            "actor_id": str(event.actor_id) if event.actor_id else None,
            "reverses_id": event.reverses_id, "released": event.action == "release",
        }, member_id=event.user_id))

    return on_contribution
