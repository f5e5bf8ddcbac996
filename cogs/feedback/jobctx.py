"""The opening every feedback job handler shares: its guild (not there yet → retried) and its item (gone →
dropped with a ``job.dropped`` audit line)."""

from __future__ import annotations

from typing import Any

import discord

from bot.feedback import FeedbackItem
from bot.platform.errors import KudosError
from bot.platform.jobs.effects import Drop, Retry


async def job_item(bot: Any, service: Any, payload: dict[str, Any]) -> tuple[discord.Guild, FeedbackItem]:
    """The job's guild and item (``payload``: ``guild_id`` and ``feedback_id``). Raises :class:`Retry` while
    the gateway has not sent the guild (jobs due at start run before it does), :class:`Drop` for an item that
    is gone."""
    guild_id = int(payload["guild_id"])
    guild = bot.get_guild(guild_id)
    if guild is None:
        raise Retry(f"guild {guild_id} is not available (yet)")
    try:
        item = await service.get(guild_id, int(payload["feedback_id"]))
    except KudosError as exc:
        raise Drop(f"feedback #{payload['feedback_id']} is gone: {exc}") from None
    return guild, item


__all__ = ["job_item"]
