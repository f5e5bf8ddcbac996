"""Repository for rewards: rules, grants (the outbox), perk pools and codes.

Atomic writes take an ``AsyncConnection`` so the rewards service can put them in the transaction of the
contribution or event that caused them. Claims (a grant for delivery, a code for a member) are single
``UPDATE … WHERE <still free> RETURNING`` statements, with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
processes never take the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.db.upsert import insert_for
from bot.platform.jobs import claims
from bot.platform.tables import audit_log
from bot.rewards.tables import grants, perk_codes, perk_pools, reward_rules

__all__ = ["audit_log", "grants", "insert", "update"]  # re-exported for batch writes in the service

# --------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: int
    guild_id: int
    name: str
    definition: dict[str, Any]
    origin: str
    enabled: bool


def _rule(row: Any) -> RuleRow:
    return RuleRow(row.id, row.guild_id, row.name, dict(row.definition), row.origin, bool(row.enabled))


async def rules(conn: AsyncConnection, guild_id: int, *, enabled_only: bool = False) -> list[RuleRow]:
    stmt = select(reward_rules).where(reward_rules.c.guild_id == guild_id)
    if enabled_only:
        stmt = stmt.where(reward_rules.c.enabled.is_(True))
    return [_rule(r) for r in await conn.execute(stmt.order_by(reward_rules.c.name))]


async def rule(conn: AsyncConnection, guild_id: int, name: str) -> RuleRow | None:
    row = (await conn.execute(
        select(reward_rules).where(reward_rules.c.guild_id == guild_id, reward_rules.c.name == name)
    )).first()
    return _rule(row) if row else None


async def save_rule(
    conn: AsyncConnection, *, guild_id: int, name: str, definition: dict[str, Any], origin: str, enabled: bool,
    created_by: int | None, now: datetime,
) -> int:
    """Insert or replace the rule ``name`` of the guild; returns its id."""
    stmt = insert_for(conn, reward_rules).values(
        guild_id=guild_id, name=name, definition=definition, origin=origin, enabled=enabled,
        created_by=created_by, created_at=now, updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["guild_id", "name"],
        set_={"definition": stmt.excluded.definition, "origin": stmt.excluded.origin,
              "enabled": stmt.excluded.enabled, "updated_at": stmt.excluded.updated_at},
    )
    await conn.execute(stmt)
    found = await rule(conn, guild_id, name)
    assert found is not None
    return found.id


async def delete_rule(conn: AsyncConnection, guild_id: int, name: str) -> bool:
    result = await conn.execute(
        delete(reward_rules).where(reward_rules.c.guild_id == guild_id, reward_rules.c.name == name)
    )
    return result.rowcount > 0


# --------------------------------------------------------------------------- grants


@dataclass(frozen=True, slots=True)
class Grant:
    id: int
    guild_id: int
    user_id: int
    rule_id: int | None
    rule_name: str
    action: str
    payload: dict[str, Any]
    status: str
    attempts: int
    last_error: str | None
    dedupe_key: str
    created_at: datetime
    delivered_at: datetime | None
    expires_at: datetime | None
    claimed_at: datetime | None
    next_attempt_at: datetime | None
    message_id: int | None
    hold: str | None
    cause: str
    notified_at: datetime | None


def _grant(row: Any) -> Grant:
    values = {name: getattr(row, name) for name in Grant.__slots__}
    values["payload"] = dict(values["payload"] or {})
    return Grant(**values)


async def insert_grant(conn: AsyncConnection, **values: Any) -> int | None:
    """Write a grant; ``None`` when its ``dedupe_key`` exists already (someone decided it first)."""
    stmt = insert_for(conn, grants).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return (await conn.execute(stmt.returning(grants.c.id))).scalar_one_or_none()


async def grant(conn: AsyncConnection, grant_id: int) -> Grant | None:
    row = (await conn.execute(select(grants).where(grants.c.id == grant_id))).first()
    return _grant(row) if row else None


async def grants_by_ids(conn: AsyncConnection, ids: list[int]) -> list[Grant]:
    if not ids:
        return []
    return [_grant(r) for r in await conn.execute(select(grants).where(grants.c.id.in_(ids)))]


async def rule_grants(conn: AsyncConnection, guild_id: int, user_id: int, rule_name: str) -> list[Grant]:
    """The member's grants of one rule, oldest first."""
    rows = await conn.execute(
        select(grants).where(grants.c.guild_id == guild_id, grants.c.user_id == user_id,
                             grants.c.rule_name == rule_name).order_by(grants.c.id)
    )
    return [_grant(r) for r in rows]


