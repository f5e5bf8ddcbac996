"""``/kudos status``: what a moderator needs to know about the bot's set-up in this server; ``/kudos link`` and
``/kudos unlink``: a member's Linked Roles connection (docs/linked-roles.md)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import i18n
from bot.core.checks import require
from bot.core.errors import NO_MENTIONS
from bot.platform import deferred, diagnostics
from bot.platform.db import migrate
from bot.platform.errors import NotFound
from bot.platform.i18n import N_
from bot.platform.jobs import store as timer_repo


def _granted(perms: discord.Permissions) -> set[str]:
    # getattr, not iteration: iterating Permissions skips aliases such as view_channel.
    return {name for name in diagnostics.PERMISSION_NAMES if getattr(perms, name, False)}


class Admin(commands.Cog):
    kudos = app_commands.Group(name="kudos", description="Kudos set-up and health", guild_only=True)

    def __init__(self, bot) -> None:  # type: ignore[no-untyped-def]
        self.bot = bot

    @kudos.command(name="link", description="Show your Kudos numbers on your Discord profile (Linked Roles)")
    async def link(self, interaction: discord.Interaction) -> None:
        if not self.bot.app.linked_roles.enabled or self.bot.web is None:
            raise NotFound(N_("Linked roles are not turned on for this bot (see docs/linked-roles.md)."))
        # <...>: no link preview. The page is the app's verification URL, as in the server's Linked Roles menu.
        url = f"{self.bot.web.base_url}/linked-roles"
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(
            tr("Open <{url}> and authorise Kudos on Discord's page: your points, accepted answers and the like then "
               "appear on your profile, and roles that require them can be yours. `/kudos unlink` stops it.",
               url=url),
            ephemeral=True, allowed_mentions=NO_MENTIONS)

    @kudos.command(name="unlink", description="Stop showing your Kudos numbers on your Discord profile")
    async def unlink(self, interaction: discord.Interaction) -> None:
        await self.bot.app.linked_roles.unlink(interaction.user.id)
        self.bot.tasks.spawn(self.bot.scheduler.run_due(), name="linked-roles-clear")
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(
            tr("Unlinked: Kudos removes your numbers from your Discord profile and gives up its access."),
            ephemeral=True, allowed_mentions=NO_MENTIONS)

    @kudos.command(name="status", description="Check the bot's set-up here: config, permissions, database")
    @require("staff")
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        settings = self.bot.resolve_guild(guild)
        me = guild.me
        tr = i18n.for_reader(interaction)
        findings: list[diagnostics.Finding] = [diagnostics.Finding(tr("config"), p) for p in settings.problems]
        for key in ("announcements", "showcase", "staff_log", "feedback_forum"):
            channel = guild.get_channel(settings.channel(key) or 0)
            if channel is not None:
                findings += diagnostics.missing_permissions(f"#{channel.name}", key, _granted(channel.permissions_for(me)))
        for forum_id in settings.help_forums:
            channel = guild.get_channel(forum_id)
            if channel is not None:
                findings += diagnostics.missing_permissions(f"#{channel.name}", "help_forums",
                                                            _granted(channel.permissions_for(me)))
        if not me.guild_permissions.manage_roles:
            findings.append(diagnostics.Finding(tr("server"),
                                                tr("missing Manage Roles (needed to give reward roles)")))

        async with self.bot.db.connect() as conn:
            pending = len(await timer_repo.pending(conn))
        revision = await migrate.current_revision(self.bot.db)
        embed = discord.Embed(title=tr("Kudos status"), colour=discord.Colour.green() if not findings
                              else discord.Colour.orange())
        embed.add_field(name=tr("Database"), value=tr("{dialect}, schema {revision}", dialect=self.bot.db.dialect,
                                                      revision=revision), inline=True)
        embed.add_field(name=tr("Pending timers"), value=tr.number(pending), inline=True)
        if findings:
            lines = [f"• **{f.where}**: {deferred.render(tr, f.problem)}" for f in findings[:20]]
            embed.add_field(name=tr("Needs attention ({count})", count=tr.number(len(findings))),
                            value="\n".join(lines)[:1024], inline=False)
        else:
            embed.add_field(name=tr("Set-up"), value=tr("Everything I need is in place."), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot) -> None:  # type: ignore[no-untyped-def]
    await bot.add_cog(Admin(bot))
