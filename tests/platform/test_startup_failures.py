"""``kudos run`` as a newcomer meets it: each expected start-up failure is one line saying what to do, with no
traceback and a non-zero exit code, and the log at INFO carries no library noise (alembic's plugin list, the
PyNaCl / davey voice warnings: Kudos uses no voice).

End to end: real ``python -m bot run`` processes, against the emulator where Discord's answer matters (a 401
for a bad token), against a closed loopback port where Discord cannot be reached at all."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from pathlib import Path

from bot.cli import EXIT_USAGE
from bot.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
NOISE = ("alembic.runtime.plugins", "setup plugin", "PyNaCl", "davey", "voice will NOT be supported")


def _closed_port() -> int:
    """A loopback port nothing listens on (bound then released: connecting to it is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def kudos_run(config: Path, api_base: str, gateway: str, token: str) -> tuple[int, str]:
    """A real ``python -m bot run`` process with this config, Discord and token: (exit code, stderr)."""
    env = dict(os.environ, KUDOS_DISCORD_API_BASE=api_base, KUDOS_DISCORD_GATEWAY=gateway, KUDOS_TOKEN=token,
               PYTHONUNBUFFERED="1")
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
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def _one_line(code: int, text: str, prefix: str) -> str:
    """The run failed with exit 2, printed exactly one ``kudos: <prefix>`` line, no traceback, no noise."""
    assert code == EXIT_USAGE, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    lines = [x for x in text.splitlines() if x.startswith(f"kudos: {prefix}")]
    assert len(lines) == 1, text[-3000:]
    noisy = [x for x in text.splitlines() if any(n in x for n in NOISE)]
    assert noisy == [], noisy
    return lines[0]


def _config(tmp_path: Path, database_url: str, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndatabase_url = "{database_url}"\nguild_ready_timeout = 0.05\n{extra}')
    return config


async def test_discord_unreachable_is_retried_with_back_off_then_one_line(tmp_path: Path) -> None:
    """Nothing listens where Discord should be (as on a machine without network or DNS): the bot tries
    bot.connect_attempts times, waiting bot.connect_backoff_seconds then twice that, and gives up with one
    line naming what to check and the keys to wait longer."""
    config = _config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'k.db'}",
                     "connect_attempts = 3\nconnect_backoff_seconds = 0.2\n")
    port = _closed_port()
    code, text = await kudos_run(config, f"http://127.0.0.1:{port}/api/v10", f"ws://127.0.0.1:{port}/",
                                  "abcdefgh.ijklmnop.qrstuvwx")
    line = _one_line(code, text, "discord:")
    assert "cannot reach Discord" in line and "after 3 attempt(s)" in line and "DNS and firewall" in line
    assert "bot.connect_attempts" in line
    retries = [x for x in text.splitlines() if "trying again in" in x]
    assert len(retries) == 2, text[-3000:]
    assert "in 0.2 s (attempt 1 of 3)" in retries[0] and "in 0.4 s (attempt 2 of 3)" in retries[1]
    assert "abcdefgh.ijklmnop.qrstuvwx" not in text


async def test_a_token_discord_rejects_is_one_line(tmp_path: Path) -> None:
    """reference.mdx, Authentication: requests need ``Authorization: Bot <token>``; a wrong one is answered
    401 Unauthorized (opcodes-and-status-codes.mdx: "The Authorization header was missing or invalid"), which
    discord.py raises as LoginFailure."""
    config = _config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    async with Emulator() as emu:
        emu.create_guild("Acme")
        code, text = await kudos_run(config, emu.base_url, emu.gateway_url, "not-the-right-token.x.y")
        assert emu.gateway.identifies == 0
    line = _one_line(code, text, "KUDOS_TOKEN:")
    assert "rejected this token" in line and "Developer Portal" in line
    assert "trying again" not in text  # a rejected token is not retried


async def test_database_unreachable_is_one_line(tmp_path: Path) -> None:
    """PostgreSQL on a port nothing listens on: one line naming the (masked) URL and the reason. The database
    is checked before Kudos logs in: Discord never sees a bot that cannot work."""
    config = _config(tmp_path, "postgresql+asyncpg://kudos:s3cretpw@127.0.0.1:1/kudos")
    async with Emulator() as emu:
        emu.create_guild("Acme")
        code, text = await kudos_run(config, emu.base_url, emu.gateway_url, emu.token)
        assert [r.path for r in emu.request_log] == [] and emu.gateway.identifies == 0
    line = _one_line(code, text, "cannot connect to")
    assert "127.0.0.1:1" in line and "s3cretpw" not in text


async def test_failing_migrations_are_one_line_and_the_log_has_no_library_noise(tmp_path: Path) -> None:
    """A database upgraded by a newer Kudos (its alembic_version names a revision this one does not have):
    one line saying so and what to do. Alembic is loaded and run here, so its plugin lines would show."""
    db_file = tmp_path / "k.db"
    with sqlite3.connect(db_file) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    conn.close()
    config = _config(tmp_path, f"sqlite+aiosqlite:///{db_file}")
    async with Emulator() as emu:
        emu.create_guild("Acme")
        code, text = await kudos_run(config, emu.base_url, emu.gateway_url, emu.token)
    line = _one_line(code, text, "migrations:")
    assert "9999_from_the_future" in line and "newer version of Kudos" in line and "kudos restore" in line
