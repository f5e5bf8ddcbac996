"""SQL for members' data rights: tracking opt-outs, departures, the data export and erasure.

Erasure replaces the member's Discord id by a pseudonym (a negative number, which no Discord id can be)
everywhere Kudos stores it in that server, and blanks the free text they wrote or that was written about
them. Rows stay, so totals, leaderboards and stats stay consistent; nothing links them to the person any
more. See ``docs/privacy.md`` for the full list.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.activity.tables import activity_counters
from bot.announcements.tables import announcements
from bot.betas.tables import beta_participants, betas
from bot.contributions.tables import featured_posts, solutions
from bot.feedback.tables import feedback, feedback_coreporters, feedback_followers, feedback_votes
from bot.ledger import stages_store as stages_repo
from bot.ledger.tables import contributions, member_stats, stage_moves
from bot.platform.db.upsert import upsert
from bot.platform.tables import audit_log, members
from bot.privacy.tables import privacy_optouts
from bot.rewards.codes import mask_code
from bot.rewards.tables import grants, perk_codes, perk_pools

ERASED_TITLE = "(erased)"


# --------------------------------------------------------------------------- tracking opt-out


async def tracking_off_since(conn: AsyncConnection, guild_id: int, user_id: int) -> datetime | None:
    return (await conn.execute(
        select(privacy_optouts.c.tracking_off_at)
        .where(privacy_optouts.c.guild_id == guild_id, privacy_optouts.c.user_id == user_id)
    )).scalar_one_or_none()


async def set_tracking_off(conn: AsyncConnection, guild_id: int, user_id: int, *, now: datetime) -> bool:
    """Record the opt-out; ``False`` when it was already off."""
    if await tracking_off_since(conn, guild_id, user_id) is not None:
        return False
    await upsert(conn, privacy_optouts, {"guild_id": guild_id, "user_id": user_id, "tracking_off_at": now},
                 keys=["guild_id", "user_id"], update=[])
    return True


async def set_tracking_on(conn: AsyncConnection, guild_id: int, user_id: int) -> bool:
    """Remove the opt-out; ``False`` when tracking was already on."""
    result = await conn.execute(
        delete(privacy_optouts).where(privacy_optouts.c.guild_id == guild_id, privacy_optouts.c.user_id == user_id)
    )
    return bool(result.rowcount)


# --------------------------------------------------------------------------- membership
# Joins and departures are written by bot.platform.guilds (seen_member / left_member).


async def departed_before(conn: AsyncConnection, guild_id: int, cutoff: datetime, limit: int = 500) -> list[int]:
    """Members (not yet erased) who left before ``cutoff``."""
    rows = await conn.execute(
        select(members.c.user_id)
        .where(members.c.guild_id == guild_id, members.c.left_at.is_not(None), members.c.left_at < cutoff,
               members.c.erased_at.is_(None), members.c.user_id > 0)
        .order_by(members.c.left_at).limit(limit)
    )
    return list(rows.scalars())


async def guilds_with_members(conn: AsyncConnection) -> list[int]:
    return list((await conn.execute(select(members.c.guild_id).distinct())).scalars())


async def pseudonym_taken(conn: AsyncConnection, guild_id: int, pseudonym: int) -> bool:
    found = await conn.execute(
        select(func.count()).select_from(members)
        .where(members.c.guild_id == guild_id, members.c.user_id == pseudonym)
    )
    return bool(found.scalar_one())


# --------------------------------------------------------------------------- export


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in result]


async def export(conn: AsyncConnection, guild_id: int, user_id: int) -> dict[str, Any]:
    """Everything stored about ``user_id`` in ``guild_id``, as plain values (datetimes left to the caller).

    Other members' ids are left out of the rows that mention them (the receiver of a thanks the member gave,
    the voters of their feedback). Perk codes are masked: ``/perks mine`` shows them in full.
    """
    c = contributions.c
    pools = select(perk_pools.c.id).where(perk_pools.c.guild_id == guild_id)
    guild_betas = select(betas.c.id).where(betas.c.guild_id == guild_id)
    guild_feedback = select(feedback.c.id).where(feedback.c.guild_id == guild_id)
    out: dict[str, Any] = {}
    out["member"] = _rows(await conn.execute(
        select(members.c.display_name, members.c.first_seen_at, members.c.joined_at, members.c.left_at)
        .where(members.c.guild_id == guild_id, members.c.user_id == user_id)))
    out["tracking_off_since"] = await tracking_off_since(conn, guild_id, user_id)
    out["contributions_received"] = _rows(await conn.execute(
        select(c.id, c.kind, c.points, c.status, c.reason, c.note, c.season, c.channel_id, c.thread_id,
               c.message_id, c.reverses_id, c.created_at, c.held_until)
        .where(c.guild_id == guild_id, c.user_id == user_id).order_by(c.id)))
    out["contributions_given"] = _rows(await conn.execute(
        select(c.id, c.kind, c.reason, c.created_at)
        .where(c.guild_id == guild_id, c.actor_id == user_id, c.user_id != user_id).order_by(c.id)))
    out["totals"] = _rows(await conn.execute(
        select(member_stats.c.kind, member_stats.c.season, member_stats.c.points, member_stats.c.count)
        .where(member_stats.c.guild_id == guild_id, member_stats.c.user_id == user_id)
        .order_by(member_stats.c.season, member_stats.c.kind)))
    out["ladder_stage_moves"] = _rows(await conn.execute(
        select(stage_moves.c.from_stage, stage_moves.c.to_stage, stage_moves.c.at)
        .where(stage_moves.c.guild_id == guild_id, stage_moves.c.user_id == user_id).order_by(stage_moves.c.id)))
    out["rewards"] = _rows(await conn.execute(
        select(grants.c.id, grants.c.rule_name, grants.c.action, grants.c.status, grants.c.created_at,
               grants.c.delivered_at, grants.c.expires_at)
        .where(grants.c.guild_id == guild_id, grants.c.user_id == user_id).order_by(grants.c.id)))
    codes = await conn.execute(
        select(perk_pools.c.name, perk_codes.c.code, perk_codes.c.assigned_at, perk_codes.c.expires_at,
               perk_codes.c.voided_at)
        .join(perk_pools, perk_pools.c.id == perk_codes.c.pool_id)
        .where(perk_codes.c.pool_id.in_(pools), perk_codes.c.assigned_to == user_id).order_by(perk_codes.c.id))
    out["perk_codes"] = [
        {"pool": r.name, "code": mask_code(r.code), "assigned_at": r.assigned_at, "expires_at": r.expires_at,
         "voided_at": r.voided_at} for r in codes
    ]
    out["betas"] = _rows(await conn.execute(
        select(betas.c.name, beta_participants.c.status, beta_participants.c.joined_at,
               beta_participants.c.terms_accepted_at, beta_participants.c.left_at)
        .join(betas, betas.c.id == beta_participants.c.beta_id)
        .where(beta_participants.c.beta_id.in_(guild_betas), beta_participants.c.user_id == user_id)
        .order_by(beta_participants.c.joined_at)))
    out["feedback_reported"] = _rows(await conn.execute(
        select(feedback.c.id, feedback.c.type, feedback.c.title, feedback.c.details, feedback.c.steps,
               feedback.c.version, feedback.c.status, feedback.c.status_note, feedback.c.vote_count,
               feedback.c.created_at, feedback.c.updated_at)
        .where(feedback.c.guild_id == guild_id, feedback.c.reporter_id == user_id).order_by(feedback.c.id)))
    for name, table in (("feedback_votes", feedback_votes), ("feedback_follows", feedback_followers),
                        ("feedback_coreported", feedback_coreporters)):
        out[name] = _rows(await conn.execute(
            select(table.c.feedback_id, table.c.created_at)
            .where(table.c.feedback_id.in_(guild_feedback), table.c.user_id == user_id)
            .order_by(table.c.feedback_id)))
    out["solutions"] = _rows(await conn.execute(
        select(solutions.c.thread_id, solutions.c.message_id, solutions.c.active, solutions.c.created_at,
               (solutions.c.answerer_id == user_id).label("you_answered"))
        .where(solutions.c.guild_id == guild_id,
               or_(solutions.c.answerer_id == user_id, solutions.c.accepted_by == user_id))
        .order_by(solutions.c.id)))
    out["featured_posts"] = _rows(await conn.execute(
        select(featured_posts.c.channel_id, featured_posts.c.message_id, featured_posts.c.via,
               featured_posts.c.created_at, (featured_posts.c.author_id == user_id).label("your_post"))
        .where(featured_posts.c.guild_id == guild_id,
               or_(featured_posts.c.author_id == user_id, featured_posts.c.featured_by == user_id))
        .order_by(featured_posts.c.id)))
    out["activity"] = _rows(await conn.execute(
        select(activity_counters.c.day, activity_counters.c.channel_id, activity_counters.c.messages,
               activity_counters.c.reactions)
        .where(activity_counters.c.guild_id == guild_id, activity_counters.c.user_id == user_id)
        .order_by(activity_counters.c.day, activity_counters.c.channel_id)))
    out["audit_log"] = _rows(await conn.execute(
        select(audit_log.c.action, audit_log.c.created_at, (audit_log.c.actor_id == user_id).label("by_you"))
        .where(audit_log.c.guild_id == guild_id,
               or_(audit_log.c.actor_id == user_id, audit_log.c.target_id == user_id))
        .order_by(audit_log.c.id)))
    return out


# --------------------------------------------------------------------------- erasure


def _swap(column: Any, user_id: int, pseudonym: int) -> Any:
    """``column`` with the member's id replaced by the pseudonym (source keys, dedupe keys, causes)."""
    return func.replace(column, str(user_id), str(pseudonym))


