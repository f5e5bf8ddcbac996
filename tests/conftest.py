"""Shared fixtures: real databases (a SQLite file always, PostgreSQL when KUDOS_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.platform.clock import FakeClock
from bot.platform.db import Database, migrate

pytest_plugins = ["bot.emulator.pytest_plugin", "tests.hardening.secrets_plugin", "tests.e2e_fixtures"]

POSTGRES_URL = os.environ.get("KUDOS_TEST_POSTGRES_URL")
_postgres_ran = False


def _admin_dsn(url: str) -> str:
    # asyncpg wants a plain postgresql:// DSN.
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


_TEMPLATE: dict[str, str] = {}

# One id per test run, shared by pytest-xdist's workers (they inherit it from the controller, which sets it in
# pytest_configure, before it starts them): every database the run creates is named after it, so the controller
# can drop whatever a worker left behind (a worker that crashed never reaches its own pytest_sessionfinish).
_RUN_ENV = "KUDOS_TEST_RUN"


def _run_id() -> str:
    return os.environ.get(_RUN_ENV) or str(os.getpid())


def _worker() -> str | None:
    return os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", … in an xdist worker; unset otherwise


def _template_name() -> str:
    # Per process (the run's id, then the xdist worker's), so the session can drop it even if this module was
    # imported twice, and two workers never share (or drop) one template.
    worker = _worker()
    return f"kudos_tpl_{_run_id()}" + (f"_{worker}" if worker else "")


def _test_database_name() -> str:
    return f"kudos_t_{_run_id()}_{uuid.uuid4().hex[:12]}"


def _ours(name: str) -> bool:
    """Whether database ``name`` was created by this run (by any of its workers)."""
    run = _run_id()
    return name == f"kudos_tpl_{run}" or name.startswith((f"kudos_tpl_{run}_", f"kudos_t_{run}_"))


async def _template(conn, base_url: str) -> str:  # type: ignore[no-untyped-def]
    """A database migrated to every head once per session; test databases are copied from it."""
    if "name" in _TEMPLATE:
        return _TEMPLATE["name"]
    name = _template_name()
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base_url.rpartition("/")
    database = Database(f"{head}/{name}")
    try:
        await migrate.upgrade(database)
    finally:
        await database.close()
    _TEMPLATE["name"] = name
    _TEMPLATE["base_url"] = base_url
    return name


async def create_postgres_database(base_url: str, *, migrated: bool = False) -> tuple[str, str]:
    """A fresh database for one test (empty, or already migrated when ``migrated``); returns
    (sqlalchemy url, database name)."""
    import asyncpg

    global _postgres_ran
    _postgres_ran = True
    name = _test_database_name()
    conn = await asyncpg.connect(_admin_dsn(base_url))
    try:
        if migrated:
            template = await _template(conn, base_url)
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    head, _, _ = base_url.rpartition("/")
    return f"{head}/{name}", name


async def drop_postgres_database(base_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn(base_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """An empty database URL: a SQLite file, then (if configured) a fresh PostgreSQL database."""
    global _postgres_ran
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'kudos.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need KUDOS_TEST_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1/test)")
    url, name = await create_postgres_database(POSTGRES_URL)
    try:
        yield url
    finally:
        await drop_postgres_database(POSTGRES_URL, name)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    database = Database(db_url)
    await migrate.upgrade(database)
    try:
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def running_harness(backend: str, make, tmp_path):  # type: ignore[no-untyped-def]
    """Start ``make(database_url=…, workdir=…)`` (a Harness or subclass) on ``backend`` ("sqlite": a temp
    file; "postgres": a fresh database copied from the migrated template, skipped without
    KUDOS_TEST_POSTGRES_URL) and stop it (and drop its database) afterwards."""
    if backend == "sqlite":
        harness = make(database_url=None, workdir=tmp_path)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need KUDOS_TEST_POSTGRES_URL")
    url, name = await create_postgres_database(POSTGRES_URL, migrated=True)
    harness = make(database_url=url, workdir=None)
    try:
        await harness.start()
        yield harness
    finally:
        await harness.stop()
        await drop_postgres_database(POSTGRES_URL, name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist): the run's id is its pid
        os.environ[_RUN_ENV] = str(os.getpid())


async def _drop_leftovers(base_url: str) -> list[str]:
    """Drop every database of this run still there (a crashed worker's template and test databases)."""
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn(base_url))
    try:
        names = [r[0] for r in await conn.fetch("SELECT datname FROM pg_database") if _ours(r[0])]
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    return names


_LEFTOVERS: list[str] = []


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    config = session.config
    if hasattr(config, "workeroutput"):  # an xdist worker: tell the controller whether PostgreSQL tests ran
        config.workeroutput["kudos.postgres_ran"] = _postgres_ran
    if not POSTGRES_URL:
        return
    import asyncio

    if _worker():
        asyncio.run(drop_postgres_database(POSTGRES_URL, _template_name()))
    else:  # the controller, once every worker is down (or a serial run): the run's template(s) and anything left
        _LEFTOVERS.extend(n for n in asyncio.run(_drop_leftovers(POSTGRES_URL)) if not n.startswith("kudos_tpl_"))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):  # type: ignore[no-untyped-def]
    """``-n auto`` (what ``make test`` passes): two workers per CPU, at most 8. The suite mostly waits (real-time
    windows of the emulator and the bot, PostgreSQL, child processes): run serially it keeps about 45% of one core
    busy, so one worker per core leaves the cores idle much of the time. At most 8: each worker holds PostgreSQL
    connections (up to 15 per bot engine) and the server allows 100. PYTEST_XDIST_AUTO_NUM_WORKERS overrides."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own implementation reads it
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(2 * cpus, 8)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):  # type: ignore[no-untyped-def]
    """pytest-xdist, in the controller: a worker is done; merge what it reported."""
    global _postgres_ran
    _postgres_ran = _postgres_ran or bool(getattr(node, "workeroutput", {}).get("kudos.postgres_ran"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if hasattr(config, "workerinput"):
        return  # an xdist worker's summary is not shown; the controller reports for the whole run
    if POSTGRES_URL and _postgres_ran:
        terminalreporter.write_line("postgresql: tests ran against KUDOS_TEST_POSTGRES_URL")
    elif POSTGRES_URL:
        terminalreporter.write_line("postgresql: KUDOS_TEST_POSTGRES_URL set, but no PostgreSQL test was selected")
    else:
        terminalreporter.write_line("postgresql: tests skipped (set KUDOS_TEST_POSTGRES_URL to run them)")
    if _LEFTOVERS:
        terminalreporter.write_line(f"postgresql: dropped {len(_LEFTOVERS)} test databases left behind: "
                                    + ", ".join(sorted(_LEFTOVERS)[:10]))
