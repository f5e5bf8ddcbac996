"""The betas' reads for other features, inside the caller's transaction.

Announcements name a beta in the staff log and check it is closed before the "what we changed" post;
feedback finds the beta of a forum and the forum of a beta. These take the caller's ``conn`` (one statement
of :mod:`bot.betas.store` each, nothing added), so a caller reads inside the transaction it is deciding in.

Other features import these (and :class:`BetaRow`), never ``bot.betas.store`` or ``bot.betas.tables``;
betas may change their SQL behind them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.betas import store as repo
from bot.betas.store import BetaRow

__all__ = ["BetaRow", "betas_joined", "by_id", "feedback_forums", "get", "id_for_forum", "id_named", "names_newest_first"]


async def get(conn: AsyncConnection, guild_id: int, beta_id: int) -> BetaRow | None:
    """The beta ``beta_id`` of the guild, or ``None``."""
    return await repo.get(conn, guild_id, beta_id)


async def by_id(conn: AsyncConnection, beta_id: int) -> BetaRow | None:
    """The beta ``beta_id`` of any guild, or ``None``."""
    return await repo.by_id(conn, beta_id)


async def id_named(conn: AsyncConnection, guild_id: int, name: str) -> int | None:
    """The id of the beta called exactly ``name`` (case-sensitive), or ``None``."""
    return await repo.id_named(conn, guild_id, name)


async def names_newest_first(conn: AsyncConnection, guild_id: int) -> list[str]:
    """Every beta's name in the guild, the newest first."""
    return await repo.names_newest_first(conn, guild_id)


async def id_for_forum(conn: AsyncConnection, guild_id: int, forum_id: int) -> int | None:
    """The beta whose own feedback forum is ``forum_id``, or ``None``."""
    return await repo.id_for_forum(conn, guild_id, forum_id)


async def feedback_forums(conn: AsyncConnection, guild_id: int) -> set[int]:
    """The betas' own feedback forums in the guild."""
    return await repo.feedback_forums(conn, guild_id)


async def betas_joined(conn: AsyncConnection, guild_id: int, user_id: int) -> int:
    """How many of the guild's betas the member joined (left or removed since included; waitlisted only, not)."""
    return await repo.betas_joined(conn, guild_id, user_id)