async def erase(conn: AsyncConnection, guild_id: int, user_id: int, pseudonym: int, *, now: datetime) -> dict[str, int]:
    """Pseudonymise and blank everything about ``user_id`` in ``guild_id``; returns rows changed per table.

    The caller holds the ledger's write lock for the member and records the audit entry.
    """
    counts: dict[str, int] = {}

    async def run(name: str, stmt: Any) -> None:
        result = await conn.execute(stmt)
        if result.rowcount:
            counts[name] = counts.get(name, 0) + int(result.rowcount)

    c = contributions.c
    # Free text about the member (reasons given to them) and by them (reasons they wrote) goes.
    await run("contributions", update(contributions)
              .where(c.guild_id == guild_id, c.user_id == user_id)
              .values(user_id=pseudonym, reason="", source_key=_swap(c.source_key, user_id, pseudonym)))
    await run("contributions", update(contributions)
              .where(c.guild_id == guild_id, c.actor_id == user_id)
              .values(actor_id=pseudonym, reason="", source_key=_swap(c.source_key, user_id, pseudonym)))
    await run("member_stats", update(member_stats)
              .where(member_stats.c.guild_id == guild_id, member_stats.c.user_id == user_id)
              .values(user_id=pseudonym))
    # The member's ladder stage and its moves stay in the /stats aggregates, under the pseudonym.
    moved = await stages_repo.rename_member(conn, guild_id, user_id, pseudonym)
    if moved:
        counts["member_stages"] = moved
    # Delivered rewards stay delivered (to the erased member); undelivered ones can no longer reach anyone.
    g = grants.c
    await run("grants", update(grants)
              .where(g.guild_id == guild_id, g.user_id == user_id, g.status.in_(("pending", "delivering")))
              .values(status="revoked", last_error="the member erased their data", hold=None))
    await run("grants", update(grants)
              .where(g.guild_id == guild_id, g.user_id == user_id)
              .values(user_id=pseudonym, dedupe_key=_swap(g.dedupe_key, user_id, pseudonym),
                      cause=_swap(g.cause, user_id, pseudonym)))
    await run("perk_codes", update(perk_codes)
              .where(perk_codes.c.pool_id.in_(select(perk_pools.c.id).where(perk_pools.c.guild_id == guild_id)),
                     perk_codes.c.assigned_to == user_id)
              .values(assigned_to=pseudonym))
    guild_betas = select(betas.c.id).where(betas.c.guild_id == guild_id)
    await run("beta_participants", update(beta_participants)
              .where(beta_participants.c.beta_id.in_(guild_betas), beta_participants.c.user_id == user_id)
              .values(user_id=pseudonym))
    await run("betas", update(betas).where(betas.c.guild_id == guild_id, betas.c.created_by == user_id)
              .values(created_by=pseudonym))
    await run("feedback", update(feedback)
              .where(feedback.c.guild_id == guild_id, feedback.c.reporter_id == user_id)
              .values(reporter_id=pseudonym, title=ERASED_TITLE, details="", steps=None))
    guild_feedback = select(feedback.c.id).where(feedback.c.guild_id == guild_id)
    for name, table in (("feedback_votes", feedback_votes), ("feedback_followers", feedback_followers),
                        ("feedback_coreporters", feedback_coreporters)):
        await run(name, update(table)
                  .where(table.c.feedback_id.in_(guild_feedback), table.c.user_id == user_id)
                  .values(user_id=pseudonym))
    for column in ("answerer_id", "accepted_by"):
        await run("solutions", update(solutions)
                  .where(solutions.c.guild_id == guild_id, solutions.c[column] == user_id)
                  .values({column: pseudonym}))
    for column in ("author_id", "featured_by"):
        await run("featured_posts", update(featured_posts)
                  .where(featured_posts.c.guild_id == guild_id, featured_posts.c[column] == user_id)
                  .values({column: pseudonym}))
    await run("announcements", update(announcements)
              .where(announcements.c.guild_id == guild_id, announcements.c.created_by == user_id)
              .values(created_by=pseudonym))
    await run("activity_counters", update(activity_counters)
              .where(activity_counters.c.guild_id == guild_id, activity_counters.c.user_id == user_id)
              .values(user_id=pseudonym))
    await _erase_audit(conn, guild_id, user_id, pseudonym, counts)
    await run("members", update(members)
              .where(members.c.guild_id == guild_id, members.c.user_id == user_id)
              .values(user_id=pseudonym, display_name=None, joined_at=None, left_at=None, erased_at=now))
    return counts


