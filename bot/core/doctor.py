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

The report is in the operator's language (``--locale``, else ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG`` as gettext
takes them, else English: :func:`bot.platform.i18n.environment_language`); keys, paths, ids and Discord's own error
text stay as written, and the ``ok`` / ``PROBLEM`` markers stay English for scripts to read.
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

from bot.platform import deferred, diagnostics
from bot.platform import resolver as guild_settings
from bot.platform.config import ConfigError, KudosConfig, load_config
from bot.platform.i18n import Translator, translator

# application.mdx "Application Flags": (intent, flag for 100+ servers, flag for under 100 servers, its name).
INTENT_FLAGS = (
    ("members", 1 << 14, 1 << 15, "Server Members Intent"),
    ("message_content", 1 << 18, 1 << 19, "Message Content Intent"),
    ("presences", 1 << 12, 1 << 13, "Presence Intent"),
)
FEATURE_CHANNELS = ("announcements", "showcase", "staff_log", "feedback_forum")


@dataclass
class Report:
    tr: Translator = field(default_factory=translator)  # the operator's language
    problems: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def ok(self, text: str) -> None:
        self.passed.append(text)


async def run_doctor(config_path: str, *, token: str | None, intents: discord.Intents,
                     out: Callable[[str], None] = print, tr: Translator | None = None) -> int:
    """Run every check, print ``ok`` / ``problem`` lines (in ``tr``'s language, English by default), and return
    the exit code (0: no problem)."""
    report = Report(tr or translator())
    tr = report.tr
    config = _check_config(config_path, report)
    if config is not None:
        _check_web_secret(config, report)
        await _check_database(config, report)
        if token:
            await _check_discord(config, token, intents, report)
        else:
            report.problem(tr("KUDOS_TOKEN: not set; export the bot token from the Developer Portal (Bot → Token) "
                              "to check Discord too"))
    for line in report.passed:
        out(f"ok       {line}")
    for line in report.problems:
        out(f"PROBLEM  {line}")
    if report.problems:
        out(tr("kudos doctor: {count} problem(s); fix them, then run `kudos doctor` again",
               count=len(report.problems)))
        return 1
    out(tr("kudos doctor: everything checked is ready; start the bot with `kudos run`"))
    return 0


def _check_config(path: str, report: Report) -> KudosConfig | None:
    tr = report.tr
    if not Path(path).exists():
        report.problem(tr("{path}: file not found; copy config.example.toml to {path} and edit it", path=path))
        return None
    try:
        config = load_config(path)
    except ConfigError as exc:
        report.problem(exc.translated(tr))
        return None
    report.ok(tr("config {path} is valid", path=path))
    return config


def _check_web_secret(config: KudosConfig, report: Report) -> None:
    if not config.web.enabled:
        return
    tr = report.tr
    if len(os.environ.get("KUDOS_WEB_SECRET", "").strip()) < 16:
        report.problem(tr("KUDOS_WEB_SECRET: not set (or shorter than 16 characters) while [web] enabled = true; "
                          "set it to a long random string (e.g. `openssl rand -hex 32`), or dashboard logins and "
                          "reward marks change at every restart"))
    else:
        report.ok(tr("dashboard secret set"))


async def _check_database(config: KudosConfig, report: Report) -> None:
    from bot.platform.db import Database, migrate

    tr = report.tr
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
        report.problem(tr("bot.database_url: cannot reach the {backend} database ({reason}); check the URL, that "
                          "the server runs and that this user may connect", backend=parsed.get_backend_name(),
                          reason=reason))
        return
    finally:
        await db.close()
    heads = set(migrate.head_revisions())
    head, schema = ", ".join(sorted(heads)), ", ".join(sorted(current)) or tr("empty")
    if current == heads:
        report.ok(tr("database reachable, schema at head ({head})", head=head))
    elif config.bot.auto_migrate:
        report.ok(tr("database reachable; its schema ({schema}) is upgraded to {head} at start (bot.auto_migrate)",
                     schema=schema, head=head))
    else:
        report.problem(tr("bot.auto_migrate: false and the database schema ({schema}) is behind {head}; run "
                          "`kudos migrate` before `kudos run`", schema=schema, head=head))


def _check_sqlite_file(path: Path, report: Report) -> bool:
    tr = report.tr
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        report.problem(tr("bot.database_url: the folder {folder} does not exist; create it or point the URL "
                          "elsewhere", folder=folder))
        return False
    # SQLite writes the -wal and -shm files beside the database: the folder must be writable too.
    if not os.access(folder, os.W_OK):
        report.problem(tr("bot.database_url: the folder {folder} is not writable by this user; SQLite needs to "
                          "create its -wal and -shm files there (chown it to the bot's user)", folder=folder))
        return False
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            report.problem(tr("bot.database_url: {path} is not readable and writable by this user; chown or chmod "
                              "it", path=path))
            return False
        try:
            sqlite3.connect(f"file:{path}?mode=ro", uri=True).execute("PRAGMA schema_version").close()
        except sqlite3.DatabaseError as exc:
            report.problem(tr("bot.database_url: {path} is not an SQLite database ({error}); restore a backup or "
                              "point the URL elsewhere", path=path, error=exc))
            return False
    return True


