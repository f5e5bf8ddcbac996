"""The contribution ledger's Discord side: accepted answers, curation (feature + starboard), guides, thanks,
staff tools, profiles and leaderboards, receipts (durable jobs), probation release and ring reports.

Business rules live in :mod:`bot.contributions` and :mod:`bot.ledger`; these cogs only
turn interactions and gateway events into service calls and results into replies.
"""

from __future__ import annotations

from typing import Any

from cogs.contributions.answers import Answers
from cogs.contributions.creation import Creation
from cogs.contributions.curation import Curation
from cogs.contributions.moderation import Moderation
from cogs.contributions.profile import Profiles
from cogs.contributions.receipts import Receipts
from cogs.contributions.thanks import Thanks
from cogs.contributions.upkeep import Upkeep

COGS = (Answers, Curation, Creation, Thanks, Moderation, Profiles, Receipts, Upkeep)


async def setup(bot: Any) -> None:
    for cls in COGS:
        cog = cls(bot)
        await bot.add_cog(cog)
        if isinstance(cog, Curation):
            bot.effects.curation = cog  # the starboard, for catch-up (bot.core.effects)


async def teardown(bot: Any) -> None:
    bot.effects.curation = None
