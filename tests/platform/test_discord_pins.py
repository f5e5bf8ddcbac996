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


def test_view_and_modal_scheduled_tasks_are_discord_pys() -> None:
    """``KudosView`` / ``KudosModal`` count a finished click or submit (``[metrics]``) after discord.py's
    ``_scheduled_task``, which runs the callback (or ``on_error``) and returns."""
    view = inspect.signature(discord.ui.View._scheduled_task)
    modal = inspect.signature(discord.ui.Modal._scheduled_task)
    assert list(view.parameters) == ["self", "item", "interaction"]
    assert list(modal.parameters)[:2] == ["self", "interaction"]
    assert "on_error" in inspect.getsource(discord.ui.View._scheduled_task)
    assert "on_error" in inspect.getsource(discord.ui.Modal._scheduled_task)
