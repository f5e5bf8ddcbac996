"""The ``kudos`` command: run, migrate, check-config, export, backup, restore, sandbox.

Operator mistakes (bad config, unreachable database, missing token) print one clear line and exit 2,
with no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.platform import deferred
from bot.platform.deferred import Said, said
from bot.platform.i18n import N_

EXIT_USAGE = 2
DEFAULT_CONFIG = "config.toml"

log = logging.getLogger("kudos")


class CliError(Exception):
    """One line for the operator; exit code 2. A :func:`~bot.platform.deferred.said` message (English as its
    text) is said in the operator's language where :func:`main` prints it."""


def _config_path(args: argparse.Namespace) -> str:
    return args.config or os.environ.get("KUDOS_CONFIG") or DEFAULT_CONFIG


def _operator(args: argparse.Namespace | None = None):  # type: ignore[no-untyped-def]
    """The operator's translator: ``--locale`` where the command has it, else the environment (``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``), else English (docs/languages.md)."""
    from bot.platform.i18n import environment_language, translator

    locale = getattr(args, "locale", None)
    return translator(locale) if locale else translator(environment_language())


def _load(path: str, args: argparse.Namespace | None = None):  # type: ignore[no-untyped-def]
    from bot.platform.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:  # the config file's own checks, in the operator's language
        raise CliError(exc.translated(_operator(args))) from None


# -- check-config ----------------------------------------------------------------------------------
def cmd_check_config(args: argparse.Namespace) -> int:
    config = _load(args.path, args)
    guilds = [g for g in config.guilds if g != "default"]
    tr = _operator(args)
    print(tr("{path}: OK ({count} guild override(s); database {database})", path=args.path, count=len(guilds),
             database=config.bot.database_url.split(":")[0]))
    return 0


# -- migrate ---------------------------------------------------------------------------------------
async def _migrate(url: str, revision: str) -> str | None:
    from bot import schema
    from bot.platform.db import Database, DatabaseError, migrate

    try:
        db = Database(url)
    except DatabaseError as exc:
        raise CliError(*exc.args) from None
    try:
        await db.check()
        if revision in ("base",) or revision.startswith("-"):
            await migrate.downgrade(db, revision)
        else:
            await migrate.upgrade(db, revision, metadata=schema.metadata)
        return await migrate.current_revision(db)
    except DatabaseError as exc:
        raise CliError(*exc.args) from None
    finally:
        await db.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    url = args.database_url or _load(_config_path(args)).bot.database_url
    current = asyncio.run(_migrate(url, args.revision))
    tr = _operator(args)
    print(tr("database schema at revision {revision}", revision=current) if current
          else tr("database schema at revision base (empty)"))
    return 0


# -- run -------------------------------------------------------------------------------------------
def parse_shards(shard_ids: str | None, shard_count: int | None) -> dict[str, object]:
    """``--shard-ids 0,1 --shard-count 4`` → ``create_bot`` options; one clear line on a mistake."""
    if shard_ids is None and shard_count is None:
        return {}
    if shard_count is None:
        raise CliError(said(N_("--shard-ids: give --shard-count too (the number of shards across every process)")))
    if shard_count < 1:
        raise CliError(said(N_("--shard-count: must be 1 or more, not {count}"), count=shard_count))
    if shard_ids is None:
        return {"shard_count": shard_count}
    try:
        ids = [int(part) for part in shard_ids.split(",")]
    except ValueError:
        raise CliError(said(N_("--shard-ids: {ids} is not a comma-separated list of numbers (e.g. 0,1)"),
                             ids=repr(shard_ids))) from None
    bad = [i for i in ids if not 0 <= i < shard_count]
    if bad:
        raise CliError(said(N_("--shard-ids: {id} is out of range; with --shard-count {count} shard ids go from 0 "
                               "to {last}"), id=bad[0], count=shard_count, last=shard_count - 1))
    if len(set(ids)) != len(ids):
        raise CliError(said(N_("--shard-ids: {ids} lists a shard twice"), ids=repr(shard_ids)))
    return {"shard_ids": ids, "shard_count": shard_count}


