"""Feedback's reads for other features, inside the caller's transaction.

Betas count a member's feedback when they nudge and close a beta (in the closing transaction, under the
beta's lock) and announcements gather the shipped items for the "what we changed because of you" post, so
these take the caller's ``conn``. Each one is the feedback store's statement(s), nothing added.

Other features import these (and :class:`ShippedItem`), never ``bot.feedback.store`` or
``bot.feedback.tables``; feedback may change its SQL behind them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback import store as repo
from bot.feedback.store import ShippedItem

__all__ = ["ShippedItem", "beta_breakdown", "beta_reporters", "beta_shipped"]


async def beta_breakdown(conn: AsyncConnection, beta_id: int) -> list[tuple[str, str, int]]:
    """``(type, status, count)`` of the beta's feedback, most common first."""
    return await repo.beta_breakdown(conn, beta_id)


async def beta_reporters(conn: AsyncConnection, beta_id: int) -> dict[int, int]:
    """``{reporter: count}`` of the beta's feedback past review (neither pending nor rejected)."""
    return await repo.beta_reporters(conn, beta_id)


async def beta_shipped(conn: AsyncConnection, beta_id: int) -> list[ShippedItem]:
    """The beta's shipped items, oldest first; ``reporters``: the reporter, then those of merged duplicates."""
    return await repo.beta_shipped(conn, beta_id)
