"""Earned roles against the roles members actually hold: reconciliation and giving roles back after a rejoin.

The cog hands in what Discord says a member holds as :class:`HeldRoles` (through a lookup, so a large guild
is not copied); the decisions and their writes are here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform import deferred
from bot.platform import guilds as guild_repo
from bot.platform.db import locks
from bot.platform.i18n import N_, translator
from bot.rewards import store as repo

if TYPE_CHECKING:
    from bot.rewards.service import RewardsService

DRIFT_LINES = 20  # drift lines listed in one staff-log notice


@dataclass(frozen=True, slots=True)
class HeldRoles:
    """A member as Discord has them now."""

    user_id: int
    pending: bool  # membership screening not passed yet
    joined_at: datetime | None
    role_ids: frozenset[int]


MemberLookup = Callable[[int], HeldRoles | None]  # None: not in the guild


def _missing(grant: repo.Grant, member: HeldRoles | None) -> bool:
    """A screened member present in the guild lacks the grant's role."""
    return member is not None and not member.pending and int(grant.payload["role_id"]) not in member.role_ids


class _Roles:
    """Part of :class:`bot.rewards.RewardsService` (shares its attributes)."""

    async def _earned_roles(self: RewardsService, conn: AsyncConnection, guild_id: int,
                            user_id: int | None = None) -> list[repo.Grant]:
        await locks.lock_for_write(conn, 0, [])
        return await repo.earned_roles(conn, guild_id, now=self.clock.now(), user_id=user_id)

    async def reconcile(self: RewardsService, guild_id: int, member: MemberLookup) -> list[str]:
        """Compare earned roles with members' roles; report drift to the staff log, and re-add or accept it
        per ``reward_delivery.reconcile``. Returns the drift lines."""
        mode = self.delivery_for(guild_id).reconcile
        drift: list[str] = []
        lines: list[deferred.Message] = []
        async with self.db.begin() as conn:
            for grant in await self._earned_roles(conn, guild_id):
                if not _missing(grant, member(grant.user_id)):
                    continue
                lines.append(deferred.message(N_("{member} lacks {role} ({rule})"), member=f"<@{grant.user_id}>",
                                              role=f"<@&{int(grant.payload['role_id'])}>", rule=grant.rule_name))
                drift.append(deferred.render(translator(), lines[-1]))
                if mode == "readd":
                    await self.redeliver(conn, grant, reason="reconciliation: role was missing")
                elif mode == "accept":
                    await self.accept_drift(conn, grant, reason="reconciliation: role removal accepted")
            if drift:
                head = {"readd": deferred.ngettext("Reward role drift ({count}, re-adding):",
                                                   "Reward role drift ({count}, re-adding):", len(drift)),
                        "accept": deferred.ngettext("Reward role drift ({count}, accepted as they are):",
                                                    "Reward role drift ({count}, accepted as they are):",
                                                    len(drift)),
                        "report": deferred.ngettext("Reward role drift ({count}, not changed):",
                                                    "Reward role drift ({count}, not changed):", len(drift))}[mode]
                more = len(drift) - DRIFT_LINES
                parts = [head, *lines[:DRIFT_LINES]]
                if more > 0:
                    parts.append(deferred.ngettext("… and {count} more", "… and {count} more", more))
                await self.notice(conn, guild_id, deferred.joined("\n", parts),
                                  key=f"drift:{self.clock.now().isoformat()}")
        return drift

    async def restore_roles(self: RewardsService, guild_id: int, member: HeldRoles) -> bool:
        """A member passed screening after (re)joining: their earned roles they lack go back in the queue.
        Returns whether they have earned roles at all (the dispatcher then has work)."""
        if not self.delivery_for(guild_id).restore_on_rejoin:
            return False
        async with self.db.begin() as conn:
            earned = await self._earned_roles(conn, guild_id, member.user_id)
            for grant in earned:
                if int(grant.payload["role_id"]) not in member.role_ids:
                    await self.redeliver(conn, grant, reason="member rejoined")
        return bool(earned)

    async def restore_rejoined(self: RewardsService, guild_id: int, member: MemberLookup) -> list[HeldRoles]:
        """Catch-up for rejoins whose gateway events were lost (the bot was away): an earned role a present,
        screened member lacks is given back when they joined after it was delivered, or after the join Kudos
        last recorded (leaving is what took it). A role a moderator removed is drift, left to reconciliation.
        Idempotent: a grant put back in the queue is no longer "delivered", so a second pass skips it.
        Returns the members whose roles go back (each once)."""
        if not self.delivery_for(guild_id).restore_on_rejoin:
            return []
        restored: dict[int, HeldRoles] = {}
        async with self.db.begin() as conn:
            missing = [(grant, held) for grant in await self._earned_roles(conn, guild_id)
                       if _missing(grant, held := member(grant.user_id))
                       and held is not None and held.joined_at is not None]
            known = await guild_repo.member_rows(conn, guild_id, sorted({held.user_id for _, held in missing}))
            for grant, held in missing:
                joined_before, left_at = known.get(held.user_id, (None, None))
                joined = held.joined_at
                assert joined is not None
                if (left_at is not None or (joined_before is not None and joined > joined_before)
                        or (grant.delivered_at is not None and joined > grant.delivered_at)):
                    await self.redeliver(conn, grant, reason="member rejoined (while I was away)")
                    restored[held.user_id] = held
        return list(restored.values())
