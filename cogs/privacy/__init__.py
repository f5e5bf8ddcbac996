"""``/mydata export | forget | tracking``: members' data rights; membership tracking and the retention timer.

See ``docs/privacy.md`` for what is personal data and how erasure works.
"""

from __future__ import annotations

import io
import json
import logging
import re
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import i18n
from bot.core.errors import NO_MENTIONS, GuardedCallback, KudosView
from bot.platform.errors import NotAllowed
from bot.platform.i18n import N_, translator
from bot.privacy import RETENTION_EVENT, next_retention_run

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)


def _cog(interaction: discord.Interaction) -> MyData:
    return interaction.client.effects.own(MyData, "Your data commands")  # type: ignore[attr-defined]


class ForgetButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"mydata:forget:(?P<user>\d+)"):
    """"Erase my data": only the member who asked may press it (persistent across restarts)."""

    def __init__(self, user_id: int, tr: i18n.Translator | None = None) -> None:
        tr = tr or translator()
        super().__init__(discord.ui.Button(label=tr("Erase my data"), style=discord.ButtonStyle.danger,
                                           custom_id=f"mydata:forget:{user_id}"))
        self.user_id = user_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> ForgetButton:
        return cls(int(match["user"]))

    async def run(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id:
            raise NotAllowed(N_("Only the member who asked can confirm erasing their own data."))
        await _cog(interaction).forget_confirmed(interaction)


class KeepButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button], template=r"mydata:keep:(?P<user>\d+)"):
    def __init__(self, user_id: int, tr: i18n.Translator | None = None) -> None:
        tr = tr or translator()
        super().__init__(discord.ui.Button(label=tr("Cancel"), style=discord.ButtonStyle.secondary,
                                           custom_id=f"mydata:keep:{user_id}"))
        self.user_id = user_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> KeepButton:
        return cls(int(match["user"]))

    async def run(self, interaction: discord.Interaction) -> None:
        tr = i18n.for_reader(interaction)
        await interaction.response.edit_message(content=tr("Nothing was erased."), view=None)


