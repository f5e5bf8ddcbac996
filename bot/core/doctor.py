"""``kudos doctor``: the pre-flight check a newcomer runs before ``kudos run``.

Each problem is one line saying what is wrong and how to fix it; the exit code is 1 when there is any. It
checks, in order, stopping only where the next checks need what failed:

1. the config file (the same one-line error ``kudos run`` would give);
2. the dashboard secret when the web server is on;
3. the database: reachable, migrations (pending ones are applied at start unless ``bot.auto_migrate`` is off),
   and for SQLite that the bot may write the file and its directory;
4. with ``KUDOS_TOKEN``, over Discord's REST API (no gateway session): the token, the privileged intents the
   Developer Portal enables (application flags), the bot's presence in every configured server, every configured
   channel and role, the bot's permissions in each channel against what each feature needs, and every reward role:
   below the bot's top role and carrying no dangerous permission.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import discord
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.platform import diagnostics
from bot.platform import resolver as guild_settings
from bot.platform.config import ConfigError, KudosConfig, load_config

# application.mdx "Application Flags": (intent, flag for 100+ servers, flag for under 100 servers, its name).
INTENT_FLAGS = (
    ("members", 1 << 14, 1 << 15, "Server Members Intent"),
    ("message_content", 1 << 18, 1 << 19, "Message Content Intent"),
    ("presences", 1 << 12, 1 << 13, "Presence Intent"),
)
FEATURE_CHANNELS = ("announcements", "showcase", "staff_log", "feedback_forum")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def ok(self, text: str) -> None:
        self.passed.append(text)


async def run_doctor(config_path: str, *, token: str | None, intents: discord.Intents,
                     out: Callable[[str], None] = print) -> int:
    """Run every check, print ``ok`` / ``problem`` lines, and return the exit code (0: no problem)."""
    report = Report()
    config = _check_config(config_path, report)
    if config is not None:
        _check_web_secret(config, report)
        await _check_database(config, report)
        if token:
            await _check_discord(config, token, intents, report)
        else:
            report.problem("KUDOS_TOKEN: not set; export the bot token from the Developer Portal (Bot → Token) to "
                           "check Discord too")
    for line in report.passed:
        out(f"ok       {line}")
    for line in report.problems:
        out(f"PROBLEM  {line}")
    if report.problems:
        out(f"kudos doctor: {len(report.problems)} problem(s); fix them, then run `kudos doctor` again")
        return 1
    out("kudos doctor: everything checked is ready; start the bot with `kudos run`")
    return 0


def _check_config(path: str, report: Report) -> KudosConfig | None:
    if not Path(path).exists():
        report.problem(f"{path}: file not found; copy config.example.toml to {path} and edit it")
        return None
    try:
        config = load_config(path)
    except ConfigError as exc:
        report.problem(str(exc))
        return None
    report.ok(f"config {path} is valid")
    return config


def _check_web_secret(config: KudosConfig, report: Report) -> None:
    if not config.web.enabled:
        return
    if len(os.environ.get("KUDOS_WEB_SECRET", "").strip()) < 16:
        report.problem("KUDOS_WEB_SECRET: not set (or shorter than 16 characters) while [web] enabled = true; set it "
                       "to a long random string (e.g. `openssl rand -hex 32`), or dashboard logins and reward marks "
                       "change at every restart")
    else:
        report.ok("dashboard secret set")


async def _check_database(config: KudosConfig, report: Report) -> None:
    from bot.platform.db import Database, migrate

    url = config.bot.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        if not _check_sqlite_file(Path(parsed.database), report):
            return
    db = Database(url)
    try:
        async with db.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current = set(await migrate.current_revisions(db))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the operator's to fix
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        report.problem(f"bot.database_url: cannot reach the {parsed.get_backend_name()} database ({reason}); check "
                       "the URL, that the server runs and that this user may connect")
        return
    finally:
        await db.close()
    heads = set(migrate.head_revisions())
    if current == heads:
        report.ok(f"database reachable, schema at head ({', '.join(sorted(heads))})")
    elif config.bot.auto_migrate:
        report.ok(f"database reachable; its schema ({', '.join(sorted(current)) or 'empty'}) is upgraded to "
                  f"{', '.join(sorted(heads))} at start (bot.auto_migrate)")
    else:
        report.problem(f"bot.auto_migrate: false and the database schema ({', '.join(sorted(current)) or 'empty'}) "
                       f"is behind {', '.join(sorted(heads))}; run `kudos migrate` before `kudos run`")


def _check_sqlite_file(path: Path, report: Report) -> bool:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        report.problem(f"bot.database_url: the folder {folder} does not exist; create it or point the URL elsewhere")
        return False
    # SQLite writes the -wal and -shm files beside the database: the folder must be writable too.
    if not os.access(folder, os.W_OK):
        report.problem(f"bot.database_url: the folder {folder} is not writable by this user; SQLite needs to "
                       "create its -wal and -shm files there (chown it to the bot's user)")
        return False
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            report.problem(f"bot.database_url: {path} is not readable and writable by this user; chown or chmod it")
            return False
        try:
            sqlite3.connect(f"file:{path}?mode=ro", uri=True).execute("PRAGMA schema_version").close()
        except sqlite3.DatabaseError as exc:
            report.problem(f"bot.database_url: {path} is not an SQLite database ({exc}); restore a backup or "
                           "point the URL elsewhere")
            return False
    return True


async def _check_discord(config: KudosConfig, token: str, intents: discord.Intents, report: Report) -> None:
    client = discord.Client(intents=intents)
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            report.problem("KUDOS_TOKEN: Discord rejected this token; copy it again from the Developer Portal "
                           "(Bot → Reset Token)")
            return
        except (TimeoutError, aiohttp.ClientError, discord.DiscordServerError) as exc:
            report.problem(f"discord: cannot reach Discord ({type(exc).__name__}); check this machine's internet "
                           "connection, DNS and firewall (outgoing HTTPS to discord.com)")
            return
        report.ok(f"token accepted (bot {client.user})")
        app = await client.application_info()
        _check_intents(app, intents, report)
        await _check_guilds(client, app, config, report)
    finally:
        await client.close()


def _check_intents(app: discord.AppInfo, intents: discord.Intents, report: Report) -> None:
    flags = app.flags.value
    for name, full, limited, label in INTENT_FLAGS:
        if getattr(intents, name) and not flags & (full | limited):
            report.problem(f"intents: the {label} is off for this application; turn it on in the Developer Portal "
                           "(Bot → Privileged Gateway Intents), or Discord closes the connection (4014)")
        elif getattr(intents, name):
            report.ok(f"{label} enabled")


async def _check_guilds(client: discord.Client, app: discord.AppInfo, config: KudosConfig, report: Report) -> None:
    joined = {guild.id: guild async for guild in client.fetch_guilds(limit=None)}
    wanted = config.guild_ids or tuple(joined)
    invite = discord.utils.oauth_url(app.id, permissions=discord.Permissions(_invite_permissions()),
                                     scopes=("bot", "applications.commands"))
    if not wanted:
        report.problem(f"guilds: the bot is in no server yet; invite it with {invite}")
        return
    for guild_id in wanted:
        if guild_id not in joined:
            report.problem(f"guilds.{guild_id}: the bot is not in this server; invite it with {invite}")
            continue
        await _check_guild(client, await client.fetch_guild(guild_id), config, report)


def _invite_permissions() -> int:
    perms = discord.Permissions.none()
    for name in diagnostics.PERMISSION_NAMES:
        setattr(perms, name, True)
    perms.add_reactions = perms.read_message_history = perms.attach_files = True
    return perms.value


async def _check_guild(client: discord.Client, guild: discord.Guild, config: KudosConfig, report: Report) -> None:
    assert client.user is not None
    cfg = config.guild(guild.id)
    channels = await guild.fetch_channels()
    me = await guild.fetch_member(client.user.id)
    where = f"server {guild.name} ({guild.id})"
    before = len(report.problems)
    resolved = guild_settings.resolve_config(guild.id, cfg, roles=[(r.id, r.name) for r in guild.roles],
                                             channels=[(c.id, c.name) for c in channels])
    for problem in resolved.problems:
        report.problem(f"{where}: {problem}")
    by_id = {c.id: c for c in channels}
    checks = [(key, resolved.channel(key)) for key in FEATURE_CHANNELS]
    checks += [("help_forums", forum_id) for forum_id in resolved.help_forums]
    for key, channel_id in checks:
        channel = by_id.get(channel_id or 0)
        if channel is None:
            continue
        granted = _granted(channel.permissions_for(me))
        for finding in diagnostics.missing_permissions(f"#{channel.name}", key, granted):
            report.problem(f"{where}: {finding.where}: I'm {finding.problem} (needed for {key.replace('_', ' ')}); "
                           "grant them to my role in the channel's permissions")
    if not me.guild_permissions.manage_roles:
        report.problem(f"{where}: I'm missing Manage Roles (needed to give reward roles); grant it to my role")
    _check_reward_roles(guild, me, cfg, where, report)
    if len(report.problems) == before:
        report.ok(f"{where}: channels, roles and permissions in place")


def _granted(perms: discord.Permissions) -> set[str]:
    return {name for name in diagnostics.PERMISSION_NAMES if getattr(perms, name, False)}


def _check_reward_roles(guild: discord.Guild, me: discord.Member, cfg: Any, where: str, report: Report) -> None:
    from bot.rewards.safety import RoleFacts, role_problems

    roles = [(r.id, r.name) for r in guild.roles]
    for rule in cfg.rewards:
        if rule.role is None:
            continue
        role_id, problems = guild_settings.find(rule.role, roles, what="role", key=f"rewards.{rule.name}.role")
        if role_id is None:
            for problem in problems:
                report.problem(f"{where}: {problem}")
            continue
        role = guild.get_role(role_id)
        assert role is not None
        facts = RoleFacts(role.id, role.name, role.position, role.permissions.value, managed=role.managed,
                          is_default=role.is_default())
        for problem in role_problems(facts, bot_top_position=me.top_role.position,
                                     bot_can_manage_roles=me.guild_permissions.manage_roles):
            if "Manage Roles" not in problem:  # reported once per server above
                report.problem(f"{where}: reward {rule.name}: {problem}")
