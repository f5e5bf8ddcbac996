"""Perk pools: creation, code import, stock, claims, void and reissue."""

from __future__ import annotations

from typing import Any

from bot.platform import audit, deferred
from bot.platform.clock import Clock
from bot.platform.config.base import MAX_COUNT
from bot.platform.db import Database, locks
from bot.platform.errors import Conflict, InvalidInput, NotFound
from bot.platform.i18n import N_
from bot.platform.text import check_range, check_text
from bot.rewards import marks_store
from bot.rewards import store as repo
from bot.rewards._common import DEFAULT_PERK_DM
from bot.rewards.codes import CodeImport, mask_code, parse_codes
from bot.rewards.marks import MemberMarks


def _already_in(code: str, pool_name: str) -> deferred.Said:
    return deferred.said(N_("{code} is already in {pool}"), code=mask_code(code), pool=pool_name)


class _ImportRolledBack(Exception):
    """Rolls back an import that turned out to hold duplicates only once it wrote (see ``add_codes``)."""


class _Pools:
    """Part of :class:`bot.rewards.RewardsService` (shares its attributes)."""

    db: Database
    clock: Clock
    marks: MemberMarks

    # ------------------------------------------------------------------ perk pools

    async def create_pool(self, guild_id: int, name: str, *, description: str = "", per_member_limit: int = 0,
                          low_stock_warning: int = 5, budget: int = 0, budget_period_days: int = 30,
                          actor_id: int | None) -> repo.Pool:
        from bot.platform.config.base import _POOL_NAME

        if not _POOL_NAME.match(name) or len(name) > 64:
            raise InvalidInput(N_("A pool name uses only lowercase letters, digits and '-' (up to 64), e.g. `beta-storage`."))
        if min(per_member_limit, low_stock_warning, budget) < 0 or budget_period_days < 1:
            raise InvalidInput(N_("Limits can't be negative, and the budget period is at least 1 day."))
        for option, value in (("per_member_limit", per_member_limit), ("low_stock_warning", low_stock_warning),
                              ("budget", budget)):  # the slash options' ranges, checked again (web, scripts)
            check_range(value, f"option `{option}`", low=0, high=MAX_COUNT)
        check_range(budget_period_days, "option `budget_period_days`", low=1, high=3650)
        description = check_text(description, "description") or ""
        async with self.db.begin() as conn:
            # Create, never overwrite: the insert itself refuses an existing name, so of two concurrent creates
            # (PostgreSQL: nothing else serializes them) one creates the pool and the other gets the Conflict.
            pool = await repo.create_pool(conn, guild_id=guild_id, name=name, now=self.clock.now(),
                                          description=description[:300], per_member_limit=per_member_limit,
                                          low_stock_warning=low_stock_warning, budget=budget or None,
                                          budget_period_days=budget_period_days, origin="command")
            if pool is None:
                raise Conflict(N_("A perk pool called {name} exists already."), name=repr(name))
            await audit.record(conn, now=self.clock.now(), action="perk.pool_created", guild_id=guild_id,
                               actor_id=actor_id, details={"pool": name})
        return pool

    async def add_codes(self, guild_id: int, pool_name: str, data: bytes, filename: str, *, actor_id: int | None
                        ) -> tuple[CodeImport, int]:
        """Import codes all-or-nothing; returns the parse report and how many were added (0 on any problem)."""
        report = parse_codes(data, filename)
        try:
            async with self.db.begin() as conn:
                pool = await repo.pool(conn, guild_id, pool_name)
                if pool is None:
                    raise NotFound(N_("There is no perk pool called {pool_name}; create it with `/perks pool "
                                      "create`."),
                                   pool_name=repr(pool_name))
                known = await repo.existing_codes(conn, pool.id, [c for c, _ in report.codes])
                for code, _ in report.codes:
                    if code in known:
                        report.duplicates.append(_already_in(code, pool_name))
                if not report.ok:
                    return report, 0
                inserted = await repo.add_codes(conn, pool.id, report.codes, now=self.clock.now())
                if len(inserted) < len(report.codes):
                    # A concurrent import (another process, PostgreSQL) committed some of these codes after the
                    # check above: they are duplicates too, and nothing of this file is imported.
                    for code, _ in report.codes:
                        if code not in inserted:
                            report.duplicates.append(_already_in(code, pool_name))
                    raise _ImportRolledBack
                added = len(inserted)
                await audit.record(conn, now=self.clock.now(), action="perk.codes_added", guild_id=guild_id,
                                   actor_id=actor_id, details={"pool": pool_name, "count": added})
        except _ImportRolledBack:
            return report, 0
        await self._requeue_out_of_stock(guild_id)
        return report, added

    async def _requeue_out_of_stock(self, guild_id: int) -> None:
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            ids = await repo.requeue_waiting_perks(conn, guild_id)
        self._notify(ids)

    async def member_codes(self, guild_id: int, user_id: int) -> list[tuple[repo.Code, str]]:
        async with self.db.connect() as conn:
            return await repo.member_codes(conn, guild_id, user_id)

    async def waiting_pools(self, guild_id: int, user_id: int) -> list[str]:
        """The pools of the member's earned codes still on their way (out of stock, or awaiting approval)."""
        async with self.db.connect() as conn:
            return [str(g.payload.get("pool")) for g in await repo.waiting_for_codes(conn, guild_id, user_id=user_id)]

    async def mark_notified(self, guild_id: int, user_id: int) -> int:
        async with self.db.begin() as conn:
            grants = await repo.unnotified_closed_dm(conn, guild_id, user_id)
            for g in grants:
                await repo.set_values(conn, g.id, notified_at=self.clock.now())
        return len(grants)

    async def unnotified(self, guild_id: int, user_id: int) -> list[repo.Grant]:
        """Asked after every slash command (cogs/rewards): a point read on the loop (``Database.read``)."""
        return await self.db.read(lambda conn: repo.unnotified_closed_dm(conn, guild_id, user_id))

    async def void(self, guild_id: int, code_id: int, *, actor_id: int, reason: str, reissue: bool) -> int | None:
        """Void a handed-out code; with ``reissue`` queue a fresh code for the same member."""
        reason = check_text(reason, "reason") or ""
        check_range(code_id, "code number", low=1, high=2**63 - 1)
        now = self.clock.now()
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, 0, [])
            code = await repo.code(conn, guild_id, code_id)
            if code is None:
                raise NotFound(N_("There is no perk code #{code_id} in this server."), code_id=code_id)
            if code.voided_at is not None:
                raise Conflict(N_("Code #{code_id} was voided already."), code_id=code_id)
            # Conditional: two staff voiding at once (on PostgreSQL nothing else serializes them) void once.
            if not await repo.void_code(conn, code_id, now=now, reason=reason or "voided by staff"):
                raise Conflict(N_("Code #{code_id} was voided already."), code_id=code_id)
            if code.assigned_to is not None and code.assigned_to > 0:  # an erased member's mark can't be known
                await marks_store.add_held(conn, code.pool_id, self.marks.of(guild_id, code.assigned_to), -1)
            await audit.record(conn, now=now, action="perk.voided", guild_id=guild_id, actor_id=actor_id,
                               target_id=code.assigned_to, details={"code_id": code_id, "reason": reason,
                                                                    "code": mask_code(code.code)})
            if not reissue:
                return None
            if code.assigned_to is None:
                raise Conflict(N_("Code #{code_id} was never handed out, so there is nobody to reissue to."),
                               code_id=code_id)
            pool = await repo.pool_by_id(conn, code.pool_id)
            assert pool is not None
            original = await repo.grant(conn, code.grant_id) if code.grant_id else None
            template = original.payload.get("template", DEFAULT_PERK_DM) if original else DEFAULT_PERK_DM
            context = original.payload.get("context", {}) if original else {"pool": pool.name}
            return await self.queue_grant(
                conn, guild_id=guild_id, user_id=code.assigned_to, action="perk",
                payload={"pool": pool.name, "template": template, "context": context},
                dedupe_key=f"reissue:{code_id}", rule_name=original.rule_name if original else f"reissue:{pool.name}",
                cause=f"reissue:{code_id}", budget=False,
            )

    async def pool_stock(self, guild_id: int) -> list[tuple[repo.Pool, int]]:
        async with self.db.connect() as conn:
            return [(p, await repo.available(conn, p.id, now=self.clock.now())) for p in await repo.pools(conn, guild_id)]

    async def pool_codes(self, pool_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
        """A pool's newest codes with the code masked (``AB••••YZ``): a perk code never reaches the page."""
        async with self.db.connect() as conn:
            rows = await repo.pool_codes(conn, pool_id, limit=limit)
        return [{**row, "code": mask_code(str(row["code"]))} for row in rows]
