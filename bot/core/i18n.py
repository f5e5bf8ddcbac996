"""The Discord side of languages (docs/languages.md): which :class:`bot.platform.i18n.Translator` a reply, a DM
or a public post gets, and the slash commands' localisations through discord.py's ``app_commands.Translator``.

- :func:`for_reader`: an ephemeral reply or a form, in the interaction's locale (the member's client).
- :func:`for_guild`: a public post, in the guild's ``language`` setting, else the server's preferred locale.
- :func:`for_dm`: a DM, in the locale of the member's last interaction in that server, else the server's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.platform import i18n
from bot.platform.i18n import Translator

if TYPE_CHECKING:
    from bot.core.bot import KudosBot


def for_reader(interaction: discord.Interaction) -> Translator:
    return i18n.translator(interaction.locale)


def _guild_setting(bot: Any, guild_id: int) -> str | None:
    return bot.guild_config(guild_id).language


def for_guild(bot: Any, guild: discord.Guild | None, guild_id: int | None = None) -> Translator:
    """The language of a server's public posts (``guild`` may be ``None`` when only its id is known)."""
    gid = guild.id if guild is not None else guild_id
    setting = _guild_setting(bot, gid) if gid is not None else None
    return i18n.translator(i18n.public_language(setting, guild.preferred_locale if guild is not None else None))


async def for_dm(bot: KudosBot, guild: discord.Guild | None, user_id: int, guild_id: int | None = None) -> Translator:
    """The language of a DM to a member about something in ``guild``."""
    gid = guild.id if guild is not None else guild_id
    last = await bot.locales.get(gid, user_id) if gid is not None else None
    if last:
        return i18n.translator(last)
    return for_guild(bot, guild, gid)


def note_locale(bot: KudosBot, interaction: discord.Interaction) -> None:
    """A sync listener of every interaction: remember the member's locale (written only when it changed)."""
    if interaction.guild_id is None or interaction.user is None:
        return
    # /mydata (export, forget and its buttons) is where a member asks what Kudos holds: it records nothing new.
    command = interaction.command.qualified_name if interaction.command is not None else ""
    custom_id = str((interaction.data or {}).get("custom_id", "")) if isinstance(interaction.data, dict) else ""
    name = str((interaction.data or {}).get("name", "")) if isinstance(interaction.data, dict) else ""
    if command.startswith("mydata") or name == "mydata" or custom_id.startswith("mydata:"):
        return
    locale = str(getattr(interaction.locale, "value", interaction.locale) or "")
    if locale and bot.locales.note(interaction.guild_id, interaction.user.id, locale):
        bot.tasks.spawn(bot.locales.flush(), name="member-locales")


class CommandTranslator(app_commands.Translator):
    """Slash-command names, descriptions and choices from the catalogues (msgctxt ``command``), for the
    Discord locales each catalogue serves (:data:`bot.platform.i18n.DISCORD_LOCALES`)."""

    _by_locale = {loc: lang for lang, locs in i18n.DISCORD_LOCALES.items() for loc in locs}

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        lang = self._by_locale.get(locale.value)
        if lang is None:
            return None
        return i18n.Translator(lang).command(string.message)
