"""Members' data rights, without Discord.

- **Export**: everything Kudos stores about a member in one server, as JSON-ready data.
- **Erasure**: the member's id is replaced by a pseudonym (a negative number) in every row, and free text
  by or about them is blanked (see :mod:`bot.privacy.store`). Rows are kept so totals, leaderboards and stats
  stay consistent; delivered perk codes stay recorded as delivered, now to the erased member; dashboard
  sessions are deleted. The audit entry carries the pseudonym and row counts only.

Both run from the features' declarations of their personal data (:mod:`bot.platform.personal`), handed in by
whoever builds the service (the bot passes ``bot.schema.PERSONAL_DATA``).
- **Tracking opt-out**: while off, the ledger refuses to credit the member (:func:`is_tracking_disabled`).
- **Retention**: members who left more than ``privacy.retention_days_after_leave`` days ago are erased by a
  daily durable timer (:data:`RETENTION_EVENT`).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform import audit
from bot.platform import guilds as guild_repo
from bot.platform.clock import Clock
from bot.platform.db import Database, locks
from bot.platform.errors import NotAllowed, NotFound
from bot.platform.events import Outbound, Signal
from bot.platform.i18n import N_
from bot.platform.personal import PersonalData, check_registry
from bot.privacy import store as repo

RETENTION_EVENT = "privacy.retention"
RETENTION_TIME = time(3, 30)
EXPORT_FORMAT = 1
EXPORT_HEADER = ("format", "generated_at", "server_id", "member_id", "about")


async def is_tracking_disabled(conn: AsyncConnection, guild_id: int, user_id: int) -> bool:
    """Whether the member turned contribution tracking off with ``/mydata tracking off``."""
    return await repo.tracking_off_since(conn, guild_id, user_id) is not None


async def opted_out(conn: AsyncConnection, guild_ids: Iterable[int]) -> set[tuple[int, int]]:
    """Every (guild, member) of ``guild_ids`` who turned tracking off (one statement, for batch writers)."""
    return await repo.opted_out(conn, guild_ids)


def tracking_refusal(user_id: int) -> NotAllowed:
    """What the ledger says when someone tries to credit a member who opted out."""
    return NotAllowed(
        N_("<@{user_id}> has turned contribution tracking off, so Kudos doesn't record credit for them. "
           "Thank them in words instead!"),
        user_id=user_id
    )


def next_retention_run(after: datetime) -> datetime:
    """The next daily retention sweep (03:30 UTC) strictly after ``after``."""
    candidate = datetime.combine(after.date(), RETENTION_TIME, tzinfo=after.tzinfo)
    return candidate if candidate > after else candidate + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Erasure:
    pseudonym: int
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class PrivacyService:
    def __init__(self, db: Database, clock: Clock, retention_days: Callable[[int], int], *,
                 personal_data: Iterable[PersonalData],
                 settle_member: Callable[[int, int], AbstractAsyncContextManager[None]] | None = None,
                 outbound: Callable[[AsyncConnection, Outbound], Awaitable[None]] | None = None) -> None:
        self.db = db
        self.outbound = outbound  # member.erased (webhooks), in the erasure's transaction
        # Sent (with the guild id) when a member's public name is turned on or off, or a member is erased: the
        # public pages re-read their version (bot.public listens).
        self.public_changed: Signal[int] = Signal("public names changed")
        # Around an erasure or an opt-out: a writer that buffers member rows (the activity counters) writes
        # them first and keeps none that came in meanwhile (``ActivityCounters.member_settled``).
        self._settle_member = settle_member
        self.clock = clock
        self.retention_days = retention_days
        self.personal_data = check_registry(personal_data, reserved=EXPORT_HEADER)

    def _settled(self, guild_id: int, user_id: int, *, enabled: bool = False) -> AbstractAsyncContextManager[None]:
        if self._settle_member is None or enabled:
            return contextlib.nullcontext()
        return self._settle_member(guild_id, user_id)

    # ------------------------------------------------------------------ tracking

    async def tracking_disabled(self, guild_id: int, user_id: int) -> bool:
        async with self.db.connect() as conn:
            return await is_tracking_disabled(conn, guild_id, user_id)

    async def set_tracking(self, guild_id: int, user_id: int, *, enabled: bool) -> bool:
        """Turn tracking on or off; returns whether anything changed."""
        async with self._settled(guild_id, user_id, enabled=enabled), self.db.begin() as conn:
            if enabled:
                changed = await repo.set_tracking_on(conn, guild_id, user_id)
            else:
                changed = await repo.set_tracking_off(conn, guild_id, user_id, now=self.clock.now())
            if changed:
                await audit.record(conn, now=self.clock.now(), action=f"privacy.tracking_{'on' if enabled else 'off'}",
                                   guild_id=guild_id, actor_id=user_id, target_id=user_id, details={})
        return changed

    # ------------------------------------------------------------------ public name (the public pages)

    async def set_public_name(self, guild_id: int, user_id: int, *, on: bool) -> bool:
        """Let the member's name appear on the server's public pages (or not); returns whether it changed."""
        async with self.db.begin() as conn:
            changed = await repo.set_public_name(conn, guild_id, user_id, on=on, now=self.clock.now())
            if changed:
                self.public_changed.send(guild_id)
                await audit.record(conn, now=self.clock.now(), action=f"privacy.public_name_{'on' if on else 'off'}",
                                   guild_id=guild_id, actor_id=user_id, target_id=user_id, details={})
        return changed

    async def public_names(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, str]:
        async with self.db.connect() as conn:
            return await repo.public_names(conn, guild_id, user_ids)

    async def public_names_version(self, guild_id: int) -> tuple[object, ...]:
        async with self.db.connect() as conn:
            return await repo.public_names_version(conn, guild_id)

    # ------------------------------------------------------------------ export

    async def export(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """Everything Kudos holds about the member in this server (JSON-ready: datetimes as ISO text)."""
        async with self.db.connect() as conn:
            data = await repo.export(conn, self.personal_data, guild_id, user_id)
        return {
            "format": EXPORT_FORMAT,
            "generated_at": self.clock.now().isoformat(),
            "server_id": str(guild_id),
            "member_id": str(user_id),
            "about": ("Everything the Kudos bot stores about you in this server. Perk codes are masked "
                      "(/perks mine shows yours in full). Messages you wrote on Discord are stored by Discord, "
                      "not by Kudos."),
            **_plain(data),
        }

    # ------------------------------------------------------------------ erasure

    async def forget(self, guild_id: int, user_id: int, *, via: str = "request") -> Erasure:
        """Erase the member's personal data in this server. Raises :class:`NotFound` when there is none
        (e.g. the second time), so the member gets a clear answer."""
        if user_id <= 0:
            raise NotAllowed(N_("That member's data was already erased."))
        now = self.clock.now()
        async with self._settled(guild_id, user_id), self.db.begin() as conn:
            await locks.lock_for_write(conn, guild_id, [user_id])
            pseudonym = -(secrets.randbelow(2**53) + 1)
            while await repo.pseudonym_taken(conn, guild_id, pseudonym):  # pragma: no cover - 1 in 2**53
                pseudonym = -(secrets.randbelow(2**53) + 1)
            rows = await repo.erase(conn, self.personal_data, guild_id, user_id, pseudonym, now=now)
            if not rows:
                raise NotFound(
                    N_("Kudos holds no personal data about you in this server, so there is nothing to erase. "
                    "(If you asked before, your data is already gone.)")
                )
            self.public_changed.send(guild_id)
            await audit.record(conn, now=now, action="privacy.erase", guild_id=guild_id, target_id=pseudonym,
                               details={"via": via, "rows": rows})
            if self.outbound is not None:
                # The one event that names the erased member (so receivers can erase their copies too); the
                # stored copy of it drops the id once its deliveries are over (bot.webhooks).
                await self.outbound(conn, Outbound(guild_id, "member.erased", str(pseudonym), now, {
                    "member_id": str(user_id), "pseudonym": str(pseudonym), "via": via}, member_id=pseudonym))
        return Erasure(pseudonym, rows)

    async def holds_data(self, guild_id: int, user_id: int) -> bool:
        """Whether there is anything to erase (what erasure keeps, the tracking opt-out, doesn't count). One
        statement, not an export: ``/mydata forget`` asks this before it answers."""
        async with self.db.connect() as conn:
            return await repo.holds_any(conn, self.personal_data, guild_id, user_id)

    # ------------------------------------------------------------------ membership and retention

    async def member_joined(self, guild_id: int, user_id: int, *, display_name: str | None,
                            joined_at: datetime | None) -> None:
        async with self.db.begin() as conn:
            await guild_repo.seen_member(conn, guild_id, user_id, display_name=display_name, joined_at=joined_at,
                                     now=self.clock.now())

    async def member_left(self, guild_id: int, user_id: int) -> None:
        async with self.db.begin() as conn:
            await guild_repo.left_member(conn, guild_id, user_id, now=self.clock.now())

    async def purge_departed(self, guild_id: int) -> int:
        """Erase members who left more than the configured number of days ago; returns how many."""
        days = self.retention_days(guild_id)
        if days <= 0:
            return 0
        cutoff = self.clock.now() - timedelta(days=days)
        purged = 0
        while True:
            async with self.db.connect() as conn:
                due = await repo.departed_before(conn, guild_id, cutoff)
            if not due:
                return purged
            for user_id in due:
                # The members row is always there (it is how we know they left), so this never finds nothing.
                await self.forget(guild_id, user_id, via="retention")
                purged += 1

    async def purge_all(self, guild_ids: list[int]) -> dict[int, int]:
        out = {}
        for guild_id in guild_ids:
            n = await self.purge_departed(guild_id)
            if n:
                out[guild_id] = n
        return out

