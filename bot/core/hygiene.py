"""The central input check: every string a member types into a slash option or a modal field is looked at
once, before any handler runs, and a NUL character is refused with a message naming the field.

PostgreSQL's text types cannot hold ``\\x00``: without this check the driver raises
``CharacterNotInRepertoireError`` deep in a handler and the member reads "Something went wrong". The rules
themselves live in :mod:`bot.platform.text` (the features apply them too, for the checks that depend on the
field: required text, titles).

:meth:`bot.core.errors.KudosTree.interaction_check` calls :func:`check_command` (slash commands, context menus,
autocomplete); :meth:`bot.core.errors.KudosModal.interaction_check` calls :func:`check_modal`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import discord

from bot.platform.text import refuse_nul

STRING_OPTION = 3  # ApplicationCommandOptionType.STRING
TEXT_INPUT = 4  # ComponentType.text_input


def _string_options(options: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for option in options or []:
        if option.get("type") == STRING_OPTION and isinstance(option.get("value"), str):
            yield option.get("name", "?"), option["value"]
        yield from _string_options(option.get("options") or [])  # subcommands and groups


def _text_inputs(components: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for comp in components or []:
        if comp.get("type") == TEXT_INPUT and isinstance(comp.get("value"), str):
            yield comp.get("custom_id", "?"), comp["value"]
        yield from _text_inputs(comp.get("components") or [])
        if isinstance(comp.get("component"), dict):  # a Label wraps one component
            yield from _text_inputs([comp["component"]])


def check_command(interaction: discord.Interaction) -> None:
    """:class:`~bot.platform.errors.InvalidInput` when a string option of this command holds a NUL."""
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    for name, value in _string_options(data.get("options") or []):
        refuse_nul(value, f"option “{name}”")


def check_modal(modal: discord.ui.Modal, interaction: discord.Interaction) -> None:
    """:class:`~bot.platform.errors.InvalidInput` naming the field (its label) when a modal field holds a NUL."""
    labels: dict[str, str] = {}
    for top in modal.to_components():  # the form as sent to Discord: rows of text inputs, or Labels
        if isinstance(top.get("component"), dict):
            labels[top["component"].get("custom_id", "")] = top.get("label", "")
        for comp in top.get("components") or []:
            if comp.get("label"):
                labels[comp.get("custom_id", "")] = comp["label"]
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    for custom_id, value in _text_inputs(data.get("components") or []):
        refuse_nul(value, f"field “{labels.get(custom_id, custom_id)}”")
