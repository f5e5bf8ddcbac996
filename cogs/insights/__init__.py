"""``/stats overview``, ``/stats member`` and ``/export`` for staff; help-forum posts recorded for the answer rate.

Charts are rendered in the chart process (``bot.insights.renderer``) after deferring, and each PNG carries its text
summary as the attachment description (alt text) and in the message.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import i18n
from bot.core.checks import holds, require
from bot.core.errors import NO_MENTIONS
from bot.insights import MAX_FILES_PER_MESSAGE, package
from bot.platform.i18n import N_
from bot.platform.markdown import inline

if TYPE_CHECKING:
    from bot.core.bot import KudosBot
    from bot.insights.charts import Chart

log = logging.getLogger(__name__)

Period = Literal["7d", "30d", "90d", "365d", "all"]
What = Literal["contributions", "feedback", "betas"]
DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024
# The overview's charts as the reply names them (bot.insights.charts: Chart.name), and what /export exports.
CHART_NAMES = {"contributions": N_("Contributions"), "ladder": N_("Ladder"), "betas": N_("Betas"),
               "feedback": N_("Feedback"), "help": N_("Help")}
EXPORT_NAMES = {"contributions": N_("contributions"), "feedback": N_("feedback"), "betas": N_("betas")}


def is_staff(bot: KudosBot, guild: discord.Guild, user_id: int) -> bool:
    member = guild.get_member(user_id)
    return member is not None and holds(bot, member, "staff")


def staff_or_gone(bot: KudosBot, guild: discord.Guild, user_id: int) -> bool:
    """Left out of "people to thank": staff, and members no longer in the server."""
    member = guild.get_member(user_id)
    return member is None or holds(bot, member, "staff")


def _files(rendered: list[Chart]) -> list[discord.File]:
    return [discord.File(io.BytesIO(c.png), filename=c.filename, description=c.summary[:1024]) for c in rendered]


class Insights(commands.Cog):
    stats = app_commands.Group(name="stats", description="Charts of the community's health (staff)", guild_only=True)

    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_sync_listener("thread_create", self._on_thread_create)

    async def cog_unload(self) -> None:
        self.bot.remove_sync_listener("thread_create", self._on_thread_create)

    @property
    def service(self):  # type: ignore[no-untyped-def]
        return self.bot.app.insights

    def _period(self, guild_id: int, period: str | None) -> str:
        return period or self.bot.guild_config(guild_id).insights.default_period

    @stats.command(name="overview", description="Contributions, ladder, betas, feedback and help answers as charts")
    @app_commands.describe(period="How far back to look (default: the server's insights.default_period)")
    @require("staff")
    async def overview(self, interaction: discord.Interaction, period: Period | None = None) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        numbers = await self.service.overview(interaction.guild_id, self._period(interaction.guild_id, period))
        lang = i18n.for_reader(interaction).lang  # the charts speak the staff member's language
        rendered = await self.bot.app.charts.draw_overview(numbers, "png", lang)  # in the chart processes
        tr = i18n.for_reader(interaction)
        text = "\n".join(f"**{tr(CHART_NAMES[c.name]) if c.name in CHART_NAMES else c.name.title()}**: {c.summary}"
                         for c in rendered)
        await interaction.followup.send(text[:2000], files=_files(rendered), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)

    @stats.command(name="member", description="One member's contributions and stages over time")
    @require("staff")
    async def member(self, interaction: discord.Interaction, member: discord.Member) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        timeline = await self.service.member_timeline(interaction.guild_id, member.id)
        chart = await self.bot.app.charts.draw("timeline_chart", timeline, member.display_name, "png",
                                            i18n.for_reader(interaction).lang)
        # the summary names the member: their display name is member text (the alt text is shown verbatim)
        await interaction.followup.send(inline(chart.summary)[:2000], files=_files([chart]), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)

    @stats.command(name="giveback", description="What the community got back, per month, and who to thank")
    @require("staff")
    async def giveback(self, interaction: discord.Interaction) -> None:
        guild = interaction.guild
        assert guild is not None
        svc = self.bot.app.giveback
        months = await svc.balance(guild.id)
        people = await svc.people_to_thank(guild.id, exclude=lambda u: staff_or_gone(self.bot, guild, u))
        tr = i18n.for_reader(interaction)
        embed = discord.Embed(title=tr("Give-back balance"), colour=discord.Colour.green())
        embed.add_field(name=tr("Per month: given back · contributions received"),
                        value="\n".join(f"`{m.month}` {tr.number(m.given)} · {tr.number(m.received)}"
                                        for m in months) or tr("Nothing yet."),
                        inline=False)
        need = self.bot.guild_config(guild.id).giveback.thank_min_contributions
        lines = (f"<@{p.user_id}>: " + tr.ngettext("{count} contribution", "{count} contributions", p.contributions)
                 + ", " + tr.ngettext("{count} point", "{count} points", p.points) for p in people)
        embed.add_field(name=tr.ngettext("People to thank ({count}+ contribution, nothing back)",
                                         "People to thank ({count}+ contributions, nothing back)", need),
                        value="\n".join(lines)[:1024] or tr("Nobody: everyone who gave much got something."),
                        inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @stats.command(name="funnel", description="Ladder promotions and demotions per stage and month (staff excluded)")
    @require("staff")
    async def funnel(self, interaction: discord.Interaction) -> None:
        guild = interaction.guild
        assert guild is not None
        ladder = [stage.name for stage in self.bot.app.ledger_policy(guild.id).ladder]
        rows = await self.bot.app.privileges.funnel(guild.id, ladder, exclude=lambda u: is_staff(self.bot, guild, u))
        tr = i18n.for_reader(interaction)
        lines = [f"`{r.month}` **{r.stage}**: ▲ {tr.number(r.promoted)} · ▼ {tr.number(r.demoted)}" for r in rows]
        embed = discord.Embed(title=tr("Ladder funnel: promoted ▲ / demoted ▼ per stage and month"),
                              description="\n".join(lines)[:4000] or tr("No stage changes in the last months."),
                              colour=discord.Colour.blurple())
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="export", description="Contributions, feedback or betas as a CSV file (staff)")
    @app_commands.describe(what="What to export", period="Created in this period (default: the server's default)")
    @app_commands.guild_only()
    @require("staff")
    async def export(self, interaction: discord.Interaction, what: What, period: Period | None = None) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.service.export(interaction.guild_id, what, self._period(interaction.guild_id, period))
        limit = getattr(interaction, "filesize_limit", None) or DEFAULT_ATTACHMENT_LIMIT
        files = package(result.filename, result.data, limit)
        tr = i18n.for_reader(interaction)
        parts = [tr.ngettext("{count} row of {what}. Perk codes are masked.",
                             "{count} rows of {what}. Perk codes are masked.", result.rows,
                             what=tr(EXPORT_NAMES.get(what, what)))]
        if len(files) > 1:
            parts.append(tr.ngettext("Too large for one attachment: split into {count} gzipped part, each with the "
                                     "header.", "Too large for one attachment: split into {count} gzipped parts, "
                                     "each with the header.", len(files)))
        elif files[0][0].endswith(".gz"):
            parts.append(tr("Too large for one attachment as is, so it is gzipped."))
        text = " ".join(parts)
        for start in range(0, len(files), MAX_FILES_PER_MESSAGE):
            batch = [discord.File(io.BytesIO(data), filename=name)
                     for name, data in files[start:start + MAX_FILES_PER_MESSAGE]]
            await interaction.followup.send(text if start == 0 else tr("(continued)"), files=batch, ephemeral=True,
                                            allowed_mentions=NO_MENTIONS)

    def _on_thread_create(self, thread: discord.Thread) -> None:
        """Hot path (runs inline for every new thread): only posts in a help forum go further."""
        if thread.parent_id is None or thread.parent_id not in self.bot.settings(thread.guild.id).help_forums:
            return
        self.bot.tasks.spawn(self.help_post_opened(thread), name="insights-help-post")

    async def help_post_opened(self, thread: discord.Thread) -> None:
        """A post in a help forum: the denominator of the answer rate (no author is stored)."""
        await self.service.help_post_opened(thread.guild.id, thread.id, thread.parent_id, self.bot.clock.now())


async def setup(bot: KudosBot) -> None:
    await bot.add_cog(Insights(bot))
