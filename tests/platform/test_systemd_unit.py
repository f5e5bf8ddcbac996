"""contrib/kudos.service verifies with ``systemd-analyze verify`` (its ExecStart pointed at this checkout's
``kudos``, as the install steps in docs/operations.md put it at /opt/kudos), and keeps its hardening."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "contrib" / "kudos.service"
KUDOS = Path(sys.executable).parent / "kudos"

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze is not installed here (it ships with systemd)")


def verify(tmp_path: Path, text: str) -> str:
    """``systemd-analyze verify`` on the unit's text; what it said about the unit (empty: nothing wrong)."""
    unit = tmp_path / "kudos.service"
    unit.write_text(text.replace("/opt/kudos/.venv/bin/kudos", str(KUDOS))
                    .replace("file:///opt/kudos/", f"file://{ROOT}/"))
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True,
                          timeout=60, check=False)
    said = [line for line in (done.stdout + done.stderr).splitlines() if "kudos" in line]
    if done.returncode != 0 and not said:
        said = [f"exit {done.returncode}: {done.stderr.strip()}"]
    return "\n".join(said)


def test_the_unit_verifies(tmp_path: Path) -> None:
    assert KUDOS.exists()
    assert verify(tmp_path, UNIT.read_text()) == ""


def test_the_check_would_see_a_broken_unit(tmp_path: Path) -> None:
    broken = UNIT.read_text().replace("ProtectSystem=strict", "ProtectSystem=bogus")
    assert "protect system" in verify(tmp_path, broken).lower()
    missing = UNIT.read_text().replace("/opt/kudos/.venv/bin/kudos run", "/opt/kudos/nowhere/kudos run")
    assert "not executable" in verify(tmp_path, missing)


def test_the_unit_keeps_its_hardening_and_secrets_out_of_it() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(UNIT.read_text())
    service = unit["Service"]
    assert service["DynamicUser"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["StateDirectory"] == "kudos" and service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/kudos/kudos.env"
    assert service["NoNewPrivileges"] == "yes" and service["CapabilityBoundingSet"] == ""
    # SIGTERM gets the whole grace period (config.example.toml: shutdown_grace_seconds = 20) and more.
    assert float(service["TimeoutStopSec"]) > 20
    assert not any("KUDOS_TOKEN" in value or "SECRET" in value for value in service.values())
