"""The ledger's reads for other features, inside the caller's transaction.

Rewards measure a rule, betas check eligibility and contributions write a release receipt *in the
transaction that is deciding* (after the ledger's own writes, under the same member lock), so these take the
caller's ``conn`` instead of opening a connection the way :class:`bot.ledger.LedgerService`'s queries do.
Each one is the ledger store's statement, one round trip, nothing added: they are on the crediting path.

Other features import these (and :class:`bot.ledger.models.Contribution`), never ``bot.ledger.store`` or
``bot.ledger.tables``; the ledger may change its SQL behind them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger import stages_store
from bot.ledger import stages_store as stages_repo
from bot.ledger import store as repo
from bot.ledger.store import ALL_KINDS, ALL_TIME

__all__ = ["ALL_KINDS", "ALL_TIME", "Stats", "counted_points_since", "first_counted_at", "members_by_count",
           "members_with_stats", "stage_index", "stage_moves_since", "stats_for", "total_points", "totals_by_month"]

Stats = dict[tuple[str, str], tuple[int, int]]
"""``{(kind, season): (points, count)}``; kind :data:`ALL_KINDS` is every kind, season :data:`ALL_TIME` all time."""


async def stats_for(conn: AsyncConnection, guild_id: int, user_id: int, seasons: Iterable[str] | None = None
                    ) -> Stats:
    """A member's aggregates; only these ``seasons`` (:data:`ALL_TIME` = all time) when given.

    Pass ``seasons`` on hot paths: a long-active member has a row per kind for every calendar week and month."""
    return await repo.stats_for(conn, guild_id, user_id, seasons)


async def total_points(conn: AsyncConnection, guild_id: int, user_id: int) -> int:
    """A member's all-time points (every kind, counted rows only)."""
    stats = await repo.stats_for(conn, guild_id, user_id, (ALL_TIME,))
    return stats.get((ALL_KINDS, ALL_TIME), (0, 0))[0]


async def counted_points_since(conn: AsyncConnection, guild_id: int, user_id: int, since: datetime) -> int:
    """Net points counted for a member since ``since``, every kind, reversals included (rolling windows)."""
    return await repo.counted_points_since(conn, guild_id, user_id, since)


async def members_with_stats(conn: AsyncConnection, guild_id: int) -> list[int]:
    """Every member who ever had something counted in the guild, by id (ascending)."""
    return await repo.members_with_stats(conn, guild_id)


async def stage_index(conn: AsyncConnection, guild_id: int, user_id: int) -> int:
    """The member's engagement-ladder stage as stored with their totals (0 = the first stage)."""
    found = await stages_repo.stage_since(conn, guild_id, user_id)
    return found[0] if found is not None else 0


async def first_counted_at(conn: AsyncConnection, guild_id: int, user_id: int) -> datetime | None:
    """When the member's first counted credit was recorded (None: nothing counted yet)."""
    return await repo.first_counted_at(conn, guild_id, user_id)


async def totals_by_month(conn: AsyncConnection, guild_id: int, months: Iterable[datetime]
                          ) -> dict[str, tuple[int, int]]:
    """Every member's (points, net count) per calendar month (UTC) holding each of ``months``, keyed
    ``YYYY-MM``; months without contributions are left out."""
    keys = {repo.month_key(m): repo.month_key(m)[1:] for m in months}
    found = await repo.totals_by_season(conn, guild_id, list(keys))
    return {keys[k]: v for k, v in found.items()}


async def members_by_count(conn: AsyncConnection, guild_id: int, min_count: int, limit: int = 200
                           ) -> list[tuple[int, int, int]]:
    """(user_id, net count, points) all time of members with at least ``min_count`` contributions, most first."""
    return await repo.members_by_count(conn, guild_id, min_count, limit)


async def stage_moves_since(conn: AsyncConnection, guild_id: int, start: datetime
                            ) -> list[tuple[int, int, int, datetime]]:
    """(user_id, from_stage, to_stage, at) of every ladder move since ``start``, oldest first."""
    return await stages_store.moves_between(conn, guild_id, start)
