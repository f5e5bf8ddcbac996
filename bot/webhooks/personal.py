"""The webhooks' personal data (see :mod:`bot.platform.personal`): the events sent to a guild's endpoints name
members by id (the member an event is about, a voter, a reporter). Erasure puts the pseudonym in their place
in every stored event document of the guild, so a delivery still pending, or resent later, carries the
pseudonym; what was already delivered is the receiver's (``member.erased`` tells it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.personal import Custom, Erasing, PersonalData, Section
from bot.webhooks.tables import webhook_events

_E = webhook_events.c


def _swap(value: Any, user: str, pseudonym: str) -> Any:
    if isinstance(value, dict):
        return {k: _swap(v, user, pseudonym) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, user, pseudonym) for v in value]
    if isinstance(value, str) and value == user:
        return pseudonym
    return value


async def erase_events(conn: AsyncConnection, erasing: Erasing) -> int:
    """Swap the member's id for the pseudonym in the guild's event documents (ids are strings there)."""
    user, pseudonym = str(erasing.user_id), str(erasing.pseudonym)
    rows = await conn.execute(select(_E.id, _E.body, _E.member_id).where(
        _E.guild_id == erasing.guild_id,
        or_(_E.member_id == erasing.user_id, cast(_E.body, Text).like(f'%"{user}"%'))))
    changed = 0
    for row in rows.all():
        body = _swap(row.body, user, pseudonym)
        member = erasing.pseudonym if row.member_id == erasing.user_id else row.member_id
        if body != row.body or member != row.member_id:
            await conn.execute(update(webhook_events).where(_E.id == row.id).values(body=body, member_id=member))
            changed += 1
    return changed


PERSONAL_DATA = (
    PersonalData(
        webhook_events, ("member_id",),
        erase=Custom(erase_events, "the member's id becomes the pseudonym in the stored event documents"),
        export=(Section("webhook_events", columns=("type", "event_id", "created_at"), order_by=("id",)),),
    ),
)
