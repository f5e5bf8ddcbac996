"""Peer thanks: ``/thanks member [reason]`` and the "Thank" context menus (on a member or a message)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.checks import member_has
from bot.core.errors import NO_MENTIONS
from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_
from cogs.contributions._common import (
    GUILD_ONLY,
    fresh_message,
    guild_of,
    member_or_left,
    outcome_text,
    start_jobs,
)

if TYPE_CHECKING:
    from bot.core.bot import KudosBot


class Thanks(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot
        self.user_menu = app_commands.ContextMenu(name="Thank", callback=self.thank_user, allowed_contexts=GUILD_ONLY)
        self.message_menu = app_commands.ContextMenu(name="Thank", callback=self.thank_message, allowed_contexts=GUILD_ONLY)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.user_menu)
        self.bot.tree.add_command(self.message_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.user_menu.name, type=self.user_menu.type)
        self.bot.tree.remove_command(self.message_menu.name, type=self.message_menu.type)

    async def _thank(self, interaction: discord.Interaction, receiver: discord.abc.User, *, source_key: str,
                     reason: str = "", message: discord.Message | None = None) -> None:
        guild = guild_of(interaction)
        if receiver.bot:
            raise InvalidInput(N_("Bots don't collect kudos; thank the member who helped you."))
        member = await member_or_left(guild, receiver, "That member")
        channel = interaction.channel
        thread_id = channel.id if isinstance(channel, discord.Thread) else None
        channel_id = channel.parent_id if isinstance(channel, discord.Thread) else interaction.channel_id
        result = await self.bot.app.contributions.thank(
            guild_id=guild.id, giver_id=interaction.user.id, receiver_id=member.id,
            receiver_joined_at=member.joined_at, source_key=source_key, reason=reason.strip(),
            channel_id=channel_id, thread_id=thread_id, message_id=message.id if message else None,
        )
        if result.status in ("credited", "pending", "capped") and member_has(interaction, "staff"):
            # thanks from staff is something the brand gave (bot.giveback), keyed by the ledger entry
            await self.bot.app.giveback.record(guild.id, member.id, "staff_thanks",
                                               source_key=f"thanks:{result.contribution_id}",
                                               detail=reason.strip()[:200], actor_id=interaction.user.id)
        head = "🙏 Thanks sent." if result.status == "credited" else "🙏 Thanks recorded."
        await interaction.response.send_message(f"{head} {outcome_text(self.bot, guild.id, result)}",
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)
        start_jobs(self.bot)

    @app_commands.command(name="thanks", description="Thank a member who helped you (earns them kudos)")
    @app_commands.describe(member="Who helped you", reason="What they did (optional, shown to them)")
    @app_commands.guild_only()
    async def thanks(self, interaction: discord.Interaction, member: discord.User,
                     reason: app_commands.Range[str, 0, 200] = "") -> None:
        await self._thank(interaction, member, source_key=f"thanks:{interaction.id}", reason=reason)

    async def thank_user(self, interaction: discord.Interaction, user: discord.User) -> None:
        await self._thank(interaction, user, source_key=f"thanks:{interaction.id}")

    async def thank_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        post = await fresh_message(message.channel, message.id)
        await self._thank(interaction, post.author, source_key=f"thanks:msg:{post.id}:{interaction.user.id}",
                          message=post)