async def _check_discord(config: KudosConfig, token: str, intents: discord.Intents, report: Report) -> None:
    tr = report.tr
    client = discord.Client(intents=intents)
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            report.problem(tr("KUDOS_TOKEN: Discord rejected this token; copy it again from the Developer Portal "
                              "(Bot → Reset Token)"))
            return
        except (TimeoutError, aiohttp.ClientError, discord.DiscordServerError) as exc:
            report.problem(tr("discord: cannot reach Discord ({error}); check this machine's internet connection, "
                              "DNS and firewall (outgoing HTTPS to discord.com)", error=type(exc).__name__))
            return
        report.ok(tr("token accepted (bot {user})", user=client.user))
        app = await client.application_info()
        _check_intents(app, intents, report)
        await _check_guilds(client, app, config, report)
    finally:
        await client.close()


def _check_intents(app: discord.AppInfo, intents: discord.Intents, report: Report) -> None:
    tr = report.tr
    flags = app.flags.value
    for name, full, limited, label in INTENT_FLAGS:
        if getattr(intents, name) and not flags & (full | limited):
            report.problem(tr("intents: the {intent} is off for this application; turn it on in the Developer "
                              "Portal (Bot → Privileged Gateway Intents), or Discord closes the connection (4014)",
                              intent=label))
        elif getattr(intents, name):
            report.ok(tr("{intent} enabled", intent=label))


async def _check_guilds(client: discord.Client, app: discord.AppInfo, config: KudosConfig, report: Report) -> None:
    joined = {guild.id: guild async for guild in client.fetch_guilds(limit=None)}
    wanted = config.guild_ids or tuple(joined)
    invite = discord.utils.oauth_url(app.id, permissions=discord.Permissions(_invite_permissions()),
                                     scopes=("bot", "applications.commands"))
    tr = report.tr
    if not wanted:
        report.problem(tr("guilds: the bot is in no server yet; invite it with {invite}", invite=invite))
        return
    for guild_id in wanted:
        if guild_id not in joined:
            report.problem(tr("guilds.{id}: the bot is not in this server; invite it with {invite}", id=guild_id,
                              invite=invite))
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
    tr = report.tr
    where = tr("server {name} ({id})", name=guild.name, id=guild.id)
    before = len(report.problems)
    resolved = guild_settings.resolve_config(guild.id, cfg, roles=[(r.id, r.name) for r in guild.roles],
                                             channels=[(c.id, c.name) for c in channels])
    for problem in resolved.problems:
        report.problem(f"{where}: {deferred.render(tr, problem)}")
    by_id = {c.id: c for c in channels}
    checks = [(key, resolved.channel(key)) for key in FEATURE_CHANNELS]
    checks += [("help_forums", forum_id) for forum_id in resolved.help_forums]
    for key, channel_id in checks:
        channel = by_id.get(channel_id or 0)
        if channel is None:
            continue
        granted = _granted(channel.permissions_for(me))
        missing = [tr(diagnostics.pretty(p)) for p in diagnostics.REQUIRED.get(key, ()) if p not in granted]
        if missing:
            report.problem(tr("{where}: #{channel}: I'm missing {permissions} (needed for {feature}); grant them to "
                              "my role in the channel's permissions", where=where, channel=channel.name,
                              permissions=", ".join(missing), feature=key.replace("_", " ")))
    if not me.guild_permissions.manage_roles:
        report.problem(tr("{where}: I'm missing Manage Roles (needed to give reward roles); grant it to my role",
                          where=where))
    _check_reward_roles(guild, me, cfg, where, report)
    if len(report.problems) == before:
        report.ok(tr("{where}: channels, roles and permissions in place", where=where))


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
                report.problem(f"{where}: {deferred.render(report.tr, problem)}")
            continue
        role = guild.get_role(role_id)
        assert role is not None
        facts = RoleFacts(role.id, role.name, role.position, role.permissions.value, managed=role.managed,
                          is_default=role.is_default())
        for problem in role_problems(facts, bot_top_position=me.top_role.position,
                                     bot_can_manage_roles=me.guild_permissions.manage_roles):
            if "Manage Roles" not in problem:  # reported once per server above
                report.problem(report.tr("{where}: reward {name}: {problem}", where=where, name=rule.name,
                                         problem=deferred.render(report.tr, problem)))