async def _erase_audit(
    conn: AsyncConnection, guild_id: int, user_id: int, pseudonym: int, counts: dict[str, int]
) -> None:
    """Audit entries keep what happened, with the member's id replaced (also inside ``details``)."""
    a = audit_log.c
    rows = await conn.execute(
        select(a.id, a.actor_id, a.target_id, a.details)
        .where(a.guild_id == guild_id,
               or_(a.actor_id == user_id, a.target_id == user_id,
                   cast(a.details, String).contains(str(user_id))))
    )
    changed = 0
    for row in rows.all():
        text = json.dumps(row.details)
        details = json.loads(text.replace(str(user_id), str(pseudonym))) if str(user_id) in text else row.details
        await conn.execute(
            update(audit_log).where(a.id == row.id).values(
                actor_id=pseudonym if row.actor_id == user_id else row.actor_id,
                target_id=pseudonym if row.target_id == user_id else row.target_id,
                details=details,
            )
        )
        changed += 1
    if changed:
        counts["audit_log"] = changed


async def erased_members(conn: AsyncConnection, guild_id: int) -> int:
    return int((await conn.execute(
        select(func.count()).select_from(members)
        .where(and_(members.c.guild_id == guild_id, members.c.erased_at.is_not(None)))
    )).scalar_one())
