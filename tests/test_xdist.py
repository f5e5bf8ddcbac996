"""The suite's own pytest plugins under pytest-xdist (``make test`` runs with ``-n``): a small suite is run twice in
a child pytest, serially and on two workers, and the end-of-run summaries must agree. A secret leaked and a Discord
spec violation in a worker fail the run; every PostgreSQL database the run created is gone afterwards."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.emulator.spec import DEFAULT_SPEC_PATH, SPEC_ENV
from tests.conftest import POSTGRES_URL, _admin_dsn

ROOT = Path(__file__).resolve().parent.parent

SUITE = {
    "pytest.ini": """
        [pytest]
        asyncio_mode = auto
        asyncio_default_fixture_loop_scope = function
        addopts = -p tests.conftest -p no:cacheprovider
        filterwarnings =
            error
            ignore:'audioop' is deprecated:DeprecationWarning
    """,
    "test_ok.py": """
        import os
        from functools import partial
        from pathlib import Path

        from bot.sandbox.harness import Harness
        from tests.conftest import POSTGRES_URL, running_harness


        def mark():
            (Path(os.environ["KUDOS_XDIST_MARKS"]) / os.environ.get("PYTEST_XDIST_WORKER", "serial")).touch()


        async def test_bot_starts(tmp_path):
            mark()
            async with Harness(workdir=tmp_path) as h:
                assert h.bot.is_ready()


        async def test_bot_starts_again(tmp_path):
            mark()
            async with Harness(workdir=tmp_path) as h:
                assert h.bot.is_ready()


        async def test_bot_on_postgres(tmp_path):
            mark()
            if not POSTGRES_URL:
                return
            async with running_harness("postgres", partial(Harness, None, {}), tmp_path) as h:
                assert h.bot.is_ready()
    """,
    "test_bad.py": """
        import logging
        import os
        from pathlib import Path

        import aiohttp

        from bot.sandbox.harness import Harness


        def mark():
            (Path(os.environ["KUDOS_XDIST_MARKS"]) / os.environ.get("PYTEST_XDIST_WORKER", "serial")).touch()


        async def test_token_logged(tmp_path):
            mark()
            async with Harness(workdir=tmp_path) as h:
                logging.getLogger("bot.careless").warning("connecting with %s", h.emu.token)


        async def test_spec_violation(tmp_path):
            mark()
            async with Harness(workdir=tmp_path) as h:
                if not h.emu.validator.enabled:
                    return
                channel = h.emu.channel_by_name(h.guild_id, "general")
                async with aiohttp.ClientSession(headers={"Authorization": f"Bot {h.emu.token}"}) as session:
                    async with session.post(f"{h.emu.base_url}/channels/{channel.id}/messages",
                                            json={"content": 12345}) as resp:
                        await resp.read()
    """,
}


def _run(suite: Path, marks: Path, *args: str) -> tuple[int, str, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), KUDOS_XDIST_MARKS=str(marks))
    # This test may itself run in an xdist worker: the child pytest is a run of its own.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID", "KUDOS_TEST_RUN",
                 "PYTEST_ADDOPTS"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", *args], cwd=suite, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=300)
    return proc.returncode, out, proc.pid


def _summary(out: str) -> dict[str, str]:
    found = {}
    for key, rx in {
        "secrets": r"secrets scan: (\d+) tests, \d+ log records and (\d+) public messages checked against "
                   r"(\d+) bot tokens and (\d+) perk codes: (\d+) leaks",
        "spec": r"discord spec validation: (\d+) requests validated, (\d+) violations",
        "postgres": r"postgresql: (.*)",
        "outcome": r"(?m)^((?:\d+ \w+, )*\d+ \w+) in [\d.]+s",
    }.items():
        m = re.search(rx, out)
        assert m, f"no {key!r} line in:\n{out}"
        found[key] = m.groups()
    return found


async def _databases_of_run(run: int) -> list[str]:
    import asyncpg

    assert POSTGRES_URL
    conn = await asyncpg.connect(_admin_dsn(POSTGRES_URL))
    try:
        names = [r[0] for r in await conn.fetch("SELECT datname FROM pg_database")]
    finally:
        await conn.close()
    return [n for n in names if n == f"kudos_tpl_{run}" or n.startswith((f"kudos_tpl_{run}_", f"kudos_t_{run}_"))]


def test_summaries_and_failures_are_the_same_serially_and_on_two_workers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("xdist")
    suite = tmp_path / "suite"
    suite.mkdir()
    for name, text in SUITE.items():
        (suite / name).write_text(textwrap.dedent(text).lstrip())
    results = {}
    for mode, args in {"serial": ("-p", "no:xdist"), "xdist": ("-n", "2")}.items():
        marks = tmp_path / f"marks-{mode}"
        marks.mkdir()
        code, out, pid = _run(suite, marks, *args)
        # the leak fails the run, the violation fails its test: both seen by the controller
        assert code == 1, out
        assert "test_bad.py::test_token_logged" in out and "the bot token in a log line of bot.careless" in out, out
        results[mode] = _summary(out)
        workers = sorted(p.name for p in marks.iterdir())
        assert workers == (["serial"] if mode == "serial" else ["gw0", "gw1"]), (workers, out)
        if POSTGRES_URL:
            assert asyncio.run(_databases_of_run(pid)) == [], out
    serial, xdist = results["serial"], results["xdist"]
    assert serial == xdist
    tests, _, tokens, _, leaks = serial["secrets"]
    assert (tests, tokens, leaks) == ("5", "5" if POSTGRES_URL else "4", "1")  # the PostgreSQL test starts no bot without it
    validated, violations = serial["spec"]
    assert int(validated) > 0
    if os.path.isfile(os.environ.get(SPEC_ENV) or DEFAULT_SPEC_PATH):
        assert violations == "1" and serial["outcome"] == ("5 passed, 1 error",)  # the guard fails its teardown
    if POSTGRES_URL:
        assert serial["postgres"] == ("tests ran against KUDOS_TEST_POSTGRES_URL",)
