"""The feedback item's status card, sent and edited through :mod:`bot.core.cards` in the server's ``cards``
form (a classic embed, or Components V2), with the linked changes the card shows (the GitHub issue).

A mixin of :class:`cogs.feedback.cog.Feedback`, which provides ``bot``."""

from __future__ import annotations

from typing import Any

import discord

from bot.core import cards
from bot.feedback import FeedbackItem
from bot.platform.i18n import Translator
from cogs.feedback import render


class Cards:
    bot: Any

    def card_form(self, guild_id: int) -> cards.Form:
        return self.bot.guild_config(guild_id).cards  # type: ignore[no-any-return]

    async def item_card(self, item: FeedbackItem, tr: Translator, *, lead: str | None = None) -> cards.Card:
        link = await self.bot.app.github.link_of(item.id)
        linked = [f"GitHub: [{link.ref}](https://github.com/{link.repo}/issues/{link.issue_number})"] if link else []
        return render.item_card(item, tr, lead=lead, linked=linked)

    async def card_message(self, item: FeedbackItem, tr: Translator, *, lead: str | None = None) -> dict[str, Any]:
        """The keyword arguments that post the item's card (``send`` / ``create_thread``)."""
        return cards.send_kwargs(await self.item_card(item, tr, lead=lead), self.card_form(item.guild_id))

    async def edit_item_card(self, message: discord.PartialMessage | discord.Message, item: FeedbackItem,
                             tr: Translator, **extra: Any) -> None:
        """Bring the card in line with ``item``, in the form it was posted in (:func:`bot.core.cards.edit_card`)."""
        await cards.edit_card(message, await self.item_card(item, tr), self.card_form(item.guild_id), **extra)
