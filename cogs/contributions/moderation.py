"""Staff: ``/contrib give|revoke|history|explain``; every action goes in the audit log."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.contributions import receipt_line
from bot.core.checks import require
from bot.core.errors import NO_MENTIONS
from bot.platform import markdown
from bot.platform.config import ContributionKind
from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_
from cogs.contributions._common import guild_of, place, start_jobs

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

Kind = ContributionKind  # the choices of the kind option: every contribution kind
_LINK = re.compile(r"(?:channels/\d+/\d+/)?(\d{15,21})\s*$")


class Moderation(commands.Cog):
    contrib = app_commands.Group(name="contrib", description="Staff tools for the contribution ledger",
                                 guild_only=True, default_permissions=discord.Permissions(manage_guild=True))

    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    @contrib.command(name="give", description="Credit a member by hand (with a reason)")
    @app_commands.describe(member="Who to credit", kind="Kind of contribution", reason="Why (shown to the member)",
                           points="Points (default: the configured points for the kind)")
    @require("staff")
    async def give(self, interaction: discord.Interaction, member: discord.User, kind: Kind,
                   reason: app_commands.Range[str, 1, 300], points: app_commands.Range[int, 0, 1000] | None = None,
                   ) -> None:
        guild = guild_of(interaction)
        target = guild.get_member(member.id)
        if target is None or member.bot:
            raise InvalidInput(N_("**{value}** is not a member of this server (or is a bot), so they can't "
                                  "be credited."),
                               value=discord.utils.escape_markdown(member.name))
        result = await self.bot.app.contributions.give(
            guild_id=guild.id, actor_id=interaction.user.id, user_id=target.id, kind=kind, points=points,
            reason=reason, source_key=f"manual:{interaction.id}", joined_at=target.joined_at,
        )
        await interaction.response.send_message(f"Entry #{result.contribution_id}: {result.message}",
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)
        start_jobs(self.bot)

    @contrib.command(name="revoke", description="Reverse a ledger entry (rewards are re-evaluated)")
    @app_commands.describe(entry="The entry number (see /contrib history)", reason="Why (shown to the member)")
    @require("staff")
    async def revoke(self, interaction: discord.Interaction, entry: app_commands.Range[int, 1],
                     reason: app_commands.Range[str, 1, 300]) -> None:
        guild = guild_of(interaction)
        result = await self.bot.app.contributions.revoke(
            guild_id=guild.id, actor_id=interaction.user.id, contribution_id=entry, reason=reason)
        await interaction.response.send_message(result.message, ephemeral=True, allowed_mentions=NO_MENTIONS)
        start_jobs(self.bot)

    @contrib.command(name="history", description="A member's ledger entries, newest first")
    @app_commands.describe(member="Whose history")
    @require("staff")
    async def history(self, interaction: discord.Interaction, member: discord.User) -> None:
        guild = guild_of(interaction)
        entries = await self.bot.app.ledger.history(guild.id, member.id, limit=20)
        await self.bot.app.contributions.record_view(guild_id=guild.id, actor_id=interaction.user.id,
                                                          user_id=member.id, action="contrib.history")
        lines = []
        for r in entries:
            channel, thread = place(guild, r)
            lines.append(f"`#{r.id}` {receipt_line(r, channel=channel, thread=thread)}")
        embed = discord.Embed(title=f"Ledger of {markdown.inline(member.display_name)}"[:256],
                              description="\n".join(lines)[:4000] or "No entries yet.")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @contrib.command(name="explain", description="Why did (or didn't) something count for a member?")
    @app_commands.describe(member="Whose credit", message="A message link or id (optional: else the latest entries)")
    @require("staff")
    async def explain(self, interaction: discord.Interaction, member: discord.User, message: str | None = None) -> None:
        guild = guild_of(interaction)
        message_id = None
        if message:
            found = _LINK.search(message.strip())
            if found is None:
                raise InvalidInput(N_("Give a message link (Copy Message Link) or a message id."))
            message_id = int(found.group(1))
        sentences = await self.bot.app.ledger.explain(guild.id, member.id, message_id=message_id)
        await self.bot.app.contributions.record_view(guild_id=guild.id, actor_id=interaction.user.id,
                                                          user_id=member.id, action="contrib.explain")
        embed = discord.Embed(title=f"Why it counted (or not): {markdown.inline(member.display_name)}"[:256],
                              description="\n".join(f"• {s}" for s in sentences)[:4000])
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)
