"""Creation: staff "Approve guide" on a post in a creation channel or forum credits its author."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.checks import member_has
from bot.core.errors import NO_MENTIONS
from bot.platform.errors import InvalidInput, NotAllowed
from bot.platform.i18n import N_
from cogs.contributions._common import (
    GUILD_ONLY,
    creation_channel_ids,
    fresh_channel,
    fresh_message,
    guild_of,
    member_or_left,
    outcome_text,
    start_jobs,
)

if TYPE_CHECKING:
    from bot.core.bot import KudosBot


class Creation(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Approve guide", callback=self.approve_guide, allowed_contexts=GUILD_ONLY)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def approve_guide(self, interaction: discord.Interaction, message: discord.Message) -> None:
        guild = guild_of(interaction)
        if not member_has(interaction, "staff") and not await self.bot.app.privileges.holds(
                guild.id, interaction.user.id, "approve_guides"):
            raise NotAllowed(N_("Only staff and members with the Approve guides privilege can approve guides."))
        allowed = creation_channel_ids(self.bot, guild)
        where = await fresh_channel(self.bot, message.channel.id)
        parent_id = where.parent_id if isinstance(where, discord.Thread) else where.id
        if where.id not in allowed and parent_id not in allowed:
            places = ", ".join(f"<#{i}>" for i in sorted(allowed)) or "no channel yet (creation.channels)"
            raise InvalidInput(N_("“Approve guide” works on posts in the guide channels: {places}."),
                               places=places)
        post = await fresh_message(where, message.id)
        if post.author.bot:
            raise InvalidInput(N_("Bot messages can't be approved as guides."))
        author = await member_or_left(guild, post.author, "The author of that guide")
        result = await self.bot.app.contributions.approve_guide(
            guild_id=guild.id, channel_id=parent_id, thread_id=where.id if isinstance(where, discord.Thread) else None,
            message_id=post.id, author_id=author.id, author_joined_at=author.joined_at,
            actor_id=interaction.user.id, title=where.name if isinstance(where, discord.Thread) else "",
        )
        await interaction.response.send_message(
            f"📘 Guide approved: {post.jump_url}\n{outcome_text(self.bot, guild.id, result)}",
            ephemeral=True, allowed_mentions=NO_MENTIONS)
        start_jobs(self.bot)
