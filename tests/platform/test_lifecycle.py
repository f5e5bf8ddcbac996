"""`kudos run`'s shutdown on SIGTERM, and the token never reaching a log line."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal

from sqlalchemy import select

from bot.cli import _run_bot
from bot.core.logs import RedactSecrets
from bot.emulator import Emulator
from bot.platform.config import parse_config
from bot.platform.db import Database
from bot.platform.tables import guilds


async def test_sigterm_shuts_down_cleanly_and_token_stays_out_of_logs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
    config = parse_config({"bot": {"database_url": url, "guild_ready_timeout": 0.05, "log_level": "DEBUG"}})
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    redact = RedactSecrets()
    handler.addFilter(redact)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    async with Emulator() as emu:
        emu.patch_discord()
        try:
            guild = emu.create_guild("Signals")
            redact.add(emu.token)
            logging.getLogger("kudos.test").info("about to log in with %s", emu.token)
            task = asyncio.create_task(_run_bot(config, emu.token))
            db = Database(url)
            try:
                for _ in range(200):
                    await asyncio.sleep(0.05)
                    try:
                        async with db.connect() as conn:
                            if (await conn.execute(select(guilds.c.id))).scalars().all() == [guild.id]:
                                break
                    except Exception:  # noqa: BLE001 - the schema may not exist yet
                        continue
                else:
                    raise AssertionError("the bot never recorded its guild")
            finally:
                await db.close()
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(task, timeout=10)
        finally:
            emu.unpatch_discord()
            root.removeHandler(handler)
            root.setLevel(old_level)
    text = buffer.getvalue()
    assert "signal received, shutting down cleanly" in text
    assert "shutting down" in text
    assert emu.token not in text
    assert "about to log in with [redacted]" in text