@dataclass(frozen=True, slots=True)
class PastGrant:
    id: int
    rule_name: str
    dedupe_key: str
    status: str
    created_at: datetime
    last_error: str | None


async def enabled_rules_with_grants(conn: AsyncConnection, guild_id: int, user_id: int
                                    ) -> list[tuple[RuleRow, list[PastGrant]]]:
    """The guild's enabled rules, each with the member's grants of it (oldest first), in one query."""
    g = grants  # no alias: an alias built per call costs more than the query (SQLAlchemy proxies every column)
    rows = await conn.execute(
        select(reward_rules, g.c.id.label("grant_id"), g.c.dedupe_key, g.c.status.label("grant_status"),
               g.c.created_at.label("granted_at"), g.c.last_error)
        .select_from(reward_rules.outerjoin(g, and_(g.c.guild_id == reward_rules.c.guild_id, g.c.user_id == user_id,
                                                    g.c.rule_name == reward_rules.c.name)))
        .where(reward_rules.c.guild_id == guild_id, reward_rules.c.enabled.is_(True))
        .order_by(reward_rules.c.name, g.c.id)
    )
    out: dict[str, tuple[RuleRow, list[PastGrant]]] = {}
    for r in rows:
        if r.name not in out:
            out[r.name] = (_rule(r), [])
        if r.dedupe_key is not None:
            out[r.name][1].append(PastGrant(r.grant_id, r.name, r.dedupe_key, r.grant_status, r.granted_at,
                                                r.last_error))
    return list(out.values())


async def history(conn: AsyncConnection, guild_id: int, user_id: int, *, limit: int = 25) -> list[Grant]:
    rows = await conn.execute(
        select(grants).where(grants.c.guild_id == guild_id, grants.c.user_id == user_id)
        .order_by(grants.c.id.desc()).limit(limit)
    )
    return [_grant(r) for r in rows]


def _due(now: datetime, stale_before: datetime) -> Any:
    return or_(
        and_(grants.c.status == "pending", grants.c.hold.is_(None),
             or_(grants.c.next_attempt_at.is_(None), grants.c.next_attempt_at <= now)),
        and_(grants.c.status == "delivering", grants.c.claimed_at < stale_before),
    )


