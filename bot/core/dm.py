"""A DM as a job's effect (see :mod:`bot.platform.jobs.effects`): sent once, and classified when it fails.

A job that runs again (a retry, or a claim taken over after a crash between the send and the bookkeeping)
first looks for its own text among the bot's recent messages in the DM channel and does not send it again.
429, 5xx and no answer are retried; closed DMs (50007) and no mutual guild (50278) end the job with an audit
line naming where the member finds it instead (``closed``), as does a user Discord no longer knows.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.core.effect_errors import outcome
from bot.core.errors import NO_MENTIONS
from bot.platform.jobs.effects import Action, Drop, GiveUp, Retry

log = logging.getLogger(__name__)

HISTORY = 25


async def already_sent(bot: Any, channel: discord.DMChannel, text: str, timer: Any) -> bool:
    """On a job's second run or later: whether its DM is already among the channel's recent messages."""
    if getattr(timer, "attempts", 1) <= 1 or bot.user is None:
        return False
    async for old in channel.history(limit=HISTORY):
        if old.author.id == bot.user.id and old.content == text:
            return True
    return False


async def deliver_dm(bot: Any, user_id: int, text: str, timer: Any, *, what: str, closed: str,
                     retry_refusals: bool = False) -> None:
    """Send ``text`` to ``user_id`` by DM as a job's effect: returns when it was sent (or already had been),
    raises :class:`Retry`, :class:`Drop` or :class:`GiveUp` for the scheduler otherwise. ``closed``: what the
    audit line says when their DMs are closed (where they find it instead). ``retry_refusals``: a 4xx Discord
    gives no known code for is retried too instead of failing the job at once."""
    user = bot.get_user(user_id)
    if user is not None and user.bot:
        return
    text = text[:2000]
    try:
        channel = await bot.create_dm(discord.Object(user_id))
        if await already_sent(bot, channel, text, timer):
            log.info("%s: already sent before a retry, not sending it again", what)
            return
        await channel.send(text, allowed_mentions=NO_MENTIONS)
    except Exception as exc:  # noqa: BLE001 - classified below; no Discord failure (a bug) is re-raised
        action, failure = outcome(exc)
        if action is Action.RETRY or (retry_refusals and action is Action.FAIL):
            raise Retry(what, failure) from exc
        if action is Action.FALLBACK:
            raise Drop(f"{what}: {closed}", failure) from exc
        if action is Action.DROP:
            raise Drop(what, failure) from exc
        raise GiveUp(what, failure) from exc


__all__ = ["already_sent", "deliver_dm"]