def _test_endpoints() -> None:
    """Tests and the sandbox only: ``KUDOS_DISCORD_API_BASE`` (``http://127.0.0.1:PORT/api/v10``) and
    ``KUDOS_DISCORD_GATEWAY`` point discord.py at the loopback emulator, so end-to-end tests can run
    ``kudos run`` as real processes. Loopback addresses only: it can never send a token anywhere else."""
    base = os.environ.get("KUDOS_DISCORD_API_BASE")
    if not base:
        return
    import discord.gateway
    import discord.http
    import yarl

    gateway = os.environ.get("KUDOS_DISCORD_GATEWAY", "")
    for name, value in (("KUDOS_DISCORD_API_BASE", base), ("KUDOS_DISCORD_GATEWAY", gateway)):
        if yarl.URL(value).host not in ("127.0.0.1", "localhost", "::1"):
            raise CliError(said(N_("{name}: {value} is not a loopback address; it is for tests against the "
                                   "emulator only (unset it to talk to Discord)"), name=name, value=repr(value)))
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    log.warning("KUDOS_DISCORD_API_BASE is set: talking to the emulator at %s, not to Discord", base)


# The Developer Portal's names of the privileged intents (Bot → Privileged Gateway Intents).
PRIVILEGED_INTENT_NAMES = (("presences", "Presence Intent"), ("members", "Server Members Intent"),
                           ("message_content", "Message Content Intent"))


def intents_refused(intents) -> Said:  # type: ignore[no-untyped-def]
    """What to do when Discord closed the gateway with 4014 (disallowed intents): the privileged intents the
    bot asks for, by the names the Developer Portal shows (Discord does not say which one is off; the names
    stay English, as the Portal shows them)."""
    wanted = [name for attr, name in PRIVILEGED_INTENT_NAMES if getattr(intents, attr, False)]
    if len(wanted) > 1:
        names: object = said(N_("{names} and {last}"), names=", ".join(wanted[:-1]), last=wanted[-1])
    else:
        names = wanted[0] if wanted else said(N_("them"))
    return said(N_("intents: Discord refused the connection (close code 4014, disallowed intents). Switch on "
                   "{names} for this bot in the Developer Portal (your application → Bot → Privileged Gateway "
                   "Intents), save, and start Kudos again."), names=names)


MAX_CONNECT_BACKOFF = 60.0


def discord_unreachable(reason: str, attempts: int) -> Said:
    """Discord's own error (``reason``) stays as it is."""
    return Said(deferred.ngettext(
        "discord: cannot reach Discord ({reason}) after {attempts} attempt(s); check this machine's internet "
        "connection, DNS and firewall (outgoing HTTPS to discord.com and gateway.discord.gg), then start Kudos "
        "again (bot.connect_attempts and bot.connect_backoff_seconds set how long it keeps trying)",
        "discord: cannot reach Discord ({reason}) after {attempts} attempt(s); check this machine's internet "
        "connection, DNS and firewall (outgoing HTTPS to discord.com and gateway.discord.gg), then start Kudos "
        "again (bot.connect_attempts and bot.connect_backoff_seconds set how long it keeps trying)",
        attempts, reason=reason, attempts=attempts))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _login(bot, token: str, attempts: int, backoff: float) -> None:  # type: ignore[no-untyped-def]
    """``bot.login`` with retries while Discord cannot be reached (no network, DNS, a firewall, 5xx); a
    rejected token, the database or a migration failing in ``setup_hook`` are not retried."""
    import aiohttp
    import discord
    import discord.utils

    for attempt in range(1, attempts + 1):
        try:
            await bot.login(token)
            return
        except (TimeoutError, aiohttp.ClientConnectionError, discord.DiscordServerError) as exc:
            if bot.user is not None:  # logged in: the failure came from setup_hook, not from reaching Discord
                raise
            reason = _reason(exc)
            if attempt == attempts:
                raise CliError(discord_unreachable(reason, attempts)) from None
        delay = min(MAX_CONNECT_BACKOFF, backoff * 2 ** (attempt - 1))
        log.warning("cannot reach Discord (%s); trying again in %.1f s (attempt %d of %d)",
                    reason, delay, attempt, attempts)
        await bot.http.close()  # the next login opens a new session and connector
        bot.http.connector = discord.utils.MISSING
        await asyncio.sleep(delay)


