"""``kudos doctor`` as a newcomer runs it: a real ``python -m bot doctor`` process against the emulator, each
problem provoked, each reported as one line with its fix, exit 1; a ready set-up exits 0.

Discord's docs the emulator follows here: ``developers/resources/application.mdx`` (Application Flags:
"GATEWAY_GUILD_MEMBERS_LIMITED … Intent required for bots in under 100 servers to receive member-related
events", "GATEWAY_MESSAGE_CONTENT_LIMITED … to receive message content"), ``developers/resources/user.mdx``
("Get Current User Guilds … Returns a list of partial guild objects the current user is a member of"),
``developers/topics/permissions.mdx`` (Permission Overwrites: a channel's deny for the bot's role removes what the
role allows; "Role Hierarchy": a bot can only manage roles below its highest role).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from bot.emulator.gateway import GUILD_MEMBERS
from bot.emulator.rules import ADMINISTRATOR, SEND_MESSAGES
from bot.sandbox.harness import Harness, WorldSpec

ROOT = Path(__file__).resolve().parents[2]


async def doctor(config: Path, h: Harness | None, token: str | None, **env: str) -> tuple[int, list[str]]:
    environ = dict(os.environ, PYTHONUNBUFFERED="1", **env)
    for name in ("KUDOS_CONFIG", "KUDOS_TOKEN", "KUDOS_WEB_SECRET"):
        environ.pop(name, None)
    if token is not None:
        environ["KUDOS_TOKEN"] = token
    if h is not None:
        environ |= {"KUDOS_DISCORD_API_BASE": h.emu.base_url, "KUDOS_DISCORD_GATEWAY": h.emu.gateway_url}
    environ |= env
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", "--config", str(config), cwd=ROOT, env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    assert "Traceback" not in err.decode(), err.decode()[-3000:]
    return proc.returncode, out.decode().splitlines()


def problems(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("PROBLEM")]


def one(lines: list[str], *needles: str) -> str:
    found = [line for line in problems(lines) if all(n in line for n in needles)]
    assert len(found) == 1, (needles, lines)
    return found[0]


def write_config(tmp_path: Path, extra: str = "", bot: str = "", url: str | None = None) -> Path:
    config = tmp_path / "config.toml"
    url = url or f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    config.write_text(f'[bot]\ndatabase_url = "{url}"\n{bot}\n{extra}')
    return config


async def started(world: WorldSpec, **emulator_options: object) -> Harness:
    return await Harness(world, emulator_options=dict(emulator_options)).start_world()


async def test_a_ready_set_up_passes(tmp_path: Path, db_url: str) -> None:
    h = await started(WorldSpec.default())
    try:
        code, lines = await doctor(write_config(tmp_path, url=db_url), h, h.emu.token)
    finally:
        await h.stop()
    assert code == 0, lines
    assert problems(lines) == []
    assert any("token accepted" in line for line in lines) and any("Message Content Intent enabled" in line
                                                                    for line in lines)
    assert any("channels, roles and permissions in place" in line for line in lines), lines
    assert lines[-1].startswith("kudos doctor: everything checked is ready")


async def test_a_role_above_the_bot_a_missing_permission_and_disabled_intents_are_one_line_each(
        tmp_path: Path) -> None:
    h = await started(WorldSpec.default(), privileged_intents=GUILD_MEMBERS)  # Message Content off
    try:
        guild = h.emu.state.guilds[h.guild_id]
        h.emu.create_role(h.guild_id, "Legend", position=20)  # above the bot's role (10)
        h.emu.create_role(h.guild_id, "Boss", permissions=ADMINISTRATOR)  # below it, but dangerous
        showcase = h.emu.state.channels[h.channel_id("showcase")]
        showcase.overwrites = [{"id": guild.bot_role_id, "type": 0, "allow": 0, "deny": SEND_MESSAGES}]
        config = write_config(tmp_path, extra=(
            '[[guilds.default.rewards]]\nname = "legend"\nrole = "Legend"\ntrigger = { kind = "answer", count = 5 }\n'
            '[[guilds.default.rewards]]\nname = "boss"\nrole = "Boss"\ntrigger = { kind = "answer", count = 50 }\n'
            '[guilds.default.channels]\nstaff_log = "staff-lounge"\n'))
        code, lines = await doctor(config, h, h.emu.token)
    finally:
        await h.stop()
    assert code == 1, lines
    assert "Developer Portal" in one(lines, "Message Content Intent is off")
    assert "Server Members Intent is off" not in "\n".join(lines)
    assert "drag my role above it" in one(lines, "reward legend", "role Legend is above")
    assert "dangerous permissions (Administrator)" in one(lines, "reward boss")
    assert "grant them to my role" in one(lines, "#showcase", "Send Messages")
    assert "staff-lounge" in one(lines, "staff_log")
    assert len(problems(lines)) == 5, problems(lines)
    assert lines[-1] == "kudos doctor: 5 problem(s); fix them, then run `kudos doctor` again"


async def test_a_rejected_token_and_a_server_the_bot_is_not_in(tmp_path: Path) -> None:
    h = await started(WorldSpec.default())
    try:
        code, lines = await doctor(write_config(tmp_path), h, "not-the-token.x.y")
        assert code == 1 and "copy it again from the Developer Portal" in one(lines, "KUDOS_TOKEN", "rejected")
        config = write_config(tmp_path, extra="[guilds.123456789012345678]\n")
        code, lines = await doctor(config, h, h.emu.token)
    finally:
        await h.stop()
    assert code == 1
    assert "invite it with https://discord.com/oauth2/authorize?client_id=" in one(lines, "guilds.123456789012345678",
                                                                                 "not in this server")


async def test_offline_problems_config_secret_database_and_token(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[bot]\nshard_count = "many"\n')
    code, lines = await doctor(broken, None, None)
    assert code == 1 and "bot.shard_count" in one(lines, "broken.toml")


async def test_a_missing_secret_pending_migrations_and_no_token(tmp_path: Path, db_url: str) -> None:
    config = write_config(tmp_path, bot="auto_migrate = false", extra="[web]\nenabled = true\n", url=db_url)
    code, lines = await doctor(config, None, None)
    assert code == 1
    assert "openssl rand" in one(lines, "KUDOS_WEB_SECRET")
    assert "run `kudos migrate`" in one(lines, "bot.auto_migrate", "behind")
    assert "Bot → Token" in one(lines, "KUDOS_TOKEN: not set")
    assert len(problems(lines)) == 3, lines
    code, lines = await doctor(config, None, None, KUDOS_WEB_SECRET="s" * 32)
    assert len(problems(lines)) == 2 and any("dashboard secret set" in line for line in lines)
    config = write_config(tmp_path, url=db_url)  # auto_migrate on: pending migrations are applied at start
    code, lines = await doctor(config, None, None)
    assert problems(lines) == [one(lines, "KUDOS_TOKEN: not set")]
    assert any("upgraded to" in line and "at start" in line for line in lines), lines


async def test_an_unreachable_database(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = write_config(tmp_path, url=f"postgresql+asyncpg://kudos@127.0.0.1:{port}/kudos")
    code, lines = await doctor(config, None, None)
    assert code == 1 and "check the URL, that the server runs" in one(lines, "cannot reach the postgresql database")



async def test_an_sqlite_file_that_cannot_work(tmp_path: Path) -> None:
    nowhere = tmp_path / "no" / "such" / "k.db"
    missing = tmp_path / "missing.toml"
    missing.write_text(f'[bot]\ndatabase_url = "sqlite+aiosqlite:///{nowhere}"\n')
    code, lines = await doctor(missing, None, None)
    assert code == 1 and "create it or point the URL elsewhere" in one(lines, "does not exist")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    notdb = tmp_path / "notdb.toml"
    notdb.write_text(f'[bot]\ndatabase_url = "sqlite+aiosqlite:///{junk}"\n')
    code, lines = await doctor(notdb, None, None)
    assert code == 1 and "restore a backup" in one(lines, "is not an SQLite database")
