"""Logging, configured once at start. Secrets (the token) are redacted from every record."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from bot.platform import logctx

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# Loggers kept above DEBUG whatever log_level says: at DEBUG they log request bodies, gateway payloads
# (slash-command options, e.g. perk codes typed into /perks add-codes) and SQL parameters.
QUIET_LOGGERS = {
    "discord.http": logging.INFO,
    "discord.gateway": logging.INFO,
    "aiosqlite": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,  # INFO would log every statement
    "apscheduler": logging.WARNING,
}


# Loggers whose INFO lines are library noise at every start (alembic lists its autogenerate plugins).
SILENT_LOGGERS = {"alembic.runtime.plugins": logging.WARNING}


class NoVoiceWarnings(logging.Filter):
    """discord.py warns at start that PyNaCl and davey are missing, so voice is not supported; Kudos uses no
    voice, so the warnings only alarm a newcomer."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in str(record.msg)


no_voice_warnings = NoVoiceWarnings()


class RedactSecrets(logging.Filter):
    """Replaces every registered secret in a record's final message with ``[redacted]``."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 8:
            self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        text = message
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc_text = record.exc_text
        if exc_text:
            for secret in self._secrets:
                exc_text = exc_text.replace(secret, "[redacted]")
        if text != message or exc_text != record.exc_text:
            record.msg, record.args, record.exc_text = text, None, exc_text
        return True


redactor = RedactSecrets()


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``[bot] log_format = "json"``): timestamp (UTC, ISO 8601), level, logger,
    message, the exception's traceback if any, and the ids the line is about (:mod:`bot.platform.logctx`:
    correlation_id, guild_id, channel_id, user_id, command, job_id, job) where known. Ids are strings, as
    Discord writes snowflakes, so that log tools do not round them."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = getattr(record, "kudos_context", None)
        if context is None:
            context = logctx.current()
        for key in logctx.FIELDS:
            value = context.get(key)
            if value is not None:
                line[key] = value if isinstance(value, str) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class BindContext(logging.Filter):
    """Keeps the ids bound when the record was made (a handler may format it later, elsewhere)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "kudos_context"):
            record.kudos_context = logctx.current()
        return True


bind_context = BindContext()


def make_formatter(log_format: str = "text") -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(_FORMAT)


def setup_logging(level: str = "INFO", *, stream=None, log_format: str = "text") -> None:  # type: ignore[no-untyped-def]
    """Configure the root logger once; later calls only change the level and the format."""
    root = logging.getLogger()
    root.setLevel(level)
    ours = [h for h in root.handlers if getattr(h, "_kudos", False)]
    if ours:
        for handler in ours:
            handler.setFormatter(make_formatter(log_format))
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(bind_context)
    handler.addFilter(redactor)
    handler._kudos = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    for name, floor in SILENT_LOGGERS.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLogger(name).level))
    if no_voice_warnings not in logging.getLogger("discord.client").filters:
        logging.getLogger("discord.client").addFilter(no_voice_warnings)
    # Never below the floor (their DEBUG output holds request bodies and SQL parameters), never more
    # talkative than the level asked for.
    wanted = logging.getLevelName(level) if isinstance(level, str) else level
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(floor, wanted if isinstance(wanted, int) else floor))
