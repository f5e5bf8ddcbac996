"""Session-wide secrets check (a pytest plugin, enabled in tests/conftest.py).

For every test of the whole suite it scans every log record emitted, in its text and its JSON form (as production would write it: the
loggers ``bot.core.logs.QUIET_LOGGERS`` keeps above DEBUG are held to their floor) and every public message
(not ephemeral, not a DM) recorded by every emulator the test created. Neither an emulator's bot token nor any
perk code (read from the test's databases, and from codes typed into ``/perks add-codes``) may appear.
A leak fails the session; the terminal summary reports what was scanned.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import sys
import threading
from collections.abc import Generator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.core.logs import QUIET_LOGGERS, JsonFormatter, bind_context
from bot.emulator import spec

DELIBERATE = ("kudos.test",)  # tests that log a secret on purpose to check the redaction filter
SCANNED = {"tests": 0, "log records": 0, "public messages": 0, "tokens": 0, "perk codes": 0}
LEAKS: list[str] = []


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        floor = next((lvl for name, lvl in QUIET_LOGGERS.items()
                      if record.name == name or record.name.startswith(name + ".")), None)
        if floor is not None and record.levelno < floor:
            return
        if record.name.startswith(DELIBERATE):
            return
        bind_context.filter(record)  # the ids bound when it was logged, for the JSON form below
        self.records.append(record)


_HANDLER = _Collect()
_JSON = JsonFormatter()


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger().addHandler(_HANDLER)
    for ours in ("bot", "cogs"):
        if logging.getLogger(ours).level == logging.NOTSET:
            logging.getLogger(ours).setLevel(logging.DEBUG)


def pytest_unconfigure(config: pytest.Config) -> None:
    logging.getLogger().removeHandler(_HANDLER)


def _harnesses(item: pytest.Item) -> list[Any]:
    found = []
    for value in getattr(item, "funcargs", {}).values():
        for candidate in value if isinstance(value, tuple) else (value,):
            if hasattr(candidate, "database_url") and hasattr(candidate, "emu"):
                found.append(candidate)
            elif hasattr(candidate, "url") and hasattr(candidate, "engine"):  # a bare Database (service tests)
                found.append(candidate)
    return found


def _codes_from_db(url: str) -> set[str]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database:
            return set()
        try:
            conn = sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True, timeout=1)
            try:
                return {r[0] for r in conn.execute("SELECT code FROM perk_codes")}
            finally:
                conn.close()
        except sqlite3.Error:
            return set()
    out: set[str] = set()

    def read() -> None:
        import asyncpg

        async def go() -> None:
            dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
            conn = await asyncpg.connect(dsn)
            try:
                out.update(r[0] for r in await conn.fetch("SELECT code FROM perk_codes"))
            finally:
                await conn.close()

        try:
            asyncio.run(go())
        except Exception:  # noqa: BLE001 - no table yet, database gone: nothing to read
            pass

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(10)
    return out


def _typed_codes(emu: Any) -> set[str]:
    out: set[str] = set()
    for rec in emu.interactions.values():
        data = rec.data or {}
        if data.get("name") != "perks":
            continue
        stack = list(data.get("options") or [])
        while stack:
            opt = stack.pop()
            stack += opt.get("options") or []
            if opt.get("name") == "codes" and isinstance(opt.get("value"), str):
                out.update(w for w in opt["value"].replace(",", " ").split() if len(w) >= 6)
    return out


def _public_texts(emu: Any) -> list[str]:
    texts = []
    for channel in list(emu.state.channels.values()):
        if channel.type == 1:
            continue
        for msg in emu.messages(channel.id):
            if msg.ephemeral:
                continue
            texts.append("\n".join([msg.content or "", *(str(e) for e in msg.embeds), str(msg.components)]))
    return texts


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    # Before the fixtures are torn down: the emulators and databases of the test still exist.
    try:
        _scan(item)
    except Exception as exc:  # noqa: BLE001 - the scan must never break a test's teardown
        LEAKS.append(f"{item.nodeid}: the secrets scan itself failed: {exc!r}")
    yield


def _scan(item: pytest.Item) -> None:
    records, _HANDLER.records = _HANDLER.records, []
    emulators = list(spec.PENDING)
    secrets: dict[str, str] = {}
    for emu in emulators:
        secrets[emu.token] = "the bot token"
        for code in _typed_codes(emu):
            secrets[code] = "a perk code"
    for h in _harnesses(item):
        url = getattr(h, "database_url", None) or getattr(h, "url", None)
        if url:
            for code in _codes_from_db(url):
                secrets[code] = "a perk code"
        emu = getattr(h, "emu", None)
        if emu is not None and emu not in emulators:
            emulators.append(emu)
            secrets[emu.token] = "the bot token"
    SCANNED["tests"] += 1
    SCANNED["log records"] += len(records)
    SCANNED["tokens"] += sum(1 for v in secrets.values() if v == "the bot token")
    SCANNED["perk codes"] += sum(1 for v in secrets.values() if v == "a perk code")
    if not secrets:
        return
    for record in records:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not ours to judge here
            continue
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        # ... and as `[bot] log_format = "json"` writes it: every field of the line, decoded.
        text += "\n" + "\n".join(str(value) for value in json.loads(_JSON.format(record)).values())
        for secret, what in secrets.items():
            if secret in text:
                LEAKS.append(f"{item.nodeid}: {what} in a log line of {record.name}: {text[:160]!r}")
    for emu in emulators:
        texts = _public_texts(emu)
        SCANNED["public messages"] += len(texts)
        for text in texts:
            for secret, what in secrets.items():
                if secret in text:
                    LEAKS.append(f"{item.nodeid}: {what} in a public message: {text[:160]!r}")


# Under pytest-xdist each worker scans its own tests; the controller adds up what every worker reports, and a leak
# found in any worker (or a worker whose scan never arrived) fails the run there.
_OUTPUT_KEY = "kudos.secrets_scan"
UNSCANNED: list[str] = []  # xdist workers that went down without sending their scan


def _hardening_counts() -> Any:
    support = sys.modules.get("tests.hardening.support")  # counts exist only where hardening tests were imported
    return support.COUNTS if support is not None else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: send the scan to the controller
        workeroutput[_OUTPUT_KEY] = {"scanned": dict(SCANNED), "leaks": list(LEAKS),
                                     "hardening": dict(_hardening_counts() or {})}
    if (LEAKS or UNSCANNED) and session.exitstatus == 0:
        session.exitstatus = 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, in the controller: a worker is done; merge its scan and its hardening counts."""
    out = getattr(node, "workeroutput", {}).get(_OUTPUT_KEY)
    if out is None:
        UNSCANNED.append(f"{getattr(getattr(node, 'gateway', None), 'id', '?')} ({error or 'no scan in its output'})")
        return
    for key, value in out["scanned"].items():
        SCANNED[key] = SCANNED.get(key, 0) + value
    LEAKS.extend(out["leaks"])
    if out["hardening"]:
        from tests.hardening.support import COUNTS

        COUNTS.update(out["hardening"])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if hasattr(terminalreporter.config, "workerinput"):
        return  # an xdist worker: the controller reports for the whole run
    for lost in UNSCANNED:
        terminalreporter.write_line(f"secrets scan: xdist worker {lost} sent no scan: its tests are unchecked")
    if not SCANNED["tests"]:
        return
    s = SCANNED
    terminalreporter.write_line(
        f"secrets scan: {s['tests']} tests, {s['log records']} log records and {s['public messages']} public "
        f"messages checked against {s['tokens']} bot tokens and {s['perk codes']} perk codes: {len(LEAKS)} leaks")
    for leak in LEAKS[:50]:
        terminalreporter.write_line(f"  LEAK {leak}")
    counts = _hardening_counts()
    if counts:
        terminalreporter.write_line("hardening: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
