"""Earned privileges on Discord: ``/privileges``, ``/privilege pin|revoke|unpin`` (moderators), the daily
re-judgement timer, the gain/loss DMs and the privileges' roles (durable jobs, see :mod:`bot.privileges.jobs`)."""

from __future__ import annotations

from typing import Any

from cogs.privileges.cog import Privileges
from cogs.privileges.staging import StagingCog


async def setup(bot: Any) -> None:
    await bot.add_cog(Privileges(bot))
    await bot.add_cog(StagingCog(bot))
