"""The rewards' persistent buttons: staff approve or reject a grant held over budget."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.core.checks import member_has
from bot.core.errors import NO_MENTIONS, GuardedCallback
from bot.platform.errors import NotAllowed
from bot.platform.i18n import N_


class ApprovalButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                     template=r"rewards:(?P<verb>approve|reject):(?P<id>\d+)"):
    def __init__(self, verb: str, grant_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Approve" if verb == "approve" else "Reject",
            style=discord.ButtonStyle.success if verb == "approve" else discord.ButtonStyle.danger,
            custom_id=f"rewards:{verb}:{grant_id}",
        ))
        self.verb = verb
        self.grant_id = grant_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: re.Match[str]):  # type: ignore[no-untyped-def]
        return cls(match["verb"], int(match["id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        if not member_has(interaction, "staff"):
            raise NotAllowed(N_("Only staff can approve rewards over budget."))
        assert interaction.guild_id is not None
        bot = interaction.client
        grant = await bot.app.rewards.approve(  # type: ignore[attr-defined]
            interaction.guild_id, self.grant_id, actor_id=interaction.user.id, approve=self.verb == "approve")
        verdict = "approved" if self.verb == "approve" else "rejected"
        await interaction.response.edit_message(
            content=f"Reward **{grant.rule_name}** for <@{grant.user_id}> {verdict} by <@{interaction.user.id}>.",
            view=None, allowed_mentions=NO_MENTIONS,
        )


def approval_view(grant_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ApprovalButton("approve", grant_id))
    view.add_item(ApprovalButton("reject", grant_id))
    return view
