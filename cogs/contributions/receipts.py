"""Receipt DMs, each a durable job written with its credit (see :mod:`bot.contributions.jobs`).

A failure is classified by :mod:`bot.platform.jobs.effects`: 429, 5xx and no answer are retried by the
scheduler with back-off; closed DMs (50007) and no mutual guild (50278) end the job with an audit line,
and so does a user Discord no longer knows (10013): the member still sees the entry in ``/profile`` and
staff in ``/contrib history``. Nothing is said in a public channel instead, so a member whose DMs are closed
is asked once per entry and never pinged.

At most once, where it can be helped: :func:`bot.core.dm.deliver_dm` first looks for its own text among the
bot's recent messages in the DM channel on a job's second run (as :mod:`cogs.feedback.notices` does).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from discord.ext import commands

from bot.contributions.jobs import HEADLINES, RECEIPT_EVENT
from bot.core.dm import deliver_dm
from bot.platform.jobs.effects import Retry
from cogs.contributions._common import receipts_mode

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)

RECEIPT_CLOSED = "they can't get DMs from the bot (the entry is in /profile)"


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
                         what=f"DM a receipt to member {user_id}", closed=RECEIPT_CLOSED)
