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

from bot.platform.errors import NotAllowed
from cogs.feedback.cog import Feedback


async def open_feedback_form(interaction: discord.Interaction, *, beta_id: int | None = None,
                             type_: str | None = None) -> None:
    cog = interaction.client.get_cog("Feedback")  # type: ignore[attr-defined]
    if not isinstance(cog, Feedback):
        raise NotAllowed("Feedback is switched off right now; try again later.")
    await cog.open_form(interaction, beta_id=beta_id, type_=type_)


async def setup(bot: Any) -> None:
    await bot.add_cog(Feedback(bot))


__all__ = ["Feedback", "open_feedback_form", "setup"]
