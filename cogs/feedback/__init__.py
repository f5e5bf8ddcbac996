"""Feedback threads that close the loop (``/feedback …``).

Entry point for other features
------------------------------
``await open_feedback_form(interaction, beta_id=…, type_=None)`` answers an interaction (a slash command or
a button click that has not been responded to yet) with the feedback form. Without ``type_`` the member
first picks bug / idea / praise / question with persistent buttons (``feedback:new:<type>:<beta id>``).
With ``beta_id`` the report goes to the beta's ``feedback_forum_id`` when it has one, else the default
feedback forum, and is linked to the beta. The beta announcement's "Give feedback" button
(``beta:feedback:<beta_id>``) calls this from its callback.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core.effects import Effects
from cogs.feedback.cog import Feedback


async def open_feedback_form(interaction: discord.Interaction, *, beta_id: int | None = None,
                             type_: str | None = None) -> None:
    feedback = Effects.need(interaction.client.effects.feedback, "Feedback")  # type: ignore[attr-defined]
    await feedback.open_form(interaction, beta_id=beta_id, type_=type_)


async def setup(bot: Any) -> None:
    cog = Feedback(bot)
    await bot.add_cog(cog)
    bot.effects.feedback = cog  # for betas' feedback button, catch-up and the dashboard (bot.core.effects)
    bot.effects.attach(cog)  # for its own buttons and forms


async def teardown(bot: Any) -> None:
    bot.effects.feedback = None
    bot.effects.detach(Feedback)


__all__ = ["Feedback", "open_feedback_form", "setup"]