async def _start(bot, token: str, config) -> None:  # type: ignore[no-untyped-def]
    # The database first: a wrong database_url is said before Kudos shows up on Discord at all.
    await bot.db.check()
    await _login(bot, token, config.bot.connect_attempts, config.bot.connect_backoff_seconds)
    await bot.connect()


async def _run_bot(config, token: str, shards: dict[str, object] | None = None) -> None:  # type: ignore[no-untyped-def]
    import discord

    from bot.core.bot import create_bot
    from bot.platform.db import DatabaseError

    bot = create_bot(config, **(shards or {}))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bot:
        runner = asyncio.create_task(_start(bot, token, config), name="kudos-bot")
        stopper = asyncio.create_task(stop.wait(), name="kudos-signal")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("signal received, shutting down cleanly")
        else:
            stopper.cancel()
        await bot.close()
        if runner in done:
            exc = runner.exception()
            if isinstance(exc, discord.LoginFailure):
                raise CliError(said(N_("KUDOS_TOKEN: Discord rejected this token; copy it again from the Developer "
                                        "Portal")))
            if isinstance(exc, discord.PrivilegedIntentsRequired):
                raise CliError(intents_refused(bot.intents))
            if isinstance(exc, CliError):
                raise CliError(*exc.args)
            if isinstance(exc, DatabaseError):
                raise CliError(*exc.args)
            if exc is not None:
                raise exc
        else:
            runner.cancel()


def cmd_run(args: argparse.Namespace) -> int:
    from bot.core.logs import redactor, setup_logging

    shards = parse_shards(args.shard_ids, args.shard_count)
    token = os.environ.get("KUDOS_TOKEN", "").strip()
    if not token:
        raise CliError(said(N_("KUDOS_TOKEN: not set; export the bot token from the Developer Portal (Bot → Token)")))
    redactor.add(token)
    path = _config_path(args)
    if not Path(path).exists():
        raise CliError(said(N_("{path}: file not found; copy config.example.toml to {path} and edit it"), path=path))
    config = _load(path)
    if args.no_migrate:
        config = config.model_copy(update={"bot": config.bot.model_copy(update={"auto_migrate": False})})
    setup_logging(config.bot.log_level, log_format=config.bot.log_format)
    _test_endpoints()
    asyncio.run(_run_bot(config, token, shards))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.core.bot import default_intents
    from bot.core.doctor import run_doctor
    from bot.core.logs import redactor, setup_logging

    token = os.environ.get("KUDOS_TOKEN", "").strip() or None
    redactor.add(token)
    setup_logging("ERROR")  # the report is the output; library chatter would bury it
    _test_endpoints()
    return asyncio.run(run_doctor(_config_path(args), token=token, intents=default_intents(), tr=_operator(args)))


# -- export ----------------------------------------------------------------------------------------
async def _export(config, guild_id: int, what: str, period: str):  # type: ignore[no-untyped-def]
    from bot.insights import InsightsService
    from bot.ledger import LedgerPolicy
    from bot.platform.clock import SystemClock
    from bot.platform.db import Database, DatabaseError
    from bot.platform.errors import KudosError

    try:
        db = Database(config.bot.database_url)
    except DatabaseError as exc:
        raise CliError(*exc.args) from None
    try:
        await db.check()
        service = InsightsService(db, SystemClock(), lambda g: LedgerPolicy.from_config(config.guild(g)))
        return await service.export(guild_id, what, period)
    except DatabaseError as exc:
        raise CliError(*exc.args) from None
    except KudosError as exc:
        raise CliError(exc.translated(_operator())) from None
    finally:
        await db.close()


