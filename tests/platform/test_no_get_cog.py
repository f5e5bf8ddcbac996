"""No code in ``bot/`` or ``cogs/`` reaches a cog by its string name: features call each other through
``bot.effects`` protocols, and a feature's own views reach their cog by its class (``bot.effects.own``).

The emulator (``bot/emulator``) is a stand-in Discord, not a caller of the bot, and is left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.core.effects import Effects
from bot.platform.errors import NotAllowed

ROOT = Path(__file__).resolve().parents[2]


def get_cog_calls(source: str) -> list[int]:
    """Lines of ``….get_cog(…)`` / ``get_cog(…)`` calls (comments and docstrings are not calls)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "get_cog":
                found.append(node.lineno)
    return found


def test_the_scan_finds_a_call_and_ignores_words() -> None:
    assert get_cog_calls('cog = interaction.client.get_cog("Betas")\n') == [1]
    assert get_cog_calls('"""never call get_cog("X")"""\n# get_cog("Y")\nx = "get_cog("\n') == []


def test_no_get_cog_in_bot_or_cogs() -> None:
    offenders = []
    for package in ("bot", "cogs"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.is_relative_to(ROOT / "bot" / "emulator"):
                continue
            offenders += [f"{path.relative_to(ROOT)}:{line}" for line in get_cog_calls(path.read_text("utf-8"))]
    assert offenders == [], f"get_cog calls (use bot.effects instead): {offenders}"


class _Cog:
    pass


def test_own_gives_the_attached_object_by_class_and_refuses_when_unloaded() -> None:
    effects = Effects()
    with pytest.raises(NotAllowed, match="Betas are switched off"):
        effects.own(_Cog, "Betas")
    cog = _Cog()
    effects.attach(cog)
    assert effects.own(_Cog, "Betas") is cog
    effects.detach(_Cog)
    with pytest.raises(NotAllowed):
        effects.own(_Cog, "Betas")
