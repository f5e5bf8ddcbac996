"""pytest plugin: a Discord spec violation or an emulator error fails the test that caused it.

Enable with ``pytest_plugins = ["bot.emulator.pytest_plugin"]`` in the root conftest.py (or import
``discord_emulator_guard`` and ``pytest_terminal_summary`` into a conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.emulator import ratelimit, spec


def pytest_configure(config: pytest.Config) -> None:
    spec.TRACKING["on"] = True


# Violations still recorded when a test ends (each fails that test). Tests of the validator itself provoke
# violations on purpose and clear them; those are counted apart in the summary.
UNEXPECTED = {"violations": 0, "response_violations": 0}


@pytest.fixture(autouse=True)
def discord_emulator_guard() -> Iterator[None]:
    """After each test, check the emulators it created: no spec violations, no emulator errors."""
    spec.TRACKING["on"] = True
    yield
    problems: list[str] = []
    while spec.PENDING:
        emu: Any = spec.PENDING.pop()
        for method, path, message in emu.validator.violations:
            problems.append(f"Discord spec violation: {method} {path}: {message}")
            UNEXPECTED["violations"] += 1
        for method, path, message in emu.validator.response_violations:
            problems.append(f"Discord spec violation in the emulator's answer: {method} {path}: {message}")
            UNEXPECTED["response_violations"] += 1
        for err in emu.errors:
            problems.append(f"emulator error: {err}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# Under pytest-xdist each worker counts its own emulators; the controller adds up what every worker reports.
_OUTPUT_KEY = "kudos.discord_spec"
_WORKERS = {"lost": 0}


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: send its counts to the controller
        workeroutput[_OUTPUT_KEY] = {**spec.TOTALS, "unexpected": dict(UNEXPECTED),
                                     "ratelimit": dict(ratelimit.TOTALS),
                                     "limited_routes": dict(ratelimit.LIMITED_ROUTES)}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, in the controller: a worker is done; add its counts to the run's."""
    counts = getattr(node, "workeroutput", {}).get(_OUTPUT_KEY)
    if counts is None:  # the worker crashed (its tests are reported failed by xdist); its counts are lost
        _WORKERS["lost"] += 1
        return
    for key, value in counts.pop("unexpected").items():
        UNEXPECTED[key] = UNEXPECTED.get(key, 0) + value
    ratelimit.LIMITED_ROUTES.update(counts.pop("limited_routes", {}))
    for key, value in counts.pop("ratelimit", {}).items():
        ratelimit.TOTALS[key] = ratelimit.TOTALS.get(key, 0) + value
    for key, value in counts.items():
        spec.TOTALS[key] = spec.TOTALS.get(key, 0) + value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if hasattr(terminalreporter.config, "workerinput"):
        return  # an xdist worker: the controller reports for the whole run
    if spec.TOTALS["emulators"]:
        provoked = spec.TOTALS["violations"] - UNEXPECTED["violations"]
        note = f" ({provoked} more provoked on purpose by tests of the validator itself)" if provoked else ""
        if _WORKERS["lost"]:
            note += f" (counts of {_WORKERS['lost']} crashed xdist workers missing)"
        terminalreporter.write_line(
            f"discord spec validation: {spec.TOTALS['validated']} requests validated, "
            f"{UNEXPECTED['violations']} violations{note}"
        )
        provoked = spec.TOTALS["response_violations"] - UNEXPECTED["response_violations"]
        note = f" ({provoked} more provoked on purpose)" if provoked else ""
        terminalreporter.write_line(
            f"discord spec validation of the emulator's answers: {spec.TOTALS['responses_validated']} answers "
            f"validated, {UNEXPECTED['response_violations']} violations{note}"
        )
        t = ratelimit.TOTALS
        terminalreporter.write_line(
            f"discord rate limits: {t['requests']} requests, {t['rate_limited']} answered 429, "
            f"{t['invalid']} invalid requests (401/403/429; Discord bans at 10,000 per 10 minutes)"
        )
        if t["rate_limited"]:
            mine = sum(ratelimit.LIMITED_ROUTES.values())
            top = ", ".join(f"{route} {n}" for route, n in ratelimit.LIMITED_ROUTES.most_common(5)) or "none"
            terminalreporter.write_line(
                f"discord rate limits: of the 429s, {mine} by the emulator's buckets and "
                f"{t['rate_limited'] - mine} injected by tests (faults); most by route: {top}")
