"""The platform's own personal data (see :mod:`bot.platform.personal`): the members Kudos saw, and the audit
log. ``guilds`` and ``timers`` hold no member ids in columns (pending timers' payloads may: docs/privacy.md)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.audit import store as audit_repo
from bot.platform.personal import NOW, Custom, Delete, Erasing, PersonalData, Pseudonymise, Section
from bot.platform.tables import audit_log, member_locales, members


async def _erase_audit(conn: AsyncConnection, erasing: Erasing) -> int:
    return await audit_repo.erase_member(conn, erasing.guild_id, erasing.user_id, erasing.pseudonym)


MEMBERS = PersonalData(
    members, ("user_id",),
    # The row stays (it says the pseudonym was erased, and when); the name and join/leave dates go.
    erase=Pseudonymise(blank={"display_name": None, "joined_at": None, "left_at": None, "erased_at": NOW}),
    export=(Section("member", columns=("display_name", "first_seen_at", "joined_at", "left_at")),),
)

AUDIT_LOG = PersonalData(
    audit_log, ("actor_id", "target_id"),
    # The member's id can also be inside the JSON details, which no UPDATE of a column reaches.
    erase=Custom(_erase_audit, what="the member's id replaced as actor, as target and inside the details"),
    export=(Section("audit_log", columns=("action", "created_at"), flags=(("by_you", "actor_id"),),
                    order_by=("id",)),),
)

PERSONAL_DATA = (MEMBERS, AUDIT_LOG)

# The language of the member's last interaction (their DMs speak it): nothing aggregates it, it goes.
MEMBER_LOCALES = PersonalData(
    member_locales, ("user_id",), erase=Delete(),
    export=(Section("language", columns=("locale", "updated_at")),),
)