class MyData(commands.Cog):
    mydata = app_commands.Group(name="mydata", description="Your data in Kudos: export, erase, tracking",
                                guild_only=True)

    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    @property
    def service(self):  # type: ignore[no-untyped-def]
        return self.bot.app.privacy

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ForgetButton, KeepButton)
        self.bot.scheduler.register(RETENTION_EVENT, self.retention)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ForgetButton, KeepButton)
        self.bot.scheduler.unregister(RETENTION_EVENT)

    # ------------------------------------------------------------------ commands

    @mydata.command(name="export", description="Get a file of everything Kudos holds about you here (by DM)")
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.service.export(interaction.guild_id, interaction.user.id)
        raw = json.dumps(data, indent=2, ensure_ascii=False).encode()
        name = f"kudos-data-{interaction.guild_id}.json"
        tr = i18n.for_reader(interaction)  # the DM answers the member's own command: their client's language
        try:
            await interaction.user.send(
                tr("Here is everything Kudos holds about you in this server."),
                file=discord.File(io.BytesIO(raw), filename=name), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.info("data export DM refused (guild=%s): %s", interaction.guild_id, exc.status)
            await interaction.followup.send(
                tr("I couldn't DM you (your DMs from this server seem closed), so here is the file, visible only "
                   "to you. Save it now: it disappears when you close Discord."),
                file=discord.File(io.BytesIO(raw), filename=name), ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.followup.send(tr("Sent: check your DMs for the file."), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)

    @mydata.command(name="forget", description="Erase your personal data in Kudos (asks for confirmation)")
    async def forget(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        tr = i18n.for_reader(interaction)
        if not await self.service.holds_data(interaction.guild_id, interaction.user.id):
            await interaction.response.send_message(
                tr("Kudos holds no personal data about you in this server, so there is nothing to erase. "
                   "(If you asked before, your data is already gone.)"), ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        view = KudosView(timeout=None)
        view.add_item(ForgetButton(interaction.user.id, tr))
        view.add_item(KeepButton(interaction.user.id, tr))
        await interaction.response.send_message(
            tr("This erases your personal data in Kudos here: your name, what you wrote (feedback text, reasons), "
               "and the link between you and your contributions, votes, betas and rewards. Totals and leaderboards "
               "keep the numbers, credited to an anonymous member. Codes you received stay yours in Discord but are "
               "no longer linked to you. **This can't be undone.**"),
            view=view, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def forget_confirmed(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        erasure = await self.service.forget(interaction.guild_id, interaction.user.id)
        self.bot.locales.forget(interaction.guild_id, interaction.user.id)  # its row went with the erasure
        tracking = await self.service.tracking_disabled(interaction.guild_id, interaction.user.id)
        tr = i18n.for_reader(interaction)
        again = (tr("Contribution tracking stays off.") if tracking else
                 tr("If you contribute again, Kudos starts a new record; `/mydata tracking off` stops that."))
        done = tr.ngettext("Done: your personal data in Kudos was erased ({count} record anonymised or deleted).",
                           "Done: your personal data in Kudos was erased ({count} records anonymised or deleted).",
                           erasure.total)
        await interaction.response.edit_message(content=f"{done} {again}", view=None)

    @mydata.command(name="tracking", description="Turn contribution tracking off (or back on) for you")
    @app_commands.describe(state="off: Kudos stops recording credit for you; on: it records again")
    async def tracking(self, interaction: discord.Interaction, state: Literal["off", "on"]) -> None:
        assert interaction.guild_id is not None
        changed = await self.service.set_tracking(interaction.guild_id, interaction.user.id, enabled=state == "on")
        tr = i18n.for_reader(interaction)
        if state == "off":
            text = (tr("Contribution tracking is off: Kudos won't record credit for you (thanks, answers, "
                       "features…) until you turn it back on with `/mydata tracking on`. What was recorded before "
                       "stays; `/mydata forget` erases it.") if changed
                    else tr("Contribution tracking was already off for you."))
        else:
            text = (tr("Contribution tracking is on again: new contributions are credited from now on.")
                    if changed else tr("Contribution tracking is already on for you."))
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @mydata.command(name="public-name", description="Show your name on the server's public pages (or not)")
    @app_commands.describe(state="on: your name may appear next to what you suggested; off: you are only counted")
    async def public_name(self, interaction: discord.Interaction, state: Literal["on", "off"]) -> None:
        assert interaction.guild_id is not None
        changed = await self.service.set_public_name(interaction.guild_id, interaction.user.id, on=state == "on")
        tr = i18n.for_reader(interaction)
        if state == "on":
            text = (tr("Your server name may now appear on this server's public pages (roadmap, changelog) next to "
                       "what you suggested or voted for. `/mydata public-name off` takes it off again.")
                    if changed else tr("Your name already appears on the public pages."))
        else:
            text = (tr("Your name no longer appears on the public pages: you are counted, never named.")
                    if changed else tr("Your name already doesn't appear on the public pages."))
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # ------------------------------------------------------------------ membership and retention

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        await self.service.member_joined(member.guild.id, member.id, display_name=member.display_name,
                                         joined_at=member.joined_at)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        await self.service.member_left(payload.guild_id, payload.user.id)

    @commands.Cog.listener()
    async def on_kudos_guild_ready(self, _guild: discord.Guild) -> None:
        await self.schedule_retention()

    async def schedule_retention(self, after: Any = None) -> None:
        """The daily sweep, once per day for the whole bot (the dedupe key names the day)."""
        nxt = next_retention_run(after or self.bot.clock.now())
        await self.bot.scheduler.schedule(RETENTION_EVENT, {}, at=nxt,
                                          dedupe_key=f"privacy-retention:{nxt.date().isoformat()}")

    async def retention(self, _payload: dict[str, Any], timer: Any) -> None:
        try:
            purged = await self.service.purge_all([g.id for g in self.bot.guilds])
            for guild_id, n in purged.items():
                log.info("retention: erased the data of %d member(s) who left guild %s", n, guild_id)
        finally:
            await self.schedule_retention(after=timer.due_at)


async def setup(bot: KudosBot) -> None:
    cog = MyData(bot)
    await bot.add_cog(cog)
    bot.effects.attach(cog)  # for its buttons (bot.core.effects)


async def teardown(bot: KudosBot) -> None:
    bot.effects.detach(MyData)
