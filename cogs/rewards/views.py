"""The rewards' persistent buttons: staff approve or reject a grant held over budget."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.core import i18n
from bot.core.checks import member_has
from bot.core.errors import NO_MENTIONS, GuardedCallback
from bot.platform.errors import NotAllowed
from bot.platform.i18n import N_, Translator, translator


class ApprovalButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                     template=r"rewards:(?P<verb>approve|reject):(?P<id>\d+)"):
    def __init__(self, verb: str, grant_id: int, tr: Translator | None = None) -> None:
        tr = tr or translator()  # the label counts only when the notice is posted (the staff log's language)
        super().__init__(discord.ui.Button(
            label=tr("Approve") if verb == "approve" else tr("Reject"),
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
        tr = i18n.for_guild(bot, interaction.guild, interaction.guild_id)  # the staff log's notice: the server's
        values = {"rule": grant.rule_name, "member": f"<@{grant.user_id}>", "staff": f"<@{interaction.user.id}>"}
        content = (tr("Reward **{rule}** for {member} approved by {staff}.", **values) if self.verb == "approve"
                   else tr("Reward **{rule}** for {member} rejected by {staff}.", **values))
        await interaction.response.edit_message(
            content=content,
            view=None, allowed_mentions=NO_MENTIONS,
        )


def approval_view(grant_id: int, tr: Translator | None = None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ApprovalButton("approve", grant_id, tr))
    view.add_item(ApprovalButton("reject", grant_id, tr))
    return view
