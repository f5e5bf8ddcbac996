"""``kudos sandbox --locale``: the bundled demo played in another language (docs/languages.md, docs/scenarios.md).
Every member's client and the server speak it, so replies, forms, buttons, DMs and public posts come in that
language; the demo's ``[texts.de]`` gives the German wording of its expected replies."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.sandbox.cli import DEMO
from bot.sandbox.scenario import ScenarioError, load


def test_the_german_demo_speaks_german(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "state.json"
    code = main(["sandbox", "--locale", "de", "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "(in de)" in printed and "all expectations met" in printed
    # replies, forms and buttons: the members' client language
    assert "Nur Mitglieder mit der Rolle Team können das benutzen." in printed  # bob's /kudos status
    assert "bot opened the form 'Fehler melden' (Art, Titel, Details, Schritte zum Nachstellen, Screenshots)" in printed
    assert "Danke! Dein Feedback ist online" in printed
    assert "Du bist in der Beta **Photos v2**!" in printed
    assert "du stehst auf der Warteliste (Platz 1)" in printed
    # public posts: the server's preferred locale; DMs: the member's last locale
    assert "Status: **Veröffentlicht** in 1.3.0" in printed
    assert "[buttons: Beitreten | Verlassen | Feedback geben]" in printed
    assert "ist in 1.3.0 umgesetzt. Danke!" in printed
    # member-written text stays as written
    assert "'Battery drains overnight'" in printed and "Screenshots of the beta stay in this server." in printed
    assert json.loads(out.read_text(encoding="utf-8"))


def test_the_locale_is_checked_and_the_english_demo_is_unchanged(capsys) -> None:  # type: ignore[no-untyped-def]
    scenario = load(DEMO)
    assert scenario.say("Me too") == "Me too"  # English: as written
    scenario.play_in("pt_BR")
    assert scenario.world.locale == "pt-BR" and {m.locale for m in scenario.world.members} == {"pt-BR"}
    assert scenario.say("Me too") == "Eu também"  # a whole message of the bot: from the catalogue
    assert scenario.say("Battery drains overnight") == "Battery drains overnight"  # member text: as it is
    de = load(DEMO)
    de.play_in("de")
    assert de.say("Only staff") == "Nur Mitglieder mit der Rolle Team"  # the demo's own [texts.de]
    with pytest.raises(ScenarioError, match="not one of Kudos' languages"):
        load(DEMO).play_in("ko")
    assert main(["sandbox", "--locale", "xx-YY", "--quiet"]) == 2
    assert "--locale: 'xx-YY' is not one of Kudos' languages" in capsys.readouterr().err
