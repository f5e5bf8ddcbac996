"""Refusals in the member's language (docs/languages.md): a service's error (raised with an English message
marked ``N_`` and its values apart) and a role check are said in the interaction's locale by the central error
handler (bot/core/errors.py), whatever the server's language; an English client still gets English."""

from __future__ import annotations

import pytest

from bot.platform import i18n
from bot.platform.errors import NotFound
from bot.sandbox.harness import Harness, MemberSpec, WorldSpec


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.locale = "fr"  # the server's preferred locale: refusals are personal, so it is not theirs
    w.members += [MemberSpec("hans", locale="de")]
    return w


async def test_a_german_client_gets_a_service_error_in_german(kudos: Harness) -> None:
    sam = kudos.member("sam")  # staff
    sam.set_locale("de")
    refused = await sam.slash("feedback status", status="shipped", item=999, version="1.0")
    assert refused.ephemeral
    assert refused.content == ("Auf diesem Server gibt es kein Feedback #999. Prüf die Nummer im Embed des "
                               "Beitrags.")
    sam.set_locale("en-US")
    english = await sam.slash("feedback status", status="shipped", item=999, version="1.0")
    assert english.content == "There is no feedback #999 in this server. Check the number in the post's embed."


async def test_a_german_client_is_told_in_german_that_a_command_is_for_staff(kudos: Harness) -> None:
    refused = await kudos.member("hans").slash("kudos status")
    assert refused.ephemeral
    assert refused.content == ("Nur Mitglieder mit der Rolle Team können das benutzen. Frag einen Moderator, "
                               "wenn du meinst, dass du es können solltest.")


def test_an_error_keeps_its_english_text_and_values_apart() -> None:
    exc = NotFound(i18n.N_("There is no beta named {value} in this server."), value="'{x}'")
    assert str(exc) == "There is no beta named '{x}' in this server."  # member text is inserted, never parsed
    assert exc.translated(i18n.translator("fr")) == "Il n'y a pas de bêta nommée '{x}' dans ce serveur."
    passed_on = NotFound(exc)
    assert passed_on.translated(i18n.translator("ja")) == "このサーバーに '{x}' という名前のベータはありません。"
    unmarked = NotFound("Nothing {here} to translate")  # not in the catalogue, and never formatted
    assert unmarked.translated(i18n.translator("de")) == "Nothing {here} to translate"
