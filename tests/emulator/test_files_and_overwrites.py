"""Attachment options served from the emulator's CDN; channel permission overwrites (PUT / DELETE)."""

from __future__ import annotations

import discord
import pytest

from bot.emulator import Emulator, EmulatorError
from bot.emulator import rules as R

from .conftest import KudosTestBot, World


async def test_attachment_option_is_downloadable(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"x" * 100
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "upload",
                              {"file": ("cat.png", png)})
    assert not rec.failed
    assert rec.response["content"] == f"cat.png image/png {len(png)}"
    with pytest.raises(EmulatorError, match="attachment option takes"):
        await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "upload", {"file": "cat.png"})


async def test_permission_overwrite_put_and_delete(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    secret = emu.create_channel(world.guild.id, "secret")
    await emu.settle()
    channel = bot.get_channel(secret.id)
    guild = bot.get_guild(world.guild.id)
    assert isinstance(channel, discord.TextChannel) and guild is not None
    await channel.set_permissions(guild.me, view_channel=True)  # a member overwrite keeps the bot in
    await channel.set_permissions(guild.default_role, view_channel=False)
    assert not emu.member_permissions(secret.id, world.bob.id) & R.VIEW_CHANNEL
    role = guild.get_role(world.staff.id)
    assert role is not None
    await channel.set_permissions(role, view_channel=True, send_messages=True)
    assert emu.member_permissions(secret.id, world.alice.id) & R.VIEW_CHANNEL  # alice has the Staff role
    assert not emu.member_permissions(secret.id, world.bob.id) & R.VIEW_CHANNEL
    await emu.settle()
    assert channel.overwrites_for(role).view_channel is True  # CHANNEL_UPDATE reached the bot's cache
    await channel.set_permissions(role, overwrite=None)
    assert not emu.member_permissions(secret.id, world.alice.id) & R.VIEW_CHANNEL


@pytest.mark.emulator()
async def test_overwrite_needs_manage_roles(emu: Emulator) -> None:
    from .conftest import build_world, start_bot, stop_bot

    world = build_world(emu, bot_permissions=R.DEFAULT_BOT & ~R.MANAGE_ROLES & ~R.ADMINISTRATOR)
    bot = KudosTestBot(world.guild.id)
    task = await start_bot(emu, bot)
    try:
        channel = bot.get_channel(world.general.id)
        guild = bot.get_guild(world.guild.id)
        assert isinstance(channel, discord.TextChannel) and guild is not None
        with pytest.raises(discord.Forbidden):
            await channel.set_permissions(guild.default_role, view_channel=False)
    finally:
        await stop_bot(bot, task)
