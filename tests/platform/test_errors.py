"""The central error handler, driven through the real command tree, views and modals on the emulator."""

from __future__ import annotations

import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UNEXPECTED, GuardedCallback, KudosModal
from bot.platform.errors import Conflict, NotFound
from bot.sandbox.harness import Harness


class Broken(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button], template=r"test:broken:(?P<id>\d+)"):
    def __init__(self, item_id: int) -> None:
        super().__init__(discord.ui.Button(label="Break", custom_id=f"test:broken:{item_id}"))
        self.item_id = item_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):  # type: ignore[no-untyped-def]
        return cls(int(match["id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        raise Conflict(f"Item {self.item_id} is already closed.")


class AskModal(KudosModal, title="Tell us"):
    answer = discord.ui.TextInput(label="Answer")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        raise NotFound("That beta no longer exists.")


class Probe(commands.Cog):
    probe = app_commands.Group(name="probe", description="test commands")

    @probe.command(name="domain", description="raises a domain error")
    async def domain(self, interaction: discord.Interaction) -> None:
        raise Conflict("This item is already closed; reopen it first.")

    @probe.command(name="crash", description="raises a bug")
    async def crash(self, interaction: discord.Interaction) -> None:
        raise ZeroDivisionError("oops")

    @probe.command(name="deferred", description="fails after deferring")
    async def deferred(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        raise NotFound("Nothing matches that name.")

    @probe.command(name="forbidden", description="Discord refuses")
    async def forbidden(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        role = discord.utils.get(interaction.guild.roles, name="Kudos")
        assert role is not None
        await interaction.guild.me.remove_roles(role)  # the bot cannot touch its own managed top role

    @probe.command(name="button", description="posts a persistent button")
    async def button(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(Broken(7))
        await interaction.response.send_message("press it", view=view)

    @probe.command(name="form", description="opens a modal")
    async def form(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(AskModal())


async def _install_probe(h: Harness) -> None:
    assert h.bot is not None
    await h.bot.add_cog(Probe())
    h.bot.add_dynamic_items(Broken)
    guild = discord.Object(h.guild_id)
    h.bot.tree.copy_global_to(guild=guild)
    await h.bot.tree.sync(guild=guild)


async def test_domain_error_is_a_short_ephemeral_reply(kudos: Harness) -> None:
    await _install_probe(kudos)
    reply = await kudos.member("bob").slash("probe domain")
    assert reply.ephemeral and not reply.failed
    assert reply.content == "This item is already closed; reopen it first."


async def test_unexpected_error_is_logged_with_context_and_apologised(kudos: Harness, caplog) -> None:  # type: ignore[no-untyped-def]
    await _install_probe(kudos)
    with caplog.at_level(logging.ERROR, logger="bot.core.errors"):
        reply = await kudos.member("bob").slash("probe crash")
    assert reply.ephemeral and reply.content == UNEXPECTED
    record = next(r for r in caplog.records if "unexpected error" in r.getMessage())
    message = record.getMessage()
    assert f"guild={kudos.guild_id}" in message
    assert f"user={kudos.members['bob']}" in message
    assert "command='probe crash'" in message
    assert record.exc_info is not None


async def test_error_after_defer_goes_to_a_followup(kudos: Harness) -> None:
    await _install_probe(kudos)
    reply = await kudos.member("bob").slash("probe deferred")
    assert not reply.failed
    assert reply.followups and reply.followups[0].content == "Nothing matches that name."
    assert reply.followups[0].flags & 64


async def test_forbidden_is_explained(kudos: Harness) -> None:
    await _install_probe(kudos)
    reply = await kudos.member("sam").slash("probe forbidden")
    assert reply.ephemeral
    assert "missing a permission" in reply.content and "Server Settings" in reply.content


async def test_persistent_button_error_reaches_the_handler_after_restart(kudos: Harness) -> None:
    await _install_probe(kudos)
    posted = await kudos.member("sam").slash("probe button")
    message = posted.message
    assert message is not None
    await kudos.restart()  # the button must keep working on a new process
    await _install_probe(kudos)
    click = await kudos.member("bob").click(message.id, label="Break")
    assert click.ephemeral and click.content == "Item 7 is already closed."


async def test_modal_error_reaches_the_handler(kudos: Harness) -> None:
    await _install_probe(kudos)
    opened = await kudos.member("bob").slash("probe form")
    assert opened.modal is not None
    submitted = await kudos.member("bob").submit_modal(opened, {"Answer": "42"})
    assert submitted.ephemeral and submitted.content == "That beta no longer exists."
