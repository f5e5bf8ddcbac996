"""Start-up: emulator + the full Kudos bot ready, against emulator + a bare discord.py client ready."""

from __future__ import annotations

import asyncio
import compileall
import tempfile
import time
from pathlib import Path

import discord

from bench.common import Result, median
from bot.emulator import Emulator
from bot.sandbox.harness import Harness

ROOT = Path(__file__).resolve().parent.parent


def _bytecode() -> None:
    """Compile Kudos' modules once, as an install does (pip writes the bytecode). Without it, a checkout run with
    ``PYTHONDONTWRITEBYTECODE=1`` compiles every cog's source again at each start (about 80 ms of a 280 ms start
    on 2026-12-03), which no deployed bot pays; bare discord.py's bytecode is in site-packages already."""
    for package in ("bot", "cogs"):
        compileall.compile_dir(ROOT / package, quiet=1)


async def _bare_ready() -> float:
    started = time.perf_counter()
    async with Emulator() as emu:
        emu.patch_discord()
        try:
            emu.create_guild("Bench")
            intents = discord.Intents.default()
            intents.members = True
            intents.message_content = True
            client = discord.Client(intents=intents, guild_ready_timeout=0.05)
            async with client:
                runner = asyncio.create_task(client.start(emu.token))
                await client.wait_until_ready()
                elapsed = time.perf_counter() - started
                await client.close()
                await runner
        finally:
            emu.unpatch_discord()
    return elapsed


async def _kudos_ready() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        harness = Harness(workdir=Path(tmp))
        await harness.start()  # includes migrations on a fresh database and command sync
        elapsed = time.perf_counter() - started
        await harness.stop()
    return elapsed


async def run(rounds: int = 5) -> list[Result]:
    _bytecode()
    bare, kudos = [], []
    for _ in range(rounds):
        bare.append(await _bare_ready())
        kudos.append(await _kudos_ready())
    return [Result("startup: emulator + Kudos ready", median(kudos) * 1000, median(bare) * 1000, "ms",
                   "emulator + bare discord.py", goal="<= 4.00x (and < 1000 ms)")]