async def claim_batch(
    conn: AsyncConnection, *, now: datetime, stale_before: datetime, limit: int, guild_id: int | None = None,
    ids: list[int] | None = None, shards: tuple[list[int], int] | None = None,
) -> list[Grant]:
    """Take up to ``limit`` due grants for delivery (status ``delivering``, one more attempt).

    ``shards`` = (shard ids, shard count): only grants of guilds on those shards (``(guild_id >> 22) % count``,
    Discord's own rule), so a cluster process never takes a grant for a guild another process serves."""
    where = []
    if guild_id is not None:
        where.append(grants.c.guild_id == guild_id)
    if shards is not None:
        shard_ids, shard_count = shards
        where.append(((grants.c.guild_id // (1 << 22)) % shard_count).in_(list(shard_ids)))
    if ids is not None:
        where.append(grants.c.id.in_(ids))
    rows = await claims.claim(conn, grants, due=_due(now, stale_before), where=where, order_by=(grants.c.id,),
                              limit=limit, values={"status": "delivering", "claimed_at": now,
                                                   "attempts": grants.c.attempts + 1})
    return sorted((_grant(r) for r in rows), key=lambda g: g.id)


async def next_due_at(conn: AsyncConnection) -> datetime | None:
    result = await conn.execute(
        select(func.min(grants.c.next_attempt_at)).where(grants.c.status == "pending", grants.c.hold.is_(None))
    )
    return result.scalar_one_or_none()


async def finish(conn: AsyncConnection, grant_id: int, **values: Any) -> bool:
    """Move a grant out of ``delivering`` (to delivered / pending / failed); False if it was not delivering."""
    result = await conn.execute(
        update(grants).where(grants.c.id == grant_id, grants.c.status == "delivering").values(**values)
    )
    return result.rowcount > 0


async def decide_hold(conn: AsyncConnection, grant_id: int, **values: Any) -> bool:
    """Take a grant off its approval hold; False if it was not waiting for approval (any more)."""
    result = await conn.execute(
        update(grants).where(grants.c.id == grant_id, grants.c.status == "pending", grants.c.hold.is_not(None))
        .values(**values)
    )
    return result.rowcount > 0


async def transition(conn: AsyncConnection, grant_id: int, from_status: str, **values: Any) -> bool:
    """Update a grant only while it is still ``from_status``; False if it is not (any more). The check is in the
    ``UPDATE``, so two writers that both read the old status (PostgreSQL: nothing else serializes them) change
    it once."""
    result = await conn.execute(
        update(grants).where(grants.c.id == grant_id, grants.c.status == from_status).values(**values)
    )
    return result.rowcount > 0


async def lock_grant(conn: AsyncConnection, grant_id: int) -> Grant | None:
    """The grant, its row locked until the end of the transaction on PostgreSQL (``SELECT … FOR UPDATE``), so
    work done once per grant (claiming its perk code) is not done twice concurrently. SQLite writers are
    serialized by their write lock anyway."""
    stmt = select(grants).where(grants.c.id == grant_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    return _grant(row) if row else None


async def set_values(conn: AsyncConnection, grant_id: int, **values: Any) -> None:
    await conn.execute(update(grants).where(grants.c.id == grant_id).values(**values))


async def earned_roles(
    conn: AsyncConnection, guild_id: int, *, now: datetime, user_id: int | None = None
) -> list[Grant]:
    """Delivered role grants still in force: not expired, not revoked, and not undone by a later
    ``role_remove`` grant of the same role (e.g. a beta's cohort role taken back on leaving)."""
    return [g for g in await live_role_grants(conn, guild_id, now=now, user_id=user_id) if g.status == "delivered"]


async def live_role_grants(
    conn: AsyncConnection, guild_id: int, *, now: datetime, user_id: int | None = None
) -> list[Grant]:
    """Role grants in force or on their way (pending, delivering or delivered), not expired, and not
    undone by a later ``role_remove`` grant of the same role."""
    stmt = select(grants).where(
        grants.c.guild_id == guild_id, grants.c.action.in_(("role_add", "role_remove")),
        grants.c.status.in_(("pending", "delivering", "delivered")),
    )
    if user_id is not None:
        stmt = stmt.where(grants.c.user_id == user_id)
    latest: dict[tuple[int, int], Grant] = {}
    for row in await conn.execute(stmt.order_by(grants.c.id)):
        grant = _grant(row)
        role_id = (grant.payload or {}).get("role_id")
        if role_id is not None:
            latest[(grant.user_id, int(role_id))] = grant
    return [g for g in latest.values() if g.action == "role_add" and (g.expires_at is None or g.expires_at > now)]


async def held_grants(conn: AsyncConnection, guild_id: int) -> list[Grant]:
    rows = await conn.execute(
        select(grants).where(grants.c.guild_id == guild_id, grants.c.status == "pending",
                             grants.c.hold.is_not(None)).order_by(grants.c.id)
    )
    return [_grant(r) for r in rows]


# Read after every slash command: built once (building a statement costs more than running it here).
_UNNOTIFIED_CLOSED_DM = select(grants).where(
    grants.c.guild_id == bindparam("guild_id"), grants.c.user_id == bindparam("user_id"), grants.c.action == "perk",
    grants.c.status == "delivered", grants.c.message_id.is_(None), grants.c.notified_at.is_(None))


async def unnotified_closed_dm(conn: AsyncConnection, guild_id: int, user_id: int) -> list[Grant]:
    """Perk grants delivered while the member's DMs were closed, that nobody told them about yet."""
    rows = await conn.execute(_UNNOTIFIED_CLOSED_DM, {"guild_id": guild_id, "user_id": user_id})
    return [_grant(r) for r in rows]


async def requeue_waiting_perks(conn: AsyncConnection, guild_id: int) -> list[int]:
    """After a restock: perk grants that failed or wait for lack of codes are due again now."""
    waiting = and_(
        grants.c.guild_id == guild_id, grants.c.action == "perk", grants.c.hold.is_(None),
        or_(grants.c.status == "pending",
            and_(grants.c.status == "failed", grants.c.last_error.like("out of codes%"))),
    )
    # One statement: the condition is checked again on each row as it is updated, so a grant the dispatcher
    # claimed meanwhile (now ``delivering``) is not put back in the queue and delivered twice.
    result = await conn.execute(update(grants).where(waiting).values(
        status="pending", attempts=0, next_attempt_at=None).returning(grants.c.id))
    return sorted(r[0] for r in result)


async def status_counts(conn: AsyncConnection, guild_id: int | None = None) -> dict[str, int]:
    stmt = select(grants.c.status, func.count()).group_by(grants.c.status)
    if guild_id is not None:
        stmt = stmt.where(grants.c.guild_id == guild_id)
    return {status: int(n) for status, n in await conn.execute(stmt)}


async def failed_grants(conn: AsyncConnection, guild_id: int, *, limit: int = 50) -> list[Grant]:
    """The guild's failed grants, newest first (the dashboard lists them with a retry button)."""
    rows = await conn.execute(
        select(grants).where(grants.c.guild_id == guild_id, grants.c.status == "failed")
        .order_by(grants.c.id.desc()).limit(limit)
    )
    return [_grant(r) for r in rows]


async def grant_counts(conn: AsyncConnection, guild_id: int, since: datetime) -> dict[str, int]:
    """Grants created since ``since``, by status."""
    rows = await conn.execute(
        select(grants.c.status, func.count()).where(grants.c.guild_id == guild_id, grants.c.created_at >= since)
        .group_by(grants.c.status)
    )
    return {str(status): int(n) for status, n in rows}


# --------------------------------------------------------------------------- timers (demotion watch)


# --------------------------------------------------------------------------- pools and codes


@dataclass(frozen=True, slots=True)
class Pool:
    id: int
    guild_id: int
    name: str
    description: str
    per_member_limit: int
    low_stock_warning: int
    low_stock_alerted: bool
    budget: int | None
    budget_period_days: int
    origin: str


def _pool(row: Any) -> Pool:
    return Pool(row.id, row.guild_id, row.name, row.description, row.per_member_limit, row.low_stock_warning,
                bool(row.low_stock_alerted), row.budget, row.budget_period_days, row.origin)


async def pool(conn: AsyncConnection, guild_id: int, name: str) -> Pool | None:
    row = (await conn.execute(
        select(perk_pools).where(perk_pools.c.guild_id == guild_id, perk_pools.c.name == name)
    )).first()
    return _pool(row) if row else None


async def pool_by_id(conn: AsyncConnection, pool_id: int) -> Pool | None:
    row = (await conn.execute(select(perk_pools).where(perk_pools.c.id == pool_id))).first()
    return _pool(row) if row else None


async def lock_pool(conn: AsyncConnection, pool_id: int) -> None:
    """Lock the pool's row until the end of the transaction on PostgreSQL (``SELECT … FOR UPDATE``): decisions
    that check its budget run one at a time, so two members' grants can't both pass a budget with one code left.
    SQLite writers are serialized by their write lock anyway."""
    if conn.dialect.name == "postgresql":
        await conn.execute(select(perk_pools.c.id).where(perk_pools.c.id == pool_id).with_for_update())


async def pools(conn: AsyncConnection, guild_id: int) -> list[Pool]:
    rows = await conn.execute(select(perk_pools).where(perk_pools.c.guild_id == guild_id).order_by(perk_pools.c.name))
    return [_pool(r) for r in rows]


async def save_pool(conn: AsyncConnection, *, guild_id: int, name: str, now: datetime, **values: Any) -> Pool:
    stmt = insert_for(conn, perk_pools).values(guild_id=guild_id, name=name, created_at=now, **values)
    if values:
        stmt = stmt.on_conflict_do_update(
            index_elements=["guild_id", "name"], set_={k: stmt.excluded[k] for k in values}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["guild_id", "name"])
    await conn.execute(stmt)
    found = await pool(conn, guild_id, name)
    assert found is not None
    return found


async def create_pool(conn: AsyncConnection, *, guild_id: int, name: str, now: datetime, **values: Any) -> Pool | None:
    """Insert a new pool; ``None`` when the guild has one of that name already. A single ``INSERT … ON CONFLICT
    DO NOTHING``: two concurrent creates (PostgreSQL: the second waits on the first's row) create it once."""
    stmt = (insert_for(conn, perk_pools).values(guild_id=guild_id, name=name, created_at=now, **values)
            .on_conflict_do_nothing(index_elements=["guild_id", "name"]).returning(perk_pools.c.id))
    if (await conn.execute(stmt)).scalar_one_or_none() is None:
        return None
    return await pool(conn, guild_id, name)


async def existing_codes(conn: AsyncConnection, pool_id: int, codes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        rows = await conn.execute(
            select(perk_codes.c.code).where(perk_codes.c.pool_id == pool_id, perk_codes.c.code.in_(chunk))
        )
        found |= {r[0] for r in rows}
    return found


async def add_codes(
    conn: AsyncConnection, pool_id: int, codes: list[tuple[str, datetime | None]], *, now: datetime
) -> set[str]:
    """Insert the codes the pool doesn't hold yet; returns the ones inserted. ``ON CONFLICT DO NOTHING``: a code a
    concurrent import wrote first (PostgreSQL: this insert waits for it to commit) is skipped, not an error, so
    the caller can report it as a duplicate."""
    if not codes:
        return set()
    inserted: set[str] = set()
    for start in range(0, len(codes), 1000):
        stmt = (insert_for(conn, perk_codes).values(
            [{"pool_id": pool_id, "code": code, "expires_at": expires, "created_at": now}
             for code, expires in codes[start:start + 1000]])
            .on_conflict_do_nothing(index_elements=["pool_id", "code"]).returning(perk_codes.c.code))
        inserted.update(r[0] for r in await conn.execute(stmt))
    await conn.execute(update(perk_pools).where(perk_pools.c.id == pool_id).values(low_stock_alerted=False,
                                                                                    empty_alerted=False))
    return inserted


def _usable(now: datetime) -> Any:
    return and_(perk_codes.c.assigned_to.is_(None), perk_codes.c.voided_at.is_(None),
                or_(perk_codes.c.expires_at.is_(None), perk_codes.c.expires_at > now))


@dataclass(frozen=True, slots=True)
class Code:
    id: int
    pool_id: int
    code: str
    assigned_to: int | None
    grant_id: int | None
    assigned_at: datetime | None
    expires_at: datetime | None
    voided_at: datetime | None


def _code(row: Any) -> Code:
    return Code(row.id, row.pool_id, row.code, row.assigned_to, row.grant_id, row.assigned_at, row.expires_at,
                row.voided_at)


async def code_for_grant(conn: AsyncConnection, grant_id: int) -> Code | None:
    row = (await conn.execute(select(perk_codes).where(perk_codes.c.grant_id == grant_id))).first()
    return _code(row) if row else None


async def claim_code(
    conn: AsyncConnection, pool_id: int, *, user_id: int, grant_id: int, now: datetime, tries: int = 5
) -> Code | None:
    """Assign one free code of the pool to ``grant_id`` (idempotent: a grant keeps the code it has).

    ``UPDATE … WHERE id = (SELECT … LIMIT 1 [FOR UPDATE SKIP LOCKED]) AND assigned_to IS NULL RETURNING``:
    the guard makes a lost race return nothing (then the next free code is tried), never a shared code.
    """
    existing = await code_for_grant(conn, grant_id)
    if existing is not None:
        return existing
    for _ in range(tries):
        pick = select(perk_codes.c.id).where(perk_codes.c.pool_id == pool_id, _usable(now)).order_by(
            perk_codes.c.id).limit(1)
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        stmt = (
            update(perk_codes)
            .where(perk_codes.c.id == pick.scalar_subquery(), perk_codes.c.assigned_to.is_(None))
            .values(assigned_to=user_id, grant_id=grant_id, assigned_at=now)
            .returning(*perk_codes.c)
        )
        row = (await conn.execute(stmt)).first()
        if row is not None:
            return _code(row)
        if await available(conn, pool_id, now=now) == 0:
            return None
    return None


async def available(conn: AsyncConnection, pool_id: int, *, now: datetime) -> int:
    result = await conn.execute(
        select(func.count()).select_from(perk_codes).where(perk_codes.c.pool_id == pool_id, _usable(now))
    )
    return int(result.scalar_one())


async def held_by(conn: AsyncConnection, pool_id: int, user_id: int) -> int:
    result = await conn.execute(
        select(func.count()).select_from(perk_codes).where(
            perk_codes.c.pool_id == pool_id, perk_codes.c.assigned_to == user_id, perk_codes.c.voided_at.is_(None)
        )
    )
    return int(result.scalar_one())


async def assigned_since(conn: AsyncConnection, pool_id: int, since: datetime) -> int:
    result = await conn.execute(
        select(func.count()).select_from(perk_codes).where(
            perk_codes.c.pool_id == pool_id, perk_codes.c.assigned_at >= since
        )
    )
    return int(result.scalar_one())


async def mark_low_stock_alerted(conn: AsyncConnection, pool_id: int, *, empty: bool = False) -> bool:
    """Flip the pool's "running low" (or, ``empty``, "out of codes") alert flag; True only for the caller that
    flipped it (one alert of each per dip; a restock clears both)."""
    flag = perk_pools.c.empty_alerted if empty else perk_pools.c.low_stock_alerted
    result = await conn.execute(update(perk_pools).where(perk_pools.c.id == pool_id, flag.is_(False))
                                .values({flag.key: True}))
    return result.rowcount > 0


async def code_total(conn: AsyncConnection, pool_id: int) -> int:
    """Every code the pool was ever given (grows with each restock)."""
    result = await conn.execute(select(func.count()).select_from(perk_codes).where(perk_codes.c.pool_id == pool_id))
    return int(result.scalar_one())


async def waiting_for_codes(conn: AsyncConnection, guild_id: int, pool_name: str | None = None, *,
                            user_id: int | None = None) -> list[Grant]:
    """Perk grants still to be delivered that hold no code yet (the pool ran out, or staff approval), oldest
    first: of one pool, and/or of one member."""
    stmt = (select(grants).select_from(grants.outerjoin(perk_codes, perk_codes.c.grant_id == grants.c.id))
            .where(grants.c.guild_id == guild_id, grants.c.action == "perk",
                   grants.c.status.in_(("pending", "delivering")), perk_codes.c.id.is_(None)))
    if user_id is not None:
        stmt = stmt.where(grants.c.user_id == user_id)
    rows = [_grant(r) for r in await conn.execute(stmt.order_by(grants.c.id))]
    return [g for g in rows if pool_name is None or g.payload.get("pool") == pool_name]


async def member_codes(conn: AsyncConnection, guild_id: int, user_id: int) -> list[tuple[Code, str]]:
    rows = await conn.execute(
        select(perk_codes, perk_pools.c.name.label("pool_name"))
        .join(perk_pools, perk_pools.c.id == perk_codes.c.pool_id)
        .where(perk_pools.c.guild_id == guild_id, perk_codes.c.assigned_to == user_id)
        .order_by(perk_codes.c.id)
    )
    return [(_code(r), r.pool_name) for r in rows]


async def code(conn: AsyncConnection, guild_id: int, code_id: int) -> Code | None:
    row = (await conn.execute(
        select(perk_codes).join(perk_pools, perk_pools.c.id == perk_codes.c.pool_id)
        .where(perk_pools.c.guild_id == guild_id, perk_codes.c.id == code_id)
    )).first()
    return _code(row) if row else None


async def void_code(conn: AsyncConnection, code_id: int, *, now: datetime, reason: str) -> bool:
    result = await conn.execute(
        update(perk_codes).where(perk_codes.c.id == code_id, perk_codes.c.voided_at.is_(None))
        .values(voided_at=now, void_reason=reason[:200])
    )
    return result.rowcount > 0


async def pool_codes(conn: AsyncConnection, pool_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest codes of a pool, for the dashboard to show *masked* (the caller masks them)."""
    rows = await conn.execute(
        select(perk_codes.c.id, perk_codes.c.code, perk_codes.c.assigned_to, perk_codes.c.assigned_at,
               perk_codes.c.expires_at, perk_codes.c.voided_at)
        .where(perk_codes.c.pool_id == pool_id).order_by(perk_codes.c.id.desc()).limit(limit)
    )
    return [dict(r._mapping) for r in rows]
