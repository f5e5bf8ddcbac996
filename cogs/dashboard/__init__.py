"""``/dashboard``: a one-time login link to the staff web dashboard (bot/web), answered ephemerally."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.checks import require
from bot.core.errors import NO_MENTIONS
from bot.platform.errors import NotFound
from bot.platform.i18n import N_

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)


class Dashboard(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    @app_commands.command(name="dashboard", description="A one-time login link to the staff web dashboard (staff)")
    @app_commands.guild_only()
    @require("staff")
    async def dashboard(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        if self.bot.web is None:
            raise NotFound(N_("The web dashboard is off. An admin can turn it on with `[web] enabled = true` in the "
                           "config (see docs/dashboard.md)."))
        url = self.bot.web.login_url(interaction.guild_id, interaction.user.id)
        log.info("dashboard link issued to %s in guild %s", interaction.user.id, interaction.guild_id)
        # <...> keeps Discord from fetching the link for a preview (which would not use it, but still).
        await interaction.response.send_message(
            f"Your login link for the dashboard: <{url}>\nIt works once, for you only, for 10 minutes. "
            "Don't share it.", ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: KudosBot) -> None:
    await bot.add_cog(Dashboard(bot))
