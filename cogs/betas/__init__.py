"""Beta programs (``/beta …``): announcement with Join / Leave / Give feedback, capacity, waitlist, close.

Members' access to a private beta space comes with the cohort role: give that role access to a channel (or
use the announcement's discussion thread).
"""

from __future__ import annotations

from typing import Any

from cogs.betas.cog import Betas


async def setup(bot: Any) -> None:
    cog = Betas(bot)
    await bot.add_cog(cog)
    bot.effects.betas = cog  # for the dashboard (bot.core.effects)
    bot.effects.attach(cog)  # for its own buttons and forms


async def teardown(bot: Any) -> None:
    bot.effects.betas = None
    bot.effects.detach(Betas)


__all__ = ["Betas", "setup"]