def cmd_export(args: argparse.Namespace) -> int:
    config = _load(_config_path(args))
    import gzip

    result = asyncio.run(_export(config, args.guild, args.what, args.period))
    data = gzip.compress(result.data, mtime=0) if args.out.endswith(".gz") else result.data
    try:
        Path(args.out).write_bytes(data)
    except OSError as exc:
        raise CliError(f"{args.out}: {exc.strerror}") from None
    tr = _operator(args)
    print(tr.ngettext("{out}: {rows} row(s) of {what} (perk codes masked)",
                      "{out}: {rows} row(s) of {what} (perk codes masked)",
                      result.rows, out=args.out, rows=result.rows, what=args.what))
    return 0


# -- backup / restore (SQLite) ---------------------------------------------------------------------
BACKUP_PAGES_PER_STEP = 256  # copy in steps so the running bot's writes go on between them


def _sqlite_file(args: argparse.Namespace, verb: str) -> Path:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = args.database_url or _load(_config_path(args)).bot.database_url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CliError(said(N_("database_url: not a valid database URL ({url})"), url=repr(url))) from None
    if parsed.get_backend_name() != "sqlite":
        raise CliError(said(N_("{verb}: only SQLite databases are handled here; for PostgreSQL use pg_dump / "
                               "pg_restore (see docs/operations.md)"), verb=verb))
    if not parsed.database or parsed.database == ":memory:":
        raise CliError(said(N_("{verb}: the database URL names no file"), verb=verb))
    return Path(parsed.database)


def _integrity(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def cmd_backup(args: argparse.Namespace) -> int:
    source = _sqlite_file(args, "backup")
    if not source.is_file():
        raise CliError(said(N_("{path}: database file not found"), path=str(source)))
    out = Path(args.out)
    if out.exists() and not args.force:
        raise CliError(said(N_("{path}: already exists; pass --force to overwrite it"), path=str(out)))
    if not out.parent.is_dir():
        raise CliError(said(N_("{path}: folder not found"), path=str(out.parent)))
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                # SQLite's online backup API: a consistent snapshot even while the bot writes (a write between
                # two steps restarts the copy from the changed pages).
                src.backup(dst, pages=BACKUP_PAGES_PER_STEP, sleep=0.005)
                result = _integrity(dst)
                pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise CliError(f"backup: {source}: {exc}") from None
    if result != "ok":
        partial.unlink(missing_ok=True)
        raise CliError(said(N_("backup: the copy failed its integrity check ({result}); {path} may be damaged"),
                            result=result, path=str(source)))
    os.replace(partial, out)
    tr = _operator(args)
    print(tr.ngettext("{out}: backup of {path} ({pages} pages, integrity ok)",
                      "{out}: backup of {path} ({pages} pages, integrity ok)",
                      pages, out=str(out), path=str(source), pages=pages))
    return 0


def _has_data(conn: sqlite3.Connection) -> bool:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite_%'")]
    return any(conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in tables)  # noqa: S608 - names from sqlite_master


def cmd_restore(args: argparse.Namespace) -> int:
    target = _sqlite_file(args, "restore")
    backup = Path(args.backup)
    if not backup.is_file():
        raise CliError(said(N_("{path}: backup file not found"), path=str(backup)))
    try:
        src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            result = _integrity(src)
            has_schema = src.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone()
        except sqlite3.DatabaseError:
            src.close()
            raise CliError(said(N_("{path}: not a SQLite database"), path=str(backup))) from None
    except sqlite3.Error as exc:
        raise CliError(said(N_("{path}: cannot open ({error})"), path=str(backup), error=str(exc))) from None
    try:
        if result != "ok":
            raise CliError(said(N_("{path}: fails its integrity check ({result}); not restoring it"), path=str(backup),
                                result=result))
        if not has_schema:
            raise CliError(said(N_("{path}: not a Kudos database (no schema version table)"), path=str(backup)))
        if not target.parent.is_dir():
            raise CliError(said(N_("{path}: folder not found"), path=str(target.parent)))
        dst = sqlite3.connect(target, timeout=0.5)
        try:
            if target.exists() and _has_data(dst) and not args.force:
                raise CliError(said(N_("{path}: already holds data; stop the bot and pass --force to replace it"),
                                    path=str(target)))
            try:  # a running bot (or any writer) holds the database: refuse rather than pull it from under it
                dst.execute("BEGIN IMMEDIATE")
                dst.execute("ROLLBACK")
            except sqlite3.OperationalError:
                raise CliError(said(N_("{path}: in use by another process (is the bot running?); stop it first"),
                                    path=str(target))) from None
            src.backup(dst)
            if _integrity(dst) != "ok":
                raise CliError(said(N_("{path}: the restored database fails its integrity check"), path=str(target)))
        finally:
            dst.close()
    finally:
        src.close()
    tr = _operator(args)
    print(tr("{path}: restored from {backup} (integrity ok); start the bot to apply any newer migrations",
             path=str(target), backup=str(backup)))
    return 0


# -- sandbox ---------------------------------------------------------------------------------------
def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.cli import run_sandbox

    return run_sandbox(args)


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help=f"config file (default: $KUDOS_CONFIG or {DEFAULT_CONFIG})")


