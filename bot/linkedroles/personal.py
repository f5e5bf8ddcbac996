"""Linked roles' personal data (see :mod:`bot.platform.personal`): the member's link. Erasure moves the row to
the pseudonym and queues the job that deletes the member's role connection on Discord and revokes the tokens,
then deletes the row (the tokens are what that job needs; nothing else of the member stays)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.linkedroles import store as repo
from bot.linkedroles.jobs import CLEAR_EVENT, clear_key
from bot.linkedroles.tables import linked_role_links
from bot.platform.jobs import store as timers
from bot.platform.personal import Custom, Erasing, PersonalData, Section


async def _erase(conn: AsyncConnection, erasing: Erasing) -> int:
    changed = await repo.pseudonymise(conn, erasing.guild_id, erasing.user_id, erasing.pseudonym)
    if changed:
        await timers.create(conn, event=CLEAR_EVENT, payload={"user_id": erasing.pseudonym}, due_at=erasing.now,
                            now=erasing.now, dedupe_key=clear_key(erasing.pseudonym, erasing.now))
    return changed


PERSONAL_DATA = (
    # The tokens are secrets of the link, never exported.
    PersonalData(
        linked_role_links, ("user_id",),
        erase=Custom(_erase, "the role connection on Discord is deleted and the tokens revoked, then the row"),
        export=(Section("linked_roles", columns=("linked_at", "published", "published_at")),),
    ),
)
