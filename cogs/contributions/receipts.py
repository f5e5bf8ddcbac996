"""Receipt DMs, each a durable job written with its credit (see :mod:`bot.contributions.jobs`).

A failure is classified by :mod:`bot.platform.jobs.effects`: 429, 5xx and no answer are retried by the
scheduler with back-off; closed DMs (50007) and no mutual guild (50278) end the job with an audit line,
and so does a user Discord no longer knows (10013): the member still sees the entry in ``/profile`` and
staff in ``/contrib history``. Nothing is said in a public channel instead, so a member whose DMs are closed
is asked once per entry and never pinged.

At most once, where it can be helped: a job that runs again (a retry, or a claim taken over after a crash
between the send and the bookkeeping) first looks for its own text among the bot's recent messages in the
DM channel and does not send it again (as :mod:`cogs.feedback.notices` does).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.contributions.jobs import HEADLINES, RECEIPT_EVENT
from bot.core.effect_errors import outcome
from bot.core.errors import NO_MENTIONS
from bot.platform.jobs.effects import Action, Drop, GiveUp, Retry
from cogs.contributions._common import receipts_mode

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)

HISTORY = 25


async def _already_sent(bot: KudosBot, channel: discord.DMChannel, text: str, timer: Any) -> bool:
    """On a job's second run or later: whether its DM is already among the channel's recent messages."""
    if getattr(timer, "attempts", 1) <= 1 or bot.user is None:
        return False
    async for old in channel.history(limit=HISTORY):
        if old.author.id == bot.user.id and old.content == text:
            return True
    return False


async def deliver_dm(bot: KudosBot, user_id: int, text: str, timer: Any, *, what: str,
                     retry_refusals: bool = False) -> None:
    """Send ``text`` to ``user_id`` by DM as a job's effect: returns when it was sent (or already had been),
    raises :class:`Retry`, :class:`Drop` or :class:`GiveUp` for the scheduler otherwise. ``retry_refusals``:
    a 4xx Discord gives no known code for is retried too instead of failing the job at once."""
    user = bot.get_user(user_id)
    if user is not None and user.bot:
        return
    text = text[:2000]
    try:
        channel = await bot.create_dm(discord.Object(user_id))
        if await _already_sent(bot, channel, text, timer):
            log.info("%s: already sent before a retry, not sending it again", what)
            return
        await channel.send(text, allowed_mentions=NO_MENTIONS)
    except Exception as exc:  # noqa: BLE001 - classified below; no Discord failure (a bug) is re-raised
        action, failure = outcome(exc)
        if action is Action.RETRY or (retry_refusals and action is Action.FAIL):
            raise Retry(what, failure) from exc
        if action is Action.FALLBACK:
            raise Drop(f"{what}: they can't get DMs from the bot (the entry is in /profile)", failure) from exc
        if action is Action.DROP:
            raise Drop(what, failure) from exc
        raise GiveUp(what, failure) from exc


class Receipts(commands.Cog):
    """Runs the receipt jobs that credits write (``ledger.receipts = "dm"``)."""

    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.scheduler.register(RECEIPT_EVENT, self.send_receipt)

    async def cog_unload(self) -> None:
        self.bot.scheduler.unregister(RECEIPT_EVENT)

    async def send_receipt(self, payload: dict[str, Any], timer: Any) -> None:
        """DM one member the receipt of one ledger entry (its text as of the credit)."""
        guild_id, user_id = int(payload["guild_id"]), int(payload["user_id"])
        if receipts_mode(self.bot, guild_id) != "dm":
            return  # receipts were turned off (or made ephemeral) since the credit
        guild = self.bot.get_guild(guild_id)
        if guild is None:  # jobs due at start run before the gateway has sent the guilds
            raise Retry(f"guild {guild_id} is not available (yet)")
        headline = HEADLINES.get(str(payload.get("status")), "Kudos")
        await deliver_dm(self.bot, user_id, f"**{headline}** in {guild.name}: {payload['receipt']}", timer,
                         what=f"DM a receipt to member {user_id}")
