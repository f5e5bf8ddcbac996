"""pytest plugin: a Discord spec violation or an emulator error fails the test that caused it.

Enable with ``pytest_plugins = ["bot.emulator.pytest_plugin"]`` in the root conftest.py (or import
``discord_emulator_guard`` and ``pytest_terminal_summary`` into a conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.emulator import spec


def pytest_configure(config: pytest.Config) -> None:
    spec.TRACKING["on"] = True


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
        for err in emu.errors:
            problems.append(f"emulator error: {err}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if spec.TOTALS["emulators"]:
        terminalreporter.write_line(
            f"discord spec validation: {spec.TOTALS['validated']} requests validated, "
            f"{spec.TOTALS['violations']} violations"
        )
