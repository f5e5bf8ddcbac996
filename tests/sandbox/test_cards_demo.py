"""The bundled V2 cards scenario (examples/cards.toml, ``cards = "v2"``): every card it shows is a Components V2
layout (the transcript names each "[V2 card: ...]") with its buttons, and the final state lists the cards'
texts (components/reference.mdx: Text Display components carry the text of a V2 message)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.cli import main

CARDS = Path(__file__).resolve().parents[2] / "examples" / "cards.toml"


def test_cards_scenario_shows_v2_cards(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "state.json"
    assert main(["sandbox", str(CARDS), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "all expectations met" in printed and "0 violation(s)" in printed
    assert "[V2 card: Beta: Photos v2] [buttons: Join | Leave | Give feedback]" in printed
    assert "[V2 card: #1 · Dark mode for the app] [buttons: Me too | Follow]" in printed
    assert "#showcase: [V2 card:" in printed and "[V2 card: mia's kudos]" in printed
    state = json.loads(out.read_text())
    [card] = [m for m in state["channels"]["showcase"]["messages"] if m["author"] == "Kudos"]
    assert any("Golden hour at the lake" in t for t in card["card"]) and card["buttons"] == ["Jump to the post"]
