"""Bulk Overwrite Application Commands refuses localisations Discord refuses (application-commands.mdx,
"Localization": ``name_localizations`` and ``description_localizations`` are "dictionar[ies] with keys in
available locales", whose "values follow the same restrictions as ``name``" / ``description``; reference.mdx,
"Locales"), and interactions carry the member's and the server's locale (receiving-and-responding.mdx,
Interaction Object: ``locale``, ``guild_locale``)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator import Emulator
from bot.emulator.rules import ApiError
from bot.emulator.world_interactions import overwrite_commands

from .conftest import KudosTestBot, World


def command(**extra: Any) -> dict[str, Any]:
    return {"type": 1, "name": "profile", "description": "Your profile", **extra}


def errors_of(emu: Emulator, guild_id: int, body: list[dict[str, Any]]) -> dict[str, Any]:
    with pytest.raises(ApiError) as caught:
        overwrite_commands(emu, body, guild_id)
    assert caught.value.status == 400 and caught.value.code == 50035
    return caught.value.errors  # type: ignore[no-any-return]


def codes(tree: Any) -> list[str]:
    if isinstance(tree, dict):
        return [c for k, v in tree.items() for c in (
            [e["code"] for e in v] if k == "_errors" else codes(v))]
    return []


async def test_good_localisations_are_stored(emu: Emulator, world: World) -> None:
    body = [command(name_localizations={"de": "profil", "ja": "プロフィール", "pt-BR": "perfil"},
                    description_localizations={"fr": "Ton profil"},
                    options=[{"type": 3, "name": "kind", "description": "Kind",
                              "name_localizations": {"de": "art"},
                              "choices": [{"name": "answer", "value": "answer",
                                           "name_localizations": {"de": "Antwort mit Leerzeichen"}}]}]),
            {"type": 3, "name": "Mark as solution", "name_localizations": {"de": "Als Lösung markieren"}}]
    stored = overwrite_commands(emu, body, world.guild.id)
    assert stored[0]["name_localizations"]["ja"] == "プロフィール"


@pytest.mark.parametrize(("body", "code"), [
    ([command(name_localizations={"xx": "profil"})], "APPLICATION_COMMAND_INVALID_LOCALE"),
    ([command(name_localizations={"de": "Profil"})], "APPLICATION_COMMAND_INVALID_NAME"),  # upper case
    ([command(name_localizations={"de": "mein profil"})], "APPLICATION_COMMAND_INVALID_NAME"),  # a space
    ([command(name_localizations={"de": "p" * 33})], "BASE_TYPE_BAD_LENGTH"),
    ([command(description_localizations={"fr": "x" * 101})], "BASE_TYPE_BAD_LENGTH"),
    ([command(options=[{"type": 3, "name": "kind", "description": "Kind",
                        "name_localizations": {"de": "Art"}}])], "APPLICATION_COMMAND_INVALID_NAME"),
    ([command(options=[{"type": 3, "name": "kind", "description": "Kind", "name_localizations": {"de": "art"}},
                       {"type": 3, "name": "type", "description": "Type", "name_localizations": {"de": "art"}}])],
     "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS"),
    ([command(options=[{"type": 3, "name": "kind", "description": "Kind",
                        "choices": [{"name": "a", "value": "a", "name_localizations": {"de": ""}}]}])],
     "BASE_TYPE_BAD_LENGTH"),
    ([command(name_localizations={"de": "profil"}), command(name="stats", name_localizations={"de": "profil"})],
     "APPLICATION_COMMANDS_DUPLICATE_NAME"),
])
async def test_bad_localisations_are_refused(emu: Emulator, world: World, body: list[dict[str, Any]],
                                             code: str) -> None:
    assert code in codes(errors_of(emu, world.guild.id, body))


async def test_interactions_carry_the_member_s_and_the_server_s_locale(emu: Emulator, world: World,
                                                                      bot: KudosTestBot) -> None:
    seen: list[tuple[str, str | None]] = []

    @bot.listen("on_interaction")
    async def note(interaction: Any) -> None:
        seen.append((str(interaction.locale), str(interaction.guild_locale)))

    emu.set_locale(world.alice.id, "de")
    emu.set_preferred_locale(world.guild.id, "fr")
    await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "echo", {"text": "hi"})
    await emu.run_slash(world.guild.id, world.general.id, world.bob.id, "echo", {"text": "hi"})
    assert seen == [("de", "fr"), ("en-US", "fr")]
    with pytest.raises(ValueError, match="not a Discord locale"):
        emu.set_locale(world.alice.id, "de-DE")
