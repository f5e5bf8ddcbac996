"""``kudos run`` when the Developer Portal has a privileged intent the bot asks for switched off: Discord
closes the gateway with 4014, and the bot says which intents to switch on, by the portal's names.

End to end: a real ``python -m bot run`` process against the emulator, whose application has the Server
Members intent on and Message Content off (``Emulator(privileged_intents=...)``)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import discord

from bot.cli import EXIT_USAGE, intents_refused
from bot.core.bot import default_intents
from bot.emulator import Emulator
from bot.emulator.gateway import GUILD_MEMBERS

ROOT = Path(__file__).resolve().parents[2]


async def test_kudos_run_names_the_intents_to_switch_on_when_discord_closes_with_4014(tmp_path: Path) -> None:
    """gateway.mdx, Gateway Restrictions: "If you pass a privileged intent in the `intents` parameter without
    configuring it in your app's settings ... your Gateway connection will be closed with a (`4014` close
    code)" (discord.py raises PrivilegedIntentsRequired; the emulator's side is tests/emulator/test_gateway.py)."""
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndatabase_url = "sqlite+aiosqlite:///{tmp_path / "k.db"}"\nguild_ready_timeout = 0.05\n')
    async with Emulator(privileged_intents=GUILD_MEMBERS) as emu:
        emu.create_guild("Acme")
        env = dict(os.environ, KUDOS_DISCORD_API_BASE=emu.base_url, KUDOS_DISCORD_GATEWAY=emu.gateway_url,
                   KUDOS_TOKEN=emu.token, PYTHONUNBUFFERED="1")
        env.pop("KUDOS_CONFIG", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config), cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            _out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert emu.gateway.closes == [4014] and emu.gateway.identifies == 0
    text = err.decode()
    assert proc.returncode == EXIT_USAGE, text[-2000:]
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
