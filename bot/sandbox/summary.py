"""A compact summary of the database for the sandbox's final state (perk codes masked)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.betas.tables import beta_participants, betas
from bot.feedback.tables import feedback, feedback_votes
from bot.ledger.tables import contributions
from bot.rewards.codes import mask_code
from bot.rewards.tables import grants, perk_codes, perk_pools


async def summarize(conn: AsyncConnection, guild_id: int) -> dict[str, Any]:
    points: dict[str, dict[str, int]] = {}
    rows = await conn.execute(
        select(contributions.c.user_id, contributions.c.kind, func.sum(contributions.c.points))
        .where(contributions.c.guild_id == guild_id)
        .group_by(contributions.c.user_id, contributions.c.kind)
    )
    for user_id, kind, total in rows:
        points.setdefault(str(user_id), {})[kind] = int(total or 0)

    grant_rows = await conn.execute(
        select(grants.c.user_id, grants.c.rule_name, grants.c.action, grants.c.status)
        .where(grants.c.guild_id == guild_id)
        .order_by(grants.c.id)
    )
    code_rows = await conn.execute(
        select(perk_pools.c.name, perk_codes.c.code, perk_codes.c.assigned_to)
        .join(perk_pools, perk_pools.c.id == perk_codes.c.pool_id)
        .where(perk_pools.c.guild_id == guild_id, perk_codes.c.assigned_to.is_not(None))
        .order_by(perk_codes.c.id)
    )
    beta_list = []
    for beta in await conn.execute(select(betas).where(betas.c.guild_id == guild_id).order_by(betas.c.id)):
        parts = await conn.execute(
            select(beta_participants.c.user_id, beta_participants.c.status)
            .where(beta_participants.c.beta_id == beta.id)
            .order_by(beta_participants.c.joined_at)
        )
        people = list(parts)
        beta_list.append({
            "name": beta.name, "status": beta.status, "capacity": beta.capacity,
            "participants": [str(u) for u, s in people if s == "joined"],
            "waitlist": [str(u) for u, s in people if s == "waitlisted"],
        })
    votes = dict(
        (await conn.execute(
            select(feedback_votes.c.feedback_id, func.count()).group_by(feedback_votes.c.feedback_id)
        )).all()
    )
    items = [
        {"id": f.id, "title": f.title, "type": f.type, "status": f.status, "votes": int(votes.get(f.id, 0)),
         "reporter": str(f.reporter_id)}
        for f in await conn.execute(select(feedback).where(feedback.c.guild_id == guild_id).order_by(feedback.c.id))
    ]
    return {
        "points": points,
        "grants": [{"user": str(u), "rule": r, "action": a, "status": s} for u, r, a, s in grant_rows],
        "perk_codes": [{"pool": p, "code": mask_code(c), "member": str(m)} for p, c, m in code_rows],
        "betas": beta_list,
        "feedback": items,
    }
