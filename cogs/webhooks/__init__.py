"""``/webhooks``: staff register, list, remove and test the server's outbound webhook endpoints
(docs/webhooks.md). ``bot.webhooks.WebhooksService`` checks and stores them; the dashboard's Webhooks page
(bot/web/routes/webhooks.py) does the same through the same service.

A new endpoint's signing secret is shown once, ephemerally, to the staff member who registered it; no list,
log, audit line or public message ever shows it again."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import i18n
from bot.core.checks import require
from bot.core.errors import NO_MENTIONS
from bot.platform.markdown import inline

if TYPE_CHECKING:
    from bot.core.bot import KudosBot
    from bot.webhooks.service import WebhooksService


def shown_url(url: str) -> str:
    """The endpoint's URL without its query (receivers such as chat hooks put tokens there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


def parse_events(text: str | None) -> list[str]:
    return [e.strip() for e in (text or "*").replace(" ", ",").split(",") if e.strip()]


class Webhooks(commands.Cog):
    webhooks = app_commands.Group(name="webhooks", description="Signed outbound webhooks to other systems (staff)",
                                  guild_only=True)

    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    @property
    def service(self) -> WebhooksService:
        return self.bot.app.webhooks

    @webhooks.command(name="add", description="Register an endpoint that receives signed events")
    @app_commands.describe(name="A short name, unique in this server (letters, digits, - or _)",
                           url="Where Kudos POSTs the events (https://…)",
                           events="Event types, separated by commas (default: * for all)")
    @require("staff")
    async def add(self, interaction: discord.Interaction, name: str, url: str, events: str | None = None) -> None:
        assert interaction.guild_id is not None
        tr = i18n.for_reader(interaction)
        secret = await self.service.register(interaction.guild_id, name, url, parse_events(events),
                                             actor_id=interaction.user.id)
        await interaction.response.send_message(
            tr("Endpoint **{name}** registered. Its signing secret, shown this once and only to you:\n"
               "`{secret}`\nKeep it in your receiver to verify the `Kudos-Signature` header (docs/webhooks.md).",
               name=inline(name.strip().lower()), secret=secret),
            ephemeral=True, allowed_mentions=NO_MENTIONS)

    @webhooks.command(name="list", description="This server's endpoints and how their last deliveries went")
    @require("staff")
    async def list_(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        tr = i18n.for_reader(interaction)
        endpoints = await self.service.endpoints(interaction.guild_id)
        if not endpoints:
            await interaction.response.send_message(tr("This server has no webhook endpoints."), ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        lines = []
        for ep in endpoints:
            log = await self.service.log(interaction.guild_id, ep.id, limit=1)
            state = tr("on") if ep.enabled else tr("off")
            source = tr("config file") if ep.source == "config" else tr("staff")
            last = (tr("last delivery: {status}", status=log[0].status) if log else tr("nothing sent yet"))
            lines.append(f"**{inline(ep.name)}** ({state}, {source}) · {inline(shown_url(ep.url))} · "
                         f"{inline(', '.join(ep.events))} · {last}")
        await interaction.response.send_message("\n".join(lines)[:1900], ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @webhooks.command(name="remove", description="Remove an endpoint staff registered (its log stays)")
    @app_commands.describe(name="The endpoint's name")
    @require("staff")
    async def remove(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild_id is not None
        tr = i18n.for_reader(interaction)
        ep = await self.service.remove(interaction.guild_id, name, actor_id=interaction.user.id)
        await interaction.response.send_message(
            tr("Endpoint **{name}** removed: it gets no more events, and its secret is gone.", name=inline(ep.name)),
            ephemeral=True, allowed_mentions=NO_MENTIONS)

    @webhooks.command(name="test", description="Send a signed test event to one endpoint")
    @app_commands.describe(name="The endpoint's name")
    @require("staff")
    async def test(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild_id is not None
        tr = i18n.for_reader(interaction)
        delivery_id = await self.service.test(interaction.guild_id, name, actor_id=interaction.user.id)
        self.bot.tasks.spawn(self.bot.scheduler.run_due(), name="webhooks-test")
        await interaction.response.send_message(
            tr("A `webhook.test` event is on its way to **{name}** (delivery #{delivery}); `/webhooks list` or the "
               "dashboard's Webhooks page shows how it went.", name=inline(name.strip().lower()),
               delivery=delivery_id),
            ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: KudosBot) -> None:
    await bot.add_cog(Webhooks(bot))
