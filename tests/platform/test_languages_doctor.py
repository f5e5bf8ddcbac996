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


def _in(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)


def test_migrate_backup_restore_and_run_s_own_lines_in_the_operator_s_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db, copy, junk = tmp_path / "kudos.db", tmp_path / "copy.db", tmp_path / "junk.db"
    url = f"sqlite+aiosqlite:///{db}"
    junk.write_text("not a database at all, just text " * 100)
    _in(monkeypatch, GERMAN)
    assert cli.main(["backup", str(copy), "--database-url", url]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == f"kudos: {db}: Datenbankdatei nicht gefunden\n"
    assert cli.main(["migrate", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Datenbankschema auf Revision ") and "(leer)" not in out, out
    assert cli.main(["backup", str(copy), "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{copy}: Sicherung von {db} (") and out.endswith(" Seiten, Integrität ok)\n"), out
    assert cli.main(["backup", str(copy), "--database-url", url]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == (f"kudos: {copy}: existiert bereits; gib --force an, um sie zu "
                                       "überschreiben\n")
    assert cli.main(["restore", str(junk), "--database-url", url]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == f"kudos: {junk}: keine SQLite-Datenbank\n"
    fresh = tmp_path / "fresh.db"
    assert cli.main(["restore", str(copy), "--database-url", f"sqlite+aiosqlite:///{fresh}"]) == 0
    assert capsys.readouterr().out == (f"{fresh}: aus {copy} wiederhergestellt (Integrität ok); starte den Bot, "
                                       "um neuere Migrationen anzuwenden\n")
    pg = "postgresql+asyncpg://kudos@127.0.0.1:9/kudos"
    assert cli.main(["backup", str(copy), "--database-url", pg]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == ("kudos: backup: hier werden nur SQLite-Datenbanken behandelt; für PostgreSQL "
                                       "nimm pg_dump / pg_restore (siehe docs/operations.md)\n")
    assert cli.main(["run", "--shard-ids", "0,0", "--shard-count", "2"]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == "kudos: --shard-ids: '0,0' nennt einen Shard zweimal\n"
    monkeypatch.delenv("KUDOS_TOKEN", raising=False)
    assert cli.main(["run"]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == ("kudos: KUDOS_TOKEN: nicht gesetzt; exportiere das Bot-Token aus dem "
                                       "Developer Portal (Bot → Token)\n")
    assert cli.main(["migrate", "--database-url", url, "--revision", "base"]) == 0
    assert capsys.readouterr().out == "Datenbankschema auf Revision base (leer)\n"

    # English by default, word for word as before; Japanese (one plural form) from LC_ALL
    _in(monkeypatch, {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"})
    assert cli.main(["migrate", "--database-url", url, "--revision", "base"]) == 0
    assert capsys.readouterr().out == "database schema at revision base (empty)\n"
    assert cli.main(["restore", str(junk), "--database-url", url]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == f"kudos: {junk}: not a SQLite database\n"
    assert cli.main(["run", "--shard-ids", "0,5", "--shard-count", "2"]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == ("kudos: --shard-ids: 5 is out of range; with --shard-count 2 shard ids go "
                                       "from 0 to 1\n")
    copy.unlink()
    assert cli.main(["backup", str(copy), "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{copy}: backup of {db} (") and out.endswith(" pages, integrity ok)\n"), out
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    assert cli.main(["backup", str(copy), "--database-url", url, "--force"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{copy}: {db} のバックアップ（") and out.endswith(" ページ、整合性 ok）\n"), out


def test_discord_s_own_text_stays_a_value_inside_the_operator_s_sentence() -> None:
    from bot.core.bot import default_intents
    from bot.platform.deferred import render_said
    from bot.platform.i18n import translator

    unreachable = cli.discord_unreachable("ClientConnectorError: Cannot connect to host discord.com:443", 1)
    assert unreachable.startswith("discord: cannot reach Discord (ClientConnectorError: Cannot connect to host "
                                  "discord.com:443) after 1 attempt(s); check this machine's internet connection")
    german = render_said(translator("de"), unreachable)
    assert german.startswith("discord: Discord ist nach 1 Versuch nicht erreichbar (ClientConnectorError: Cannot "
                             "connect to host discord.com:443); prüfe die Internetverbindung"), german
    assert "nach 3 Versuchen" in render_said(translator("de"), cli.discord_unreachable("TimeoutError", 3))
    refused = render_said(translator("fr"), cli.intents_refused(default_intents()))
    assert refused.startswith("intents : Discord a refusé la connexion (code de fermeture 4014, intents non "
                              "autorisés). Activez Server Members Intent et Message Content Intent pour ce bot"), refused


def test_the_database_s_own_problems_in_the_operator_s_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``DatabaseError`` (bot.platform.db) is a said message too: ``kudos migrate`` says a missing folder and an
    unreachable server in German; the URL (password masked) and the driver's own reason stay as written."""
    _in(monkeypatch, {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "de_DE.UTF-8"})
    folder = tmp_path / "no" / "such"
    assert cli.main(["migrate", "--database-url", f"sqlite+aiosqlite:///{folder}/k.db"]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == (f"kudos: Verbindung zu sqlite+aiosqlite:///{folder}/k.db nicht möglich: der "
                                       f"Ordner {folder} existiert nicht; lege ihn zuerst an\n")
    assert cli.main(["migrate", "--database-url", "postgresql+asyncpg://kudos:hunter2@127.0.0.1:9/kudos"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kudos: Verbindung zu postgresql+asyncpg://kudos:***@127.0.0.1:9/kudos nicht möglich: ")
    assert "hunter2" not in err and err.count("\n") == 1
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert cli.main(["migrate", "--database-url", f"sqlite+aiosqlite:///{folder}/k.db"]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == (f"kudos: cannot connect to sqlite+aiosqlite:///{folder}/k.db: the folder "
                                       f"{folder} does not exist; create it first\n")
