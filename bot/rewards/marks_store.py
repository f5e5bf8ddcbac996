"""SQL of the rewards' marks (see :mod:`bot.rewards.marks`): rules earned and codes held per member mark."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.db.upsert import insert_for
from bot.rewards.tables import perk_holders, reward_earned


async def earned_on(conn: AsyncConnection, guild_id: int, mark: str, rule_name: str) -> datetime | None:
    """The day the mark last earned ``rule_name`` (None: never)."""
    return (await conn.execute(select(reward_earned.c.earned_on).where(
        reward_earned.c.guild_id == guild_id, reward_earned.c.member_mark == mark,
        reward_earned.c.rule_name == rule_name))).scalar_one_or_none()


async def earned_rules(conn: AsyncConnection, guild_id: int, mark: str) -> dict[str, datetime]:
    """Every rule the mark earned in the guild, with the day of the latest earning."""
    rows = await conn.execute(select(reward_earned.c.rule_name, reward_earned.c.earned_on).where(
        reward_earned.c.guild_id == guild_id, reward_earned.c.member_mark == mark))
    return {r.rule_name: r.earned_on for r in rows}


async def record_earning(conn: AsyncConnection, guild_id: int, mark: str, rule_name: str, day: datetime) -> None:
    stmt = insert_for(conn, reward_earned).values(guild_id=guild_id, member_mark=mark, rule_name=rule_name,
                                                  earned_on=day)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=["guild_id", "member_mark", "rule_name"], set_={"earned_on": stmt.excluded.earned_on}))


async def held(conn: AsyncConnection, pool_id: int, mark: str) -> int:
    value = (await conn.execute(select(perk_holders.c.held).where(
        perk_holders.c.pool_id == pool_id, perk_holders.c.member_mark == mark))).scalar_one_or_none()
    return int(value or 0)


async def add_held(conn: AsyncConnection, pool_id: int, mark: str, delta: int) -> None:
    """Count a code claimed (+1) or voided (-1) under the mark (never below 0)."""
    if delta > 0:
        stmt = insert_for(conn, perk_holders).values(pool_id=pool_id, member_mark=mark, held=delta)
        await conn.execute(stmt.on_conflict_do_update(
            index_elements=["pool_id", "member_mark"], set_={"held": perk_holders.c.held + delta}))
    elif delta < 0:
        await conn.execute(update(perk_holders).where(
            perk_holders.c.pool_id == pool_id, perk_holders.c.member_mark == mark, perk_holders.c.held > 0)
            .values(held=perk_holders.c.held + delta))
