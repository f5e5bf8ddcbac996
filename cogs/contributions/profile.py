"""Members: ``/profile [member]`` and ``/leaderboard [period] [kind]``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.contributions import (
    KIND_LABELS,
    leaderboard_line,
    next_reward_text,
    progress_bar,
    receipt_line,
    stage_progress,
)
from bot.core import i18n
from bot.core.errors import NO_MENTIONS
from bot.giveback import KIND_TEXT, MemberGiven
from bot.ledger import KINDS
from bot.platform import markdown
from bot.platform.config import ContributionKind
from bot.platform.i18n import N_
from bot.privileges import MemberPowers
from cogs.contributions._common import guild_of, place
from cogs.contributions.cards import ProfileCard

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

Kind = ContributionKind  # the choices of the kind option: every contribution kind


def powers_text(powers: MemberPowers) -> str:
    """The privileges a member holds, and the next one with what it needs (bot.privileges)."""
    lines = [f"✅ {p.rule.title}" + (" (pinned by staff)" if p.pin == "pinned" else "") for p in powers.held]
    lines += [f"⛔ {p.rule.title} (revoked by staff)" for p in powers.revoked]
    if not lines:
        lines.append("None yet.")
    lines.append(f"*{powers.window_points} points in the last {powers.window_days} days*")
    if powers.next is not None:
        rule, missing = powers.next
        lines.append(f"Next: **{rule.title}** ({rule.does}): needs {missing}")
    return "\n".join(lines)[:1024]


def given_text(given: MemberGiven) -> str:
    """The give-back ledger of one member: counts per kind, then the latest entries (bot.giveback)."""
    if not given.total:
        return "Nothing yet."
    lines = [" · ".join(f"{KIND_TEXT[k]}: **{n}**" for k, n in sorted(given.counts.items()))]
    for g in given.latest:
        detail = f" — {markdown.inline(g.detail)}" if g.detail else ""
        lines.append(f"{KIND_TEXT[g.kind]}{detail} ({discord.utils.format_dt(g.at, 'd')})")
    return "\n".join(lines)[:1024]


Period = Literal["week", "month", "season", "all"]
_PERIOD_TITLE = {"week": N_("this week"), "month": N_("the last 30 days"), "season": N_("this season"),
                 "all": N_("all time")}


class Profiles(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    @app_commands.command(name="profile", description="Points, ladder stage and latest kudos of a member")
    @app_commands.describe(member="Whose profile (default: yours)")
    @app_commands.guild_only()
    async def profile(self, interaction: discord.Interaction, member: discord.User | None = None) -> None:
        guild = guild_of(interaction)
        who = member or interaction.user
        ledger = self.bot.app.ledger
        rewards, privileges = self.bot.app.rewards, self.bot.app.privileges
        # One ledger statement also sums the rolling windows the reward bar and the powers measure.
        power_window = privileges.window_of(guild.id)
        windows = (*rewards.windows_of(guild.id), *((power_window,) if power_window else ()))
        p = await ledger.profile(guild.id, who.id, receipts=5, windows=windows)
        tr = i18n.for_reader(interaction)
        policy = ledger.policy_for(guild.id)
        title = tr("{name}'s kudos", name=markdown.inline(who.display_name))[:256]
        total = tr.ngettext("**{count}** point", "**{count}** points", p.total_points)
        if p.season:
            total += " · " + tr("{points} this season ({season})", points=tr.number(p.season_points), season=p.season)
        if p.pending_points:
            total += " · " + tr("{points} on hold (new-member probation)", points=tr.number(p.pending_points))
        per_kind = [f"{tr(KIND_LABELS[k])}: **{tr.number(p.points_by_kind[k])}** ({tr.number(p.counts_by_kind[k])})"
                    for k in KINDS if p.points_by_kind[k] or p.counts_by_kind[k]]
        stage = f"**{p.stage}**"
        if p.stage_since is not None:
            stage += " " + tr("since {date}", date=discord.utils.format_dt(p.stage_since, 'D'))
        if p.next_stage:
            stage += ("\n" + tr("Next: {stage} {bar}", stage=p.next_stage, bar=progress_bar(stage_progress(policy, p)))
                      + "\n" + tr("Needs {requirements}", requirements="; ".join(p.missing)))
        else:
            stage += "\n" + tr("Top of the ladder 🎉")
        extra: list[tuple[str, str]] = []
        powers = await privileges.powers(guild.id, who.id, stage=p.stage_index,
                                         window_points=p.window_points.get(power_window or 0))
        if powers.enabled:
            extra.append(("Powers", powers_text(powers)))
        given = await self.bot.app.giveback.given_to(guild.id, who.id, latest=3)
        extra.append((f"What {markdown.inline(guild.name)} gave you", given_text(given)))
        reward = next_reward_text(await rewards.next_reward(guild.id, who.id, p), tr)
        lines = []
        for r in p.receipts:
            channel, thread = place(guild, r)
            lines.append(receipt_line(r, channel=channel, thread=thread, tr=tr))
        card = ProfileCard(title, who.display_avatar.url, total, "\n".join(per_kind) or tr("Nothing yet."), stage,
                           reward, "\n".join(lines)[:1024] or tr("No kudos yet."), tuple(extra), tr)
        if self.bot.guild_config(guild.id).cards == "v2":
            await interaction.response.send_message(view=card.layout(), ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(embed=card.embed(), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="leaderboard", description="Top contributors", extras={"public": True})
    @app_commands.describe(period="Which period (default: all time)", kind="Only one kind of contribution")
    @app_commands.guild_only()
    async def leaderboard(self, interaction: discord.Interaction, period: Period = "all",
                          kind: Kind | None = None) -> None:
        guild = guild_of(interaction)
        rows = await self.bot.app.ledger.leaderboard(guild.id, period, kind, limit=10)
        tr = i18n.for_guild(self.bot, interaction.guild)  # a public post: the server's language
        title = tr("Top contributors — {period}", period=tr(_PERIOD_TITLE[period]))
        if period == "season":
            season = self.bot.app.ledger.policy_for(guild.id).season_for(self.bot.clock.now())
            title += f" ({season})"
        if kind:
            title += f" · {tr(KIND_LABELS[kind])}"
        lines = [leaderboard_line(*entry, tr=tr) for entry in rows]
        embed = discord.Embed(title=title, description="\n".join(lines) or tr("Nobody has points here yet."),
                              colour=discord.Colour.gold())
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)
