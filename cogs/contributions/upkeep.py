"""Periodic ledger work: releasing credit held for probation, and the daily reciprocal-ring report."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.contributions import DAILY, RELEASE, RELEASE_RECEIPT, release_receipt
from bot.core import i18n
from bot.core.errors import NO_MENTIONS
from cogs.contributions._common import receipts_mode
from cogs.contributions.receipts import deliver_dm

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)


class Upkeep(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.scheduler.register(RELEASE, self.release)
        self.bot.scheduler.register(RELEASE_RECEIPT, self.release_receipt)
        self.bot.scheduler.register(DAILY, self.daily)

    async def cog_unload(self) -> None:
        self.bot.scheduler.unregister(RELEASE)
        self.bot.scheduler.unregister(RELEASE_RECEIPT)
        self.bot.scheduler.unregister(DAILY)

    @commands.Cog.listener()
    async def on_kudos_guild_ready(self, guild: discord.Guild) -> None:
        await self.bot.app.contributions.schedule_daily(guild.id)

    async def release(self, payload: dict[str, Any], _timer: Any) -> None:
        """A probation ended: count the held credit (idempotent, so overlapping timers are harmless)."""
        guild_id = int(payload["guild_id"])
        released = await self.bot.app.contributions.release(guild_id, receipts=self._dm_receipts(guild_id))
        log.info("released %d held credit(s) in guild %s", released, guild_id)

    def _dm_receipts(self, guild_id: int) -> bool:
        # "ephemeral" notes ride on the reply to whoever triggered a credit; a release has no such reply.
        return receipts_mode(self.bot, guild_id) == "dm"

    async def release_receipt(self, payload: dict[str, Any], timer: Any) -> None:
        """DM the receipt queued with a probation release. DMs closed: dropped with an audit line, like every
        receipt (:mod:`cogs.contributions.receipts`). Any other failure raises, so the durable timer retries
        it (the release stays as it is)."""
        guild_id, user_id = int(payload["guild_id"]), int(payload["user_id"])
        if not self._dm_receipts(guild_id):
            return  # receipts were turned off (or made ephemeral) since the release
        guild = self.bot.get_guild(guild_id)
        where = guild.name if guild is not None else "your server"
        text = release_receipt(int(payload["points"]), int(payload["count"]), int(payload["total"]))
        await deliver_dm(self.bot, user_id, f"**Kudos released** in {where}: {text}", timer,
                         what=f"DM a release receipt to member {user_id}", retry_refusals=True)

    async def daily(self, payload: dict[str, Any], timer: Any) -> None:
        guild_id = int(payload["guild_id"])
        svc = self.bot.app.contributions
        try:
            await svc.release(guild_id, receipts=self._dm_receipts(guild_id))
            guild = self.bot.get_guild(guild_id)
            if guild is not None:
                await self.report_rings(guild)
        finally:
            await svc.schedule_daily(guild_id, after=timer.due_at)

    async def report_rings(self, guild: discord.Guild) -> None:
        cfg = self.bot.guild_config(guild.id).ledger
        rings = await self.bot.app.contributions.rings_to_report(
            guild.id, window_days=cfg.ring_window_days, min_exchanges=cfg.ring_min_exchanges)
        if not rings:
            return
        channel = guild.get_channel(self.bot.settings(guild.id).channel("staff_log") or 0)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("ring report for guild %s: no staff_log channel", guild.id)
            return
        lines = [f"• <@{r.a}> → <@{r.b}>: {r.a_to_b} · <@{r.b}> → <@{r.a}>: {r.b_to_a}" for r in rings[:20]]
        tr = i18n.for_guild(self.bot, guild)  # the staff log speaks the server's language
        embed = discord.Embed(
            title=tr("Possible reciprocal kudos"),
            description=(tr("These members mostly thank or curate each other (last {days} days). Nothing was "
                            "revoked; have a look and use /contrib revoke if it is gaming.",
                            days=cfg.ring_window_days) + "\n" + "\n".join(lines))[:4000],
            colour=discord.Colour.orange(),
        )
        await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
