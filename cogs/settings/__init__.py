"""``/settings``: a server's own settings, changed from Discord by staff (``bot.settings`` stores and validates
them over config.toml; they take effect at once, in every process)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import i18n
from bot.core.checks import member_has, require
from bot.core.errors import NO_MENTIONS
from bot.platform import deferred
from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_
from bot.platform.markdown import inline
from bot.platform.resolver import problem_text
from bot.settings.keys import all_keys, find_key

if TYPE_CHECKING:
    from bot.core.bot import KudosBot
    from bot.platform.i18n import Translator
    from bot.settings.service import Setting, SettingsService

MAX_IMPORT_BYTES = 256 * 1024
MAX_REPLY = 1900


def _source(tr: Translator, setting: Setting) -> str:
    if setting.source == "server":
        file_value = inline(setting.file_text)
        if setting.updated_by:
            return tr("this server's setting by {member} (config.toml: {value})",
                      member=f"<@{setting.updated_by}>", value=file_value)
        return tr("this server's setting (config.toml: {value})", value=file_value)
    return "config.toml"


def _line(tr: Translator, setting: Setting) -> str:
    return f"**{setting.key.path}** = {inline(setting.text)} · {_source(tr, setting)}"


class Settings(commands.Cog):
    settings = app_commands.Group(name="settings", description="This server's settings (staff)", guild_only=True)

    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    @property
    def service(self) -> SettingsService:
        return self.bot.app.settings

    def _problems(self, guild_id: int, setting: Setting, tr: Translator) -> str:
        """Names the new value gives that the server does not have (a channel or role that is not there), in the
        reader's language (the resolver's problems are said messages)."""
        path = setting.key.path
        problems = [deferred.render(tr, problem_text(p)) for p in self.bot.settings(guild_id).problems
                    if p.startswith((f"{path}: ", f"{path}[")) and ": " in p]
        return "".join(f"\n⚠ {inline(p)}" for p in problems[:3])

    @settings.command(name="show", description="A setting's value and where it comes from, or a section's")
    @app_commands.describe(key="a key such as points.answer, or a section such as points (empty: what changed)")
    @require("staff")
    async def show(self, interaction: discord.Interaction, key: str | None = None) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        tr = i18n.for_reader(interaction)
        if key is None:
            changed = [s for s in self.service.show(guild_id) if s.source == "server" and not s.key.entry]
            head = (tr.ngettext("{count} setting changed on this server:", "{count} settings changed on this server:",
                                len(changed)) if changed
                    else tr("Every setting comes from config.toml."))
            body = [head, *(_line(tr, s) for s in changed),
                    tr("`/settings show key` shows one key or section; `/settings export` all of them.")]
        else:
            prefix = key.strip().rstrip(".")
            section = [k for k in all_keys() if k.startswith(prefix + ".") and not all_keys()[k].entry]
            if prefix not in all_keys() and section:
                settings = [s for s in self.service.show(guild_id) if s.key.path in section]
                body = [f"**[{prefix}]**", *(_line(tr, s) for s in settings)]
            else:
                setting = self.service.show(guild_id, key)[0]
                body = [_line(tr, setting)]
                if setting.key.description:
                    body.append(f"-# {inline(tr(setting.key.description))}")
        text = "\n".join(body)
        if len(text) > MAX_REPLY:
            more = "\n… " + tr("(`/settings export` has them all)")
            text = text[:MAX_REPLY - len(more)].rsplit("\n", 1)[0] + more
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @settings.command(name="set", description="Change a setting for this server (a TOML value)")
    @app_commands.describe(key="a key such as points.answer",
                           value='TOML: 25, "#showcase", ["Staff", "Team"], true')
    @require("staff")
    async def set_(self, interaction: discord.Interaction, key: app_commands.Range[str, 1, 200],
                   value: app_commands.Range[str, 1, 2000]) -> None:
        assert interaction.guild_id is not None
        before = self.service.show(interaction.guild_id, key)[0]
        setting = await self.service.set(interaction.guild_id, key, value, interaction.user.id)
        tr = i18n.for_reader(interaction)
        text = tr("{key} is now {value} (was {value_b}). It applies now.", key=f"**{setting.key.path}**",
                  value=inline(setting.text), value_b=inline(before.text))
        text += self._problems(interaction.guild_id, setting, tr)
        await interaction.response.send_message(text[:MAX_REPLY], ephemeral=True, allowed_mentions=NO_MENTIONS)

    @settings.command(name="reset", description="A setting back to config.toml's value")
    @app_commands.describe(key="a key such as points.answer")
    @require("staff")
    async def reset(self, interaction: discord.Interaction, key: app_commands.Range[str, 1, 200]) -> None:
        assert interaction.guild_id is not None
        setting = await self.service.reset(interaction.guild_id, key, interaction.user.id)
        tr = i18n.for_reader(interaction)
        text = tr("{key} is config.toml's again: {value}.", key=f"**{setting.key.path}**", value=inline(setting.text))
        await interaction.response.send_message(text[:MAX_REPLY], ephemeral=True, allowed_mentions=NO_MENTIONS)

    @settings.command(name="export", description="This server's settings as a TOML file")
    @require("staff")
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        data = self.service.export(interaction.guild_id).encode()
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(
            tr("This server's settings (config.toml with this server's changes). Edit and `/settings import` it."),
            file=discord.File(io.BytesIO(data), filename=f"kudos-settings-{interaction.guild_id}.toml"),
            ephemeral=True, allowed_mentions=NO_MENTIONS)

    @settings.command(name="import", description="Apply a TOML file of settings (all of it, or nothing)")
    @app_commands.describe(file="a .toml file as /settings export writes it; keys left out keep their value")
    @require("staff")
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        assert interaction.guild_id is not None
        if file.size > MAX_IMPORT_BYTES:
            raise InvalidInput(N_("That file is {value} KB; the limit is {value_b} KB."),
                               value=file.size // 1024, value_b=MAX_IMPORT_BYTES // 1024)
        if not file.filename.lower().endswith((".toml", ".txt")):
            raise InvalidInput(N_("Upload a .toml file (as `/settings export` writes it)."))
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            text = (await file.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(N_("That file is not UTF-8 text. Nothing was changed.")) from None
        changed = await self.service.import_(interaction.guild_id, text, interaction.user.id)
        tr = i18n.for_reader(interaction)
        if changed:
            lines = [tr.ngettext("Imported: {count} setting changed.", "Imported: {count} settings changed.",
                                 len(changed)), *(_line(tr, s) for s in changed)]
        else:
            lines = [tr("Nothing to change: the file matches this server's settings.")]
        reply = "\n".join(lines)
        if len(reply) > MAX_REPLY:
            reply = reply[:MAX_REPLY].rsplit("\n", 1)[0] + "\n…"
        await interaction.followup.send(reply, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @show.autocomplete("key")
    @set_.autocomplete("key")
    @reset.autocomplete("key")
    async def _key_autocomplete(self, interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not member_has(interaction, "staff"):
            return []
        text = current.strip().lower()
        keys = list(all_keys())
        ranked = [k for k in keys if k.startswith(text)] + [k for k in keys if text in k and not k.startswith(text)]
        if not ranked and text:
            try:
                find_key(text)
            except InvalidInput as exc:  # "did you mean": offer the suggestion
                ranked = [k for k in keys if f"`{k}`" in exc.message]
        current_values = {s.key.path: s for s in self.service.show(interaction.guild_id)}
        choices = []
        for key in ranked[:25]:
            label = f"{key} = {current_values[key].text}"
            choices.append(app_commands.Choice(name=label if len(label) <= 100 else label[:99] + "…", value=key))
        return choices


async def setup(bot: KudosBot) -> None:
    await bot.add_cog(Settings(bot))
