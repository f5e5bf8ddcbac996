"""The kudos command: help, check-config, migrate, run's operator errors. One line and exit 2 for mistakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_help_lists_commands(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "migrate", "check-config", "sandbox"):
        assert command in out


def test_python_dash_m_bot_is_the_same_command() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert result.returncode == 0
    assert "check-config" in result.stdout


def test_check_config_example_is_valid(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["check-config", str(ROOT / "config.example.toml")]) == 0
    assert "OK" in capsys.readouterr().out


def test_check_config_broken_is_one_line_exit_2(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.toml"
    path.write_text("[guilds.default.points]\nanswer = -5\n")
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "guilds.default.points.answer" in err
    assert "Traceback" not in err


def test_check_config_refuses_token(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tok.toml"
    path.write_text('[bot]\ntoken = "MTIz.secret.value"\n')
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bot.token" in err and "KUDOS_TOKEN" in err
    assert "secret" not in err


def test_migrate_on_sqlite_file(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    assert main(["migrate", "--database-url", url]) == 0
    assert "revision" in capsys.readouterr().out
    assert main(["migrate", "--database-url", url, "--revision", "base"]) == 0
    assert "base (empty)" in capsys.readouterr().out


def test_unreachable_database_is_one_line_exit_2(capsys) -> None:  # type: ignore[no-untyped-def]
    # Port 9 on loopback: nothing listens there.
    code = main(["migrate", "--database-url", "postgresql+asyncpg://kudos:hunter2@127.0.0.1:9/kudos"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("kudos: cannot connect to postgresql+asyncpg://kudos:***@127.0.0.1:9/kudos")
    assert "hunter2" not in err
    assert err.count("\n") == 1


def test_unwritable_sqlite_path_is_one_line_exit_2(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["migrate", "--database-url", f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/k.db"])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot connect to sqlite+aiosqlite" in err and "does not exist; create it first" in err


def test_run_without_token_exit_2(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("KUDOS_TOKEN", raising=False)
    assert main(["run"]) == 2
    assert "KUDOS_TOKEN: not set" in capsys.readouterr().err


def test_run_without_config_file_exit_2(monkeypatch, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KUDOS_TOKEN", "x" * 30)
    assert main(["run", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "file not found" in capsys.readouterr().err
