"""Delivery state of grants: claims, retries, failures, approvals and history."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform import audit
from bot.platform.clock import Clock
from bot.platform.db import Database, locks
from bot.platform.errors import Conflict, NotFound
from bot.platform.events import Outbound
from bot.platform.i18n import N_
from bot.platform.jobs import claims
from bot.rewards import store as repo
from bot.rewards._common import DROPPED
from bot.rewards.delivery_errors import FAILED_NOTICE

OnDelivered = Callable[[AsyncConnection, int, int, str, int, str], Awaitable[None]]


class _Delivery:
    """Part of :class:`bot.rewards.RewardsService` (shares its attributes)."""

    db: Database
    clock: Clock
    outbound: Callable[[AsyncConnection, Outbound], Awaitable[None]] | None

    async def _out(self, conn: AsyncConnection, grant: repo.Grant, type_: str, reason: str | None = None) -> None:
        """``grant.delivered`` / ``grant.failed`` (webhooks): what was granted, never its code or payload."""
        if self.outbound is None or grant.action == "notice":
            return
        data: dict[str, Any] = {"grant_id": grant.id, "member_id": str(grant.user_id), "rule": grant.rule_name,
                                "action": grant.action, "cause": grant.cause}
        if type_ == "grant.failed":
            data["reason"] = (reason or "")[:300]
        await self.outbound(conn, Outbound(grant.guild_id, type_, str(grant.id), self.clock.now(), data,
                                           member_id=grant.user_id))
    on_delivered: OnDelivered | None

    # ------------------------------------------------------------------ dispatch state transitions

    async def claim(self, *, limit: int = 50, ids: list[int] | None = None,
                    shards: tuple[list[int], int] | None = None) -> list[repo.Grant]:
        now = self.clock.now()
        stale = now - timedelta(seconds=self._claim_timeout())
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            return await repo.claim_batch(conn, now=now, stale_before=stale, limit=limit, ids=ids, shards=shards)

    def _claim_timeout(self) -> float:
        return self.delivery_for(0).claim_timeout_seconds

    async def code_for(self, grant: repo.Grant) -> repo.Code | None:
        """The code of a perk grant, claiming one now if the decision could not (empty pool, approval)."""
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            # The grant's row lock: two deliveries of one grant (a stale claim taken up again while the first is
            # still running) claim its code once; the second finds the first's code.
            await repo.lock_grant(conn, grant.id)
            existing = await repo.code_for_grant(conn, grant.id)
            if existing is not None:
                return existing
            return await self._claim(conn, grant.guild_id, str(grant.payload["pool"]), grant.user_id, grant.id,
                                     self.clock.now())

    async def record_message(self, grant_id: int, message_id: int) -> None:
        async with self.db.begin() as conn:
            await repo.set_values(conn, grant_id, message_id=message_id)

    async def delivered(self, grant: repo.Grant, *, note: str | None = None, message_id: int | None = None) -> bool:
        now = self.clock.now()
        values: dict[str, Any] = {"status": "delivered", "delivered_at": now, "last_error": note,
                                  "claimed_at": None}
        if message_id is not None:
            values["message_id"] = message_id
        duration = grant.payload.get("duration_days") if grant.action == "role_add" else None
        if duration:
            values["expires_at"] = now + timedelta(days=int(duration))
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            if not await repo.finish(conn, grant.id, **values):
                return False
            if duration and self.schedule is not None:
                await self.schedule("rewards.expire", {"grant_id": grant.id}, at=values["expires_at"],
                                    dedupe_key=f"rewards:expire:{grant.id}", conn=conn)
            if grant.action == "role_add" and grant.payload.get("replaces"):
                replaced = set(grant.payload["replaces"])
                for other in await repo.earned_roles(conn, grant.guild_id, now=now, user_id=grant.user_id):
                    if other.payload.get("role_id") in replaced:
                        await repo.transition(conn, other.id, "delivered", status="revoked",
                                              last_error=f"replaced by {grant.rule_name}")
            await self._out(conn, grant, "grant.delivered")
            if self.on_delivered is not None:
                await self.on_delivered(conn, grant.guild_id, grant.user_id, grant.action, grant.id, grant.rule_name)
            if grant.action != "notice":
                await audit.record(conn, now=now, action="reward.delivered", guild_id=grant.guild_id,
                                   target_id=grant.user_id, details={"grant": grant.id, "rule": grant.rule_name,
                                                                     "action": grant.action, "note": note})
        return True

    async def delivered_many(self, done: list[tuple[repo.Grant, str | None]]) -> None:
        """Finish many plain grants (no DM, no replaced roles) in one transaction; see :meth:`delivered`."""
        if not done:
            return
        now = self.clock.now()
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            plain = [g for g, note in done if note is None and not g.payload.get("duration_days")]
            finished: set[int] = set()
            ids = [g.id for g in plain]
            for start in range(0, len(ids), 500):
                finished.update(r[0] for r in await conn.execute(
                    repo.update(repo.grants)
                    .where(repo.grants.c.id.in_(ids[start:start + 500]), repo.grants.c.status == "delivering")
                    .values(status="delivered", delivered_at=now, last_error=None, claimed_at=None)
                    .returning(repo.grants.c.id)
                ))
            plain = [g for g in plain if g.id in finished]  # audited once: by whoever moved it out of delivering
            if plain and self.on_delivered is not None:
                for g in plain:
                    await self.on_delivered(conn, g.guild_id, g.user_id, g.action, g.id, g.rule_name)
            if plain:
                await conn.execute(repo.insert(repo.audit_log), [
                    {"guild_id": g.guild_id, "actor_id": None, "action": "reward.delivered", "target_id": g.user_id,
                     "details": {"grant": g.id, "rule": g.rule_name, "action": g.action, "note": None},
                     "created_at": now} for g in plain
                ])
            for g in plain:
                await self._out(conn, g, "grant.delivered")
        for grant, note in done:
            if note is not None or grant.payload.get("duration_days"):
                await self.delivered(grant, note=note)

    async def outranked(self, grant: repo.Grant) -> str | None:
        """The rule of a higher rung of the grant's replace group that the member holds or is getting."""
        async with self.db.connect() as conn:
            live = await repo.live_role_grants(conn, grant.guild_id, now=self.clock.now(), user_id=grant.user_id)
        rank = int(grant.payload.get("rank", 0))
        for other in live:
            if (other.id != grant.id and other.payload.get("group") == grant.payload.get("group")
                    and int(other.payload.get("rank", 0)) > rank):
                return other.rule_name
        return None

    async def replaced(self, grant: repo.Grant, by: str) -> None:
        """A rung whose delivery was overtaken by a higher one: never applied."""
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            if await repo.finish(conn, grant.id, status="revoked", claimed_at=None, last_error=f"replaced by {by}"):
                await audit.record(conn, now=self.clock.now(), action="reward.revoked", guild_id=grant.guild_id,
                                   target_id=grant.user_id, details={"grant": grant.id, "rule": grant.rule_name,
                                                                     "reason": f"replaced by {by}"})

    async def retry_later(self, grant: repo.Grant, error: str, *, delay: float | None = None) -> str:
        """A transient failure: back to pending with back-off, or failed after ``max_attempts``."""
        delivery = self.delivery_for(grant.guild_id)
        due = claims.retry_at(self.clock.now(), grant.attempts, max_attempts=delivery.max_attempts,
                              base_seconds=delivery.retry_base_seconds, delay=delay)
        if due is None:
            await self.failed(grant, f"{error} (gave up after {grant.attempts} attempts)")
            return "failed"
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            await repo.finish(conn, grant.id, status="pending", claimed_at=None, last_error=error[:500],
                              next_attempt_at=due)
        return "pending"

    async def dropped(self, grant: repo.Grant, reason: str) -> bool:
        """The grant's target is gone at Discord (unknown member, user, channel, message or role): nothing to
        deliver, and retrying cannot help. The grant is revoked (``dropped: <reason>``, so a role dropped this
        way can be earned again, see :func:`bot.rewards._common.next_earning`) with a ``reward.dropped`` audit
        line; staff are not paged (nothing for them to fix)."""
        now = self.clock.now()
        note = f"{DROPPED}{reason}"[:500]
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            if not await repo.finish(conn, grant.id, status="revoked", claimed_at=None, last_error=note):
                return False
            await self._out(conn, grant, "grant.failed", note)
            await audit.record(conn, now=now, action="reward.dropped", guild_id=grant.guild_id,
                               target_id=grant.user_id, details={"grant": grant.id, "rule": grant.rule_name,
                                                                 "action": grant.action, "reason": reason[:300]})
        return True

    async def failed(self, grant: repo.Grant, reason: str) -> None:
        now = self.clock.now()
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            if not await repo.finish(conn, grant.id, status="failed", claimed_at=None, last_error=reason[:500]):
                return
            await self._out(conn, grant, "grant.failed", reason)
            if grant.action != "notice":
                await audit.record(conn, now=now, action="reward.failed", guild_id=grant.guild_id,
                                   target_id=grant.user_id, details={"grant": grant.id, "rule": grant.rule_name,
                                                                     "action": grant.action, "reason": reason[:300]})
                await self.notice(conn, grant.guild_id, FAILED_NOTICE,
                                  values={"rule": grant.rule_name, "action": grant.action,
                                          "member": f"<@{grant.user_id}>", "reason": reason[:300]},
                                  key=f"failed:{grant.id}")

    async def next_due_at(self) -> datetime | None:
        async with self.db.connect() as conn:
            return await repo.next_due_at(conn)

    async def retry(self, guild_id: int, grant_id: int, *, actor_id: int | None) -> repo.Grant:
        """Staff: try a failed grant again."""
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            grant = await repo.grant(conn, grant_id)
            if grant is None or grant.guild_id != guild_id:
                raise NotFound(N_("There is no grant #{grant_id} in this server."), grant_id=grant_id)
            if grant.status != "failed":
                raise Conflict(N_("Grant #{grant_id} is {grant_status}; only failed grants can be retried."),
                               grant_id=grant_id, grant_status=grant.status)
            # Conditional: two staff retrying at once (on PostgreSQL nothing else serializes them) retry once.
            if not await repo.transition(conn, grant_id, "failed", status="pending", attempts=0,
                                         next_attempt_at=None, last_error=None):
                raise Conflict(N_("Grant #{grant_id} is not failed any more: it was retried just now."),
                               grant_id=grant_id)
            await audit.record(conn, now=self.clock.now(), action="reward.retry", guild_id=guild_id,
                               actor_id=actor_id, target_id=grant.user_id, details={"grant": grant_id})
        self._notify([grant_id])
        return grant

    async def redeliver(self, conn: AsyncConnection, grant: repo.Grant, *, reason: str) -> None:
        """Put a delivered role grant back in the queue (rejoin, reconciliation re-add); nothing if it is not
        delivered any more (revoked or re-queued by a concurrent writer since the caller read it)."""
        if not await repo.transition(conn, grant.id, "delivered", status="pending", attempts=0, next_attempt_at=None,
                                     last_error=reason[:500]):
            return
        await audit.record(conn, now=self.clock.now(), action="reward.redeliver", guild_id=grant.guild_id,
                           target_id=grant.user_id, details={"grant": grant.id, "reason": reason})

    async def accept_drift(self, conn: AsyncConnection, grant: repo.Grant, *, reason: str) -> None:
        if not await repo.transition(conn, grant.id, "delivered", status="revoked", last_error=reason[:500]):
            return
        await audit.record(conn, now=self.clock.now(), action="reward.revoked", guild_id=grant.guild_id,
                           target_id=grant.user_id, details={"grant": grant.id, "reason": reason})

    async def approve(self, guild_id: int, grant_id: int, *, actor_id: int, approve: bool) -> repo.Grant:
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            grant = await repo.grant(conn, grant_id)
            if grant is None or grant.guild_id != guild_id:
                raise NotFound(N_("There is no grant #{grant_id} in this server."), grant_id=grant_id)
            if grant.status != "pending" or grant.hold is None:
                raise Conflict(N_("Grant #{grant_id} is not waiting for approval (it is {grant_status})."),
                               grant_id=grant_id, grant_status=grant.status)
            values: dict[str, Any] = {"hold": None} if approve else {
                "status": "revoked", "hold": None, "last_error": "rejected by staff"}
            # Conditional: two staff clicking at once (on PostgreSQL nothing else serializes them) decide once.
            if not await repo.decide_hold(conn, grant_id, **values):
                raise Conflict(N_("Grant #{grant_id} is not waiting for approval any more: another staff "
                                  "member decided it just now."),
                               grant_id=grant_id)
            await audit.record(conn, now=self.clock.now(), action="reward.approved" if approve else "reward.revoked",
                               guild_id=guild_id, actor_id=actor_id, target_id=grant.user_id,
                               details={"grant": grant_id, "rule": grant.rule_name,
                                        **({} if approve else {"reason": "rejected by staff"})})
        if approve:
            self._notify([grant_id])
        return grant

    async def history(self, guild_id: int, user_id: int, *, limit: int = 20) -> list[repo.Grant]:
        async with self.db.connect() as conn:
            return await repo.history(conn, guild_id, user_id, limit=limit)

    async def earned_roles(self, guild_id: int, *, user_id: int | None = None) -> list[repo.Grant]:
        async with self.db.connect() as conn:
            return await repo.earned_roles(conn, guild_id, now=self.clock.now(), user_id=user_id)

    # ------------------------------------------------------------------ the dashboard's lists

    async def held_grants(self, guild_id: int) -> list[repo.Grant]:
        """Grants waiting for staff approval (over a pool's budget), oldest first: the staff log's Approve /
        Reject buttons and the dashboard's both decide them through :meth:`approve`."""
        async with self.db.connect() as conn:
            return await repo.held_grants(conn, guild_id)

    async def failed_grants(self, guild_id: int, *, limit: int = 50) -> list[repo.Grant]:
        async with self.db.connect() as conn:
            return await repo.failed_grants(conn, guild_id, limit=limit)

    async def grant_counts(self, guild_id: int, *, days: int = 7) -> dict[str, int]:
        """Grants created in the last ``days`` days, by status."""
        async with self.db.connect() as conn:
            return await repo.grant_counts(conn, guild_id, self.clock.now() - timedelta(days=days))
