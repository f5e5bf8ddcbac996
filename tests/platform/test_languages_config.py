"""A bad setting value, the ⚠ lines of ``/settings set`` and ``/kudos status`` in the reader's language
(docs/languages.md, issue #27), end to end on the emulator: the config models' own wording (``bot.platform.config``
says every problem as a ``deferred.said`` message) and the resolver's problems reach a German staff member in
German, an English one in the unchanged English. Keys, values and TOML type names stay as written."""

from __future__ import annotations

import pytest

from bot.sandbox.harness import Harness, MemberSpec, WorldSpec


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.members += [MemberSpec("greta", roles=["Staff"], locale="de")]
    return w


async def test_a_bad_value_is_refused_in_german_and_in_english(kudos: Harness) -> None:
    greta, sam = kudos.member("greta"), kudos.member("sam")
    below = await greta.slash("settings set", key="points.answer", value="-5")
    assert below.ephemeral and "`points.answer`: muss >= 0 sein (erhalten: -5)" in (below.content or ""), below.content
    text = await greta.slash("settings set", key="points.answer", value='"ten"')
    assert "`points.answer`: erwartet eine ganze Zahl (erhalten: string)" in (text.content or ""), text.content
    language = await greta.slash("settings set", key="language", value='"xx"')
    assert "`language`: unbekannte Sprache 'xx' (eine von en, de, fr, es, pt_BR, ja)" in (language.content or ""), \
        language.content
    choice = await greta.slash("settings set", key="ledger.receipts", value='"dms"')
    assert ("`ledger.receipts`: muss eines davon sein: dm, ephemeral, off (erhalten: 'dms'; meintest du 'dm'?)"
            in (choice.content or "")), choice.content
    for reply in (below, text, language, choice):
        assert "must" not in (reply.content or "") and "expected" not in (reply.content or "")
    # the English reader gets the English text, word for word as before
    english = await sam.slash("settings set", key="points.answer", value="-5")
    assert "`points.answer`: must be >= 0 (got -5)" in (english.content or ""), english.content
    english = await sam.slash("settings set", key="ledger.receipts", value='"dms"')
    assert "must be one of: dm, ephemeral, off (got 'dms'; did you mean 'dm'?)" in (english.content or "")
    assert kudos.bot is not None and kudos.bot.guild_config(kudos.guild_id).points.answer == 10


async def test_a_missing_channel_warning_and_the_status_report_in_german(kudos: Harness) -> None:
    greta, sam = kudos.member("greta"), kudos.member("sam")
    missing = await greta.slash("settings set", key="channels.showcase", value='"nowhere"')
    content = missing.content or ""
    assert content.startswith("**channels.showcase** ist jetzt"), content
    assert content.endswith("\n⚠ kein Kanal namens 'nowhere' auf diesem Server"), content
    assert "no channel" not in content
    # the bot's log and the problems list keep the English text
    assert kudos.bot is not None
    assert kudos.bot.settings(kudos.guild_id).problems == ["channels.showcase: no channel named 'nowhere' in this server"]

    status = await greta.slash("kudos status")
    embed = status.embeds[0]
    assert embed["title"] == "Kudos-Status", embed
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert {"Datenbank", "Ausstehende Timer", "Braucht Aufmerksamkeit (1)"} <= set(fields), fields
    assert fields["Braucht Aufmerksamkeit (1)"] == (
        "• **Konfiguration**: channels.showcase: kein Kanal namens 'nowhere' auf diesem Server"), fields

    english = await sam.slash("kudos status")
    fields = {f["name"]: f["value"] for f in english.embeds[0]["fields"]}
    assert english.embeds[0]["title"] == "Kudos status"
    assert fields["Needs attention (1)"] == "• **config**: channels.showcase: no channel named 'nowhere' in this server"

    await greta.slash("settings reset", key="channels.showcase")
    ready = await greta.slash("kudos status")
    fields = {f["name"]: f["value"] for f in ready.embeds[0]["fields"]}
    assert fields.get("Einrichtung") == "Alles, was ich brauche, ist vorhanden.", fields


async def test_missing_permissions_are_named_as_the_german_client_names_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``/kudos status``' missing permissions, in a German client: the permissions' names as Discord's German
    client shows them ("Threads verwalten"), not the English ones."""
    from bot.emulator import rules

    world = WorldSpec.default()
    world.members += [MemberSpec("greta", roles=["Staff"], locale="de")]
    world.bot_permissions = rules.DEFAULT_BOT & ~rules.MANAGE_ROLES & ~rules.MANAGE_THREADS
    async with Harness(world, workdir=tmp_path) as h:
        reply = await h.member("greta").slash("kudos status")
        fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
        attention = fields["Braucht Aufmerksamkeit (3)"]
        assert "**#feedback**: fehlt: Threads verwalten" in attention, attention
        assert "**#help**: fehlt: Threads verwalten" in attention, attention
        assert "Manage Threads" not in attention and "Manage Roles" not in attention, attention
        assert "Rollen verwalten" in attention, attention
