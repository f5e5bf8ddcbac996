"""The kudos command: help, check-config, migrate, run's operator errors. One line and exit 2 for mistakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.parametrize(("argv", "error"), [
    (["--shard-ids", "0,1"], "--shard-ids: give --shard-count too"),
    (["--shard-ids", "0,1", "--shard-count", "0"], "--shard-count: must be 1 or more, not 0"),
    (["--shard-ids", "0,x", "--shard-count", "4"], "is not a comma-separated list of numbers"),
    (["--shard-ids", "1,4", "--shard-count", "4"], "--shard-ids: 4 is out of range; with --shard-count 4 shard ids go from 0 to 3"),
    (["--shard-ids", "1,1", "--shard-count", "4"], "lists a shard twice"),
])
def test_run_shard_arguments_are_checked(argv, error, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert error in err and err.count("\n") == 1


def test_shard_arguments_make_a_cluster_process() -> None:
    from bot.cli import parse_shards
    from bot.core.bot import ShardedKudosBot, create_bot
    from bot.platform.config import parse_config

    options = parse_shards("0,1", 4)
    assert options == {"shard_ids": [0, 1], "shard_count": 4}
    bot = create_bot(parse_config({"bot": {"database_url": "sqlite+aiosqlite:///:memory:"}}, source="test"), **options)
    assert isinstance(bot, ShardedKudosBot) and (bot.shard_ids, bot.shard_count) == ([0, 1], 4)


def test_emulator_endpoints_must_be_loopback(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.cli import CliError, _test_endpoints

    monkeypatch.setenv("KUDOS_DISCORD_API_BASE", "https://evil.example/api/v10")
    monkeypatch.setenv("KUDOS_DISCORD_GATEWAY", "ws://127.0.0.1:1/gateway")
    with pytest.raises(CliError, match="not a loopback address"):
        _test_endpoints()
