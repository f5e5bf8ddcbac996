"""discord.py internals Kudos relies on (discord.py is pinned exactly): fail loudly if an upgrade changes them."""

from __future__ import annotations

import inspect

import discord.app_commands.tree
import discord.ui.modal
import discord.ui.view

from bot.core.bot import _INTERACTION_TASKS


def test_interaction_task_names_are_discord_pys() -> None:
    """``KudosBot.busy`` finds discord.py's interaction-handler tasks by name (it keeps no reference to them)."""
    source = "".join(inspect.getsource(m) for m in (discord.app_commands.tree, discord.ui.view, discord.ui.modal))
    for prefix in _INTERACTION_TASKS:
        assert f"name='{prefix}" in source or f"name=f'{prefix}" in source, prefix
