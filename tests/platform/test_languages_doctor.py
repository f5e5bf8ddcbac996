"""``kudos doctor`` and the config file's own checks in the operator's language (docs/languages.md, issue #27):
taken like gettext from ``LC_ALL``, then ``LC_MESSAGES``, then ``LANG``, or from ``--locale``; English by
default (and for ``C`` / ``POSIX``). Real ``python -m bot doctor`` processes (against the emulator for the
Discord checks) and ``kudos check-config`` through its main function. Keys, paths and ids stay as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot.platform.i18n import environment_language
from tests.platform.test_doctor import doctor, one, problems, started, write_config

from bot.sandbox.harness import WorldSpec  # isort: skip

GERMAN = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "de_DE.UTF-8"}


def test_the_operator_s_language_comes_from_the_environment_as_gettext_takes_it() -> None:
    assert environment_language({"LANG": "de_DE.UTF-8"}) == "de"
    assert environment_language({"LANG": "pt_BR.UTF-8"}) == "pt_BR"
    assert environment_language({"LANG": "fr_CA.UTF-8@euro"}) == "fr"
    assert environment_language({"LC_ALL": "ja_JP.UTF-8", "LC_MESSAGES": "de_DE", "LANG": "fr_FR"}) == "ja"
    assert environment_language({"LC_ALL": "", "LC_MESSAGES": "es_ES.UTF-8", "LANG": "fr_FR"}) == "es"
    for english in ({}, {"LANG": "C"}, {"LANG": "C.UTF-8"}, {"LC_ALL": "POSIX", "LANG": "de_DE"}, {"LANG": "ko_KR"}):
        assert environment_language(english) == "en", english


async def test_doctor_speaks_the_operator_s_language_offline(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[bot]\nshard_count = "many"\n')
    code, lines = await doctor(broken, None, None, **GERMAN)
    assert code == 1
    assert one(lines, "broken.toml") == f"PROBLEM  {broken}: bot.shard_count: erwartet eine ganze Zahl (erhalten: string)"
    assert lines[-1] == "kudos doctor: 1 Problem(e); behebe sie und führe dann `kudos doctor` erneut aus", lines

    config = write_config(tmp_path)
    code, lines = await doctor(config, None, None, **GERMAN)
    assert f"ok       Konfiguration {config} ist gültig" in lines, lines
    assert problems(lines) == ["PROBLEM  KUDOS_TOKEN: nicht gesetzt; exportiere das Bot-Token aus dem Developer "
                               "Portal (Bot → Token), um auch Discord zu prüfen"], lines
    # LC_ALL wins over LANG; C is English (the default)
    code, lines = await doctor(config, None, None, LC_ALL="fr_FR.UTF-8", LANG="de_DE.UTF-8")
    assert problems(lines) == [one(lines, "KUDOS_TOKEN : non défini")], lines
    code, lines = await doctor(config, None, None, LC_ALL="", LC_MESSAGES="", LANG="C")
    assert problems(lines) == [one(lines, "KUDOS_TOKEN: not set; export the bot token")], lines
    assert lines[-1] == "kudos doctor: 1 problem(s); fix them, then run `kudos doctor` again"


async def test_doctor_s_discord_checks_in_german(tmp_path: Path) -> None:
    h = await started(WorldSpec.default())
    try:
        config = write_config(tmp_path, extra='[guilds.default.channels]\nstaff_log = "staff-lounge"\n')
        code, lines = await doctor(config, h, h.emu.token, **GERMAN)
    finally:
        await h.stop()
    assert code == 1, lines
    assert any(line.startswith("ok       Token akzeptiert (Bot ") for line in lines), lines
    line = one(lines, "staff-lounge")
    assert line.startswith("PROBLEM  Server ") and line.endswith(
        ": channels.staff_log: kein Kanal namens 'staff-lounge' auf diesem Server"), line
    assert "no channel" not in "\n".join(lines)


def test_check_config_in_the_environment_s_language_and_with_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[guilds.default.points]\nanswr = 3\n")
    for name, value in GERMAN.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["check-config", str(bad)]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == (f"kudos: {bad}: guilds.default.points.answr: unbekannter Schlüssel "
                                       "(meintest du 'answer'?)\n")
    assert cli.main(["check-config", "--locale", "ja", str(bad)]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == f"kudos: {bad}: guilds.default.points.answr: 不明なキー（'answer' のことですか？）\n"
    good = tmp_path / "good.toml"
    good.write_text("")
    assert cli.main(["check-config", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: OK (0 Server-Abweichung(en); Datenbank sqlite+aiosqlite)\n"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert cli.main(["check-config", str(bad)]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == (f"kudos: {bad}: guilds.default.points.answr: unknown key "
                                       "(did you mean 'answer'?)\n")
