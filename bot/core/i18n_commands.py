"""The slash commands' strings for the catalogues: ``python -m bot.core.i18n_commands POT`` adds every
command, group, option and choice name and description the bot registers (msgctxt ``command``) to the
template ``pybabel extract`` wrote (``make i18n`` runs both). discord.py asks the translator for exactly these
strings, so they are collected by running its own payload builder with a translator that records them.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import discord
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from discord import app_commands

from bot.platform.i18n import COMMAND_CONTEXT


class _Recorder(app_commands.Translator):
    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {}  # message -> where (for the translator's comment)

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        if locale is discord.Locale.german:  # once per string is enough
            where = self.seen.setdefault(string.message, [])
            label = context.location.name
            if label not in where:
                where.append(label)
        return None


async def command_strings() -> dict[str, list[str]]:
    """Every translatable slash-command string of the bot, in registration order, with where it appears
    (``command_name``, ``parameter_description``, ``choice_name``, …)."""
    from bot.core.bot import create_bot
    from bot.platform.config import parse_config
    from bot.platform.db import migrate

    with tempfile.TemporaryDirectory(prefix="kudos-i18n-") as tmp:  # some cogs read their tables on load
        config = parse_config({"bot": {"database_url": f"sqlite+aiosqlite:///{tmp}/kudos.db", "gc_freeze": False}},
                              source="i18n extraction")
        bot = create_bot(config)
        try:
            await migrate.upgrade(bot.db)
            await bot.load_cogs()
            recorder = _Recorder()
            for command in bot.tree.get_commands():
                await command.get_translated_payload(bot.tree, recorder)
            return recorder.seen
        finally:
            await bot.scheduler.stop()
            await bot.tasks.cancel_all()
            await bot.app.close()
            await bot.db.close()


def add_to_template(pot: Path, strings: dict[str, list[str]]) -> int:
    with pot.open("rb") as f:
        catalog: Catalog = read_po(f)
    for message, where in strings.items():
        catalog.add(message, context=COMMAND_CONTEXT, auto_comments=[f"slash command: {', '.join(where)}"])
    with pot.open("wb") as f:
        write_po(f, catalog, width=120, sort_by_file=False)
    return len(strings)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bot.core.i18n_commands TEMPLATE.pot", file=sys.stderr)
        return 2
    count = add_to_template(Path(args[0]), asyncio.run(command_strings()))
    print(f"added {count} slash-command strings to {args[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
