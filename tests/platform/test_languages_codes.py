"""The problems of a perk-code import in the reader's language (docs/languages.md, issue #27): a German staff
member's `/perks add-codes` with bad lines gets every line of the parser's report in German, codes masked as
in English; an English client gets the same report in English. End to end on the emulator (a real file
attachment through discord.py), on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.harness import Harness, MemberSpec, WorldSpec

STORED = "LANG-CODE-0001"
FILE = ("codes.csv", b"code,expires\n"
        b"LANG-CODE-0001\n"  # line 2: already in the pool
        b"LANG-CODE-0009,2027-13-01\n"  # line 3: no such date
        b"short\n"  # line 4: too short for a code
        b"LANG-CODE-0002\n"
        b"LANG-CODE-0002\n")  # line 6: repeats line 5


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.locale = "fr"  # the server's language plays no part in an ephemeral reply
    w.members += [MemberSpec("greta", roles=["Staff"], locale="de")]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {"perk_pools": [{"name": "storage", "low_stock_warning": 0}]}}}


async def test_a_german_import_with_bad_lines_lists_its_problems_in_german(kudos: Harness) -> None:
    greta = kudos.member("greta")
    first = await greta.slash("perks add-codes", pool="storage", codes=STORED)
    assert first.content == "1 Code zu **storage** hinzugefügt.", first.content

    reply = await greta.slash("perks add-codes", pool="storage", file=FILE)

    assert reply.ephemeral
    assert (reply.content or "").split("\n") == [
        "Nichts wurde importiert (4 Probleme; behebe sie und lade die ganze Datei erneut hoch):",
        "• Zeile 3: Ablaufdatum '2027-13-01' ist kein Datum wie 2027-01-31",
        "• Zeile 4: ••••• ist kein gültiger Code (8–200 Buchstaben, Ziffern, - _ . : / + =)",
        "• Zeile 6: L••••••••••••2 wiederholt Zeile 5",
        "• L••••••••••••1 ist schon in storage",
    ], reply.content
    assert "LANG-CODE-000" not in (reply.content or "") and "short" not in (reply.content or "")  # masked

    english = await kudos.member("sam").slash("perks add-codes", pool="storage", file=FILE)
    lines = (english.content or "").split("\n")
    assert lines[0].startswith("Nothing was imported (4 problems;"), english.content
    assert "• line 3: expiry '2027-13-01' is not a date like 2027-01-31" in lines
    assert "• L••••••••••••1 is already in storage" in lines, english.content
    assert kudos.bot is not None
    stock = {p.name: n for p, n in await kudos.bot.app.rewards.pool_stock(kudos.guild_id)}
    assert stock["storage"] == 1  # all or nothing: neither file added a code
