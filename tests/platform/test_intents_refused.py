"""``kudos run`` when the Developer Portal has a privileged intent the bot asks for switched off: Discord
closes the gateway with 4014, and the bot says which intents to switch on, by the portal's names.

End to end: a real ``python -m bot run`` process against the emulator, whose application has the Server
Members intent on and Message Content off (``Emulator(privileged_intents=...)``)."""

from __future__ import annotations

from pathlib import Path

import discord

from bot.cli import EXIT_USAGE, intents_refused
from bot.core.bot import default_intents
from bot.emulator import Emulator
from bot.emulator.gateway import GUILD_MEMBERS
from tests.platform.test_startup_failures import kudos_run

ROOT = Path(__file__).resolve().parents[2]


async def test_kudos_run_names_the_intents_to_switch_on_when_discord_closes_with_4014(tmp_path: Path) -> None:
    """gateway.mdx, Gateway Restrictions: "If you pass a privileged intent in the `intents` parameter without
    configuring it in your app's settings ... your Gateway connection will be closed with a (`4014` close
    code)" (discord.py raises PrivilegedIntentsRequired; the emulator's side is tests/emulator/test_gateway.py)."""
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndatabase_url = "sqlite+aiosqlite:///{tmp_path / "k.db"}"\nguild_ready_timeout = 0.05\n')
    async with Emulator(privileged_intents=GUILD_MEMBERS) as emu:
        emu.create_guild("Acme")
        code, text = await kudos_run(config, emu.base_url, emu.gateway_url, emu.token)
        assert emu.gateway.closes == [4014] and emu.gateway.identifies == 0
    assert code == EXIT_USAGE, text[-2000:]
    assert "Traceback" not in text, text[-2000:]
    line = [x for x in text.splitlines() if x.startswith("kudos: intents:")]
    assert len(line) == 1, text[-2000:]
    assert "4014" in line[0] and "Developer Portal" in line[0] and "Privileged Gateway Intents" in line[0]
    assert "Server Members Intent and Message Content Intent" in line[0]


def test_the_message_names_only_the_intents_the_bot_asks_for() -> None:
    assert "Server Members Intent and Message Content Intent" in intents_refused(default_intents())
    only_members = discord.Intents.default()
    only_members.members = True
    text = intents_refused(only_members)
    assert "Switch on Server Members Intent for" in text and "Message Content" not in text