def _locale_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--locale", metavar="LANG",
                        help="the report's language (de, fr, es, pt-BR, ja, en; default: from LC_ALL, LC_MESSAGES "
                             "or LANG, else English)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kudos", description="Kudos: a community-reward Discord bot for brand communities."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", help="start the bot (token from KUDOS_TOKEN)")
    _config_option(p)
    p.add_argument("--no-migrate", action="store_true", help="do not upgrade the database schema at start")
    p.add_argument("--shard-ids", metavar="IDS",
                   help="run only these shards (e.g. 0,1): one process of a bot split across several "
                        "(PostgreSQL needed); with --shard-count")
    p.add_argument("--shard-count", type=int, metavar="N", help="the number of shards across every process")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("doctor", help="check config, database, token, intents, servers, channels, roles and "
                                      "permissions before `kudos run` (exit 1 on any problem)")
    _config_option(p)
    _locale_option(p)
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("migrate", help="apply database migrations")
    _config_option(p)
    p.add_argument("--database-url", help="override bot.database_url")
    p.add_argument("--revision", default="head", help="target revision (default: head; 'base' empties)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("check-config", help="validate a config file without starting the bot")
    p.add_argument("path", help="the TOML file to check")
    _locale_option(p)
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("export", help="write contributions, feedback or betas of a server as CSV (codes masked)")
    p.add_argument("--guild", type=int, required=True, help="the server (guild) id")
    p.add_argument("--what", choices=["contributions", "feedback", "betas"], required=True)
    p.add_argument("--out", required=True, help="output file (.csv; .csv.gz to gzip it)")
    p.add_argument("--period", choices=["7d", "30d", "90d", "365d", "all"], default="all",
                   help="created in this period (default: all)")
    _config_option(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("backup", help="copy the SQLite database to OUT while the bot runs (online backup)")
    p.add_argument("out", metavar="OUT", help="the backup file to write")
    _config_option(p)
    p.add_argument("--database-url", help="override bot.database_url")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the SQLite database with a backup (stop the bot first)")
    p.add_argument("backup", metavar="IN", help="a file written by kudos backup")
    _config_option(p)
    p.add_argument("--database-url", help="override bot.database_url")
    p.add_argument("--force", action="store_true", help="replace a database that already holds data")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("sandbox", help="run the offline demo (or a scenario) against the Discord emulator")
    p.add_argument("scenario", nargs="?", help="scenario TOML (default: the bundled demo)")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="write the final state as JSON")
    p.add_argument("--db", dest="database_url", metavar="URL", help="database URL (default: a temp SQLite file)")
    p.add_argument("--dashboard", action="store_true",
                   help="after the demo, keep the staff dashboard open on localhost and print a login link")
    p.add_argument("--port", type=int, default=8080, help="dashboard port with --dashboard (default: 8080)")
    p.add_argument("--quiet", action="store_true", help="print only the result line")
    p.add_argument("--locale", metavar="LANG",
                   help="play it in another language: every member's client and the server speak LANG "
                        "(de, fr, es, pt-BR, ja; docs/languages.md)")
    p.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:  # a said message in the operator's language; any other text as it is
        from bot.platform.deferred import render_said

        text = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) else str(exc)
        print(f"kudos: {render_said(_operator(args), text)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
