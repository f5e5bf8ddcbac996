"""``/settings`` in the reader's language (docs/languages.md, issue #27), end to end on the emulator: a German
staff member's listing (headings, where a value comes from, a setting's description), set and reset
confirmations, export and import replies, and Kudos' own refusals, while the server and an English staff member
stay English. Keys and values stay as written."""

from __future__ import annotations

import pytest

from bot.sandbox.harness import Harness, MemberSpec, WorldSpec


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.members += [MemberSpec("greta", roles=["Staff"], locale="de"), MemberSpec("hans", locale="de")]
    return w


async def test_set_show_and_reset_speak_german(kudos: Harness) -> None:
    greta = kudos.member("greta")
    first = (await greta.slash("settings show")).content
    assert first == ("Alle Einstellungen kommen aus der config.toml.\n"
                     "`/settings show key` zeigt einen Schlüssel oder Abschnitt, `/settings export` alle."), first
    done = await greta.slash("settings set", key="points.answer", value="25")
    assert done.ephemeral and done.content == "**points.answer** ist jetzt 25 (vorher 10). Das gilt ab sofort.", \
        done.content
    assert done.message.allowed_mentions == {"parse": []}
    await greta.slash("settings set", key="search.suggest", value="false")
    listing = (await greta.slash("settings show")).content or ""
    greta_id = kudos.members["greta"]
    assert listing.splitlines()[0] == "2 Einstellungen auf diesem Server geändert:", listing
    assert (f"**points.answer** = 25 · Einstellung dieses Servers von <@{greta_id}> (config.toml: 10)"
            in listing.splitlines()), listing
    one = (await greta.slash("settings show", key="search.suggest")).content or ""
    assert one.splitlines()[1] == "-# „Ist es eines davon?“, bevor eine Meldung gepostet wird", one
    section = (await greta.slash("settings show", key="points")).content or ""
    assert section.splitlines()[0] == "**[points]**" and "**points.thanks** = 2 · config.toml" in section, section
    reset = await greta.slash("settings reset", key="points.answer")
    assert reset.content == "**points.answer** kommt wieder aus der config.toml: 10.", reset.content

    # an English staff member reads the same settings in English
    english = (await kudos.member("sam").slash("settings show", key="search.suggest")).content or ""
    assert english.splitlines() == [
        f"**search.suggest** = false · this server's setting by <@{greta_id}> (config.toml: true)",
        '-# "Is it one of these?" before a report is posted'], english
    sam_set = await kudos.member("sam").slash("settings set", key="points.answer", value="12")
    assert sam_set.content == "**points.answer** is now 12 (was 10). It applies now.", sam_set.content
    one_changed = (await kudos.member("sam").slash("settings reset", key="search.suggest")).content
    assert one_changed == "**search.suggest** is config.toml's again: true.", one_changed
    assert ((await kudos.member("sam").slash("settings show")).content or "").startswith(
        "1 setting changed on this server:")
    assert ((await greta.slash("settings show")).content or "").startswith(
        "1 Einstellung auf diesem Server geändert:")


async def test_export_import_and_refusals_speak_german(kudos: Harness) -> None:
    greta = kudos.member("greta")
    exported = await greta.slash("settings export")
    assert exported.content == ("Die Einstellungen dieses Servers (config.toml mit den Änderungen dieses Servers). "
                                "Bearbeite sie und lade sie mit `/settings import` hoch."), exported.content
    (_name, data), = exported.message.files
    same = await greta.slash("settings import", file=("settings.toml", data))
    assert same.content == "Nichts zu ändern: Die Datei entspricht den Einstellungen dieses Servers.", same.content
    changed = data.decode().replace("answer = 10", "answer = 30").encode()
    applied = (await greta.slash("settings import", file=("settings.toml", changed))).content or ""
    assert applied.splitlines()[0] == "Importiert: 1 Einstellung geändert.", applied
    assert applied.splitlines()[1].startswith("**points.answer** = 30 · Einstellung dieses Servers von"), applied
    wrong = await greta.slash("settings import", file=("settings.png", b"x"))
    assert wrong.content is not None and "Lade eine .toml-Datei hoch" in wrong.content, wrong.content
    typo = await greta.slash("settings set", key="points.answr", value="5")
    assert "`points.answr` ist keine Einstellung" in (typo.content or ""), typo.content
    refused = await kudos.member("hans").slash("settings set", key="points.answer", value="99")
    assert "Nur Mitglieder mit der Rolle Team" in (refused.content or ""), refused.content
    assert kudos.bot is not None and kudos.bot.guild_config(kudos.guild_id).points.answer == 30
