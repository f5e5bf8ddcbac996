"""The reward bar's read (:mod:`bot.rewards.progress`) in one statement: the guild's enabled rules, each
left-joined to the member's grants of it, and the rules the member's mark earned (an earning that outlived an
erasure, :mod:`bot.rewards.marks`), as one ``UNION ALL`` of two branches with the same columns (typed NULLs
where a branch has none). It used to be two to three statements, each a hop to aiosqlite's thread (a round
trip on PostgreSQL), and the statement was built anew on every call. Built once here, with bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.db.types import Snowflake, UTCDateTime
from bot.rewards.store import PastGrant, RuleRow
from bot.rewards.tables import grants, reward_earned, reward_rules

_RULE, _EARNED = 0, 1


@dataclass(frozen=True, slots=True)
class BarData:
    rules: list[tuple[RuleRow, list[PastGrant]]]  # by rule name; each rule's grants oldest first
    earned: dict[str, datetime]  # {rule name: the day the mark last earned it}


def _statement() -> Any:
    guild_id, user_id = bindparam("guild_id", type_=Snowflake), bindparam("user_id", type_=Snowflake)
    mark = bindparam("mark", type_=String)
    g = grants
    rules = select(
        literal(_RULE, Integer).label("part"), reward_rules.c.id, reward_rules.c.guild_id, reward_rules.c.name,
        reward_rules.c.definition, reward_rules.c.origin, reward_rules.c.enabled,
        g.c.id.label("grant_id"), g.c.dedupe_key, g.c.status.label("grant_status"),
        g.c.created_at.label("granted_at"), g.c.last_error, type_coerce(null(), UTCDateTime).label("earned_on"),
    ).select_from(reward_rules.outerjoin(g, and_(g.c.guild_id == reward_rules.c.guild_id, g.c.user_id == user_id,
                                                 g.c.rule_name == reward_rules.c.name))
                  ).where(reward_rules.c.guild_id == guild_id, reward_rules.c.enabled.is_(True))
    earned = select(
        literal(_EARNED, Integer).label("part"), type_coerce(null(), Integer).label("id"),
        type_coerce(null(), Snowflake).label("guild_id"), reward_earned.c.rule_name.label("name"),
        type_coerce(null(), JSON).label("definition"), type_coerce(null(), String).label("origin"),
        type_coerce(null(), Boolean).label("enabled"), type_coerce(null(), Integer).label("grant_id"),
        type_coerce(null(), String).label("dedupe_key"), type_coerce(null(), String).label("grant_status"),
        type_coerce(null(), UTCDateTime).label("granted_at"), type_coerce(null(), String).label("last_error"),
        reward_earned.c.earned_on,
    ).where(reward_earned.c.guild_id == guild_id, reward_earned.c.member_mark == mark)
    return union_all(rules, earned)


_STATEMENT: list[Any] = []


async def bar_data(conn: AsyncConnection, guild_id: int, user_id: int, mark: str) -> BarData:
    if not _STATEMENT:
        _STATEMENT.append(_statement())
    rows = await conn.execute(_STATEMENT[0], {"guild_id": guild_id, "user_id": user_id, "mark": mark})
    out: dict[str, tuple[RuleRow, list[PastGrant]]] = {}
    earned: dict[str, datetime] = {}
    for r in rows:
        if r.part == _EARNED:
            earned[r.name] = r.earned_on
            continue
        if r.name not in out:
            out[r.name] = (RuleRow(r.id, r.guild_id, r.name, dict(r.definition), r.origin, bool(r.enabled)), [])
        if r.dedupe_key is not None:
            out[r.name][1].append(PastGrant(r.grant_id, r.name, r.dedupe_key, r.grant_status, r.granted_at,
                                            r.last_error))
    for _row, past in out.values():
        past.sort(key=lambda p: p.id)
    return BarData([out[name] for name in sorted(out)], earned)
