"""The review queue's cards, each a durable job written with its cause (see :mod:`bot.feedback.jobs`).

A report held for review writes, in the transaction that records it, the job that posts its card (the
report, likely duplicates, Approve / Reject) in the review channel (:class:`~bot.feedback.jobs.ReviewPostKey`);
a rejection writes the job that shows the outcome on the card and takes its buttons away
(:class:`~bot.feedback.jobs.ReviewOutcomeKey`). Approving edits the card in the interaction's own answer and,
when the post is made (later, if Discord was slow or failing: the card said "on its way"), the same job puts
the link to the post on the card, or, when the post could not be made in the end, says so (the job carries the
card's ids: the draft is gone by then).

A failure ends the job through the platform's one classification (:func:`bot.core.effect_errors.end_job`):
429, 5xx and no answer are retried with back-off; a review channel or card that is gone drops the job with a
``job.dropped`` audit line; a missing permission is reported to the staff log. A card job that runs again
first looks for its card among the channel's recent messages (its title names the report), so staff see
each card once.

A mixin of :class:`cogs.feedback.cog.Feedback`, which provides ``bot`` and ``service``.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.core import i18n
from bot.core.effect_errors import end_job, report_missing_permission
from bot.core.errors import NO_MENTIONS
from bot.feedback.jobs import REVIEW_OUTCOME_EVENT, REVIEW_POST_EVENT
from bot.platform import deferred
from bot.platform.errors import KudosError, NotFound
from bot.platform.i18n import N_
from bot.platform.jobs.effects import Drop, GiveUp, Retry
from cogs.feedback import render
from cogs.feedback.jobctx import job_item
from cogs.feedback.ui import review_view

log = logging.getLogger(__name__)

HISTORY = 25
REVIEW_NEEDS = ("view_channel", "send_messages", "embed_links", "read_message_history")


class Review:
    bot: Any
    service: Any

    def _register_review(self) -> None:
        self.bot.scheduler.register(REVIEW_POST_EVENT, self._on_review_post)
        self.bot.scheduler.register(REVIEW_OUTCOME_EVENT, self._on_review_outcome)

    def _unregister_review(self) -> None:
        for event in (REVIEW_POST_EVENT, REVIEW_OUTCOME_EVENT):
            self.bot.scheduler.unregister(event)

    def _review_channel(self, guild: discord.Guild) -> discord.TextChannel:
        """The configured review channel (from the cache: refused before anything is written)."""
        ref = self.bot.guild_config(guild.id).feedback.review_channel
        channel = guild.get_channel(ref) if isinstance(ref, int) else discord.utils.get(
            guild.text_channels, name=str(ref).lstrip("#"))
        if not isinstance(channel, discord.TextChannel):
            raise NotFound("The feedback review channel is missing, so I can't hold this for review. A moderator "
                           "can fix feedback.review_channel in the config.")
        return channel

    async def _on_review_post(self, payload: dict[str, Any], timer: Any) -> None:
        """Post a held report's card in the review channel (once: a rerun looks for it first)."""
        guild, item = await job_item(self.bot, self.service, payload)
        if item.status != "pending_review" or item.review_message_id is not None:
            return  # handled before its card went out (a dashboard decision), or the card is there
        what = deferred.said(N_("post feedback #{id} for review"), id=item.id)
        try:
            channel = self._review_channel(guild)
        except KudosError as exc:
            raise Drop(f"{what}: {exc}") from None
        tr = i18n.for_guild(self.bot, guild)  # the review channel is staff's: the server's language
        title = render.review_embed(item, tr=tr).title or ""
        try:
            message = None
            if getattr(timer, "attempts", 1) > 1 and self.bot.user is not None:
                async for old in channel.history(limit=HISTORY):
                    if old.author.id == self.bot.user.id and old.embeds and old.embeds[0].title == title:
                        message = old
                        break
            if message is None:
                duplicates = await self.bot.app.search.duplicates(guild.id, item.id, item.title, item.details)
                message = await channel.send(embed=render.review_embed(item, duplicates=duplicates, tr=tr),
                                             view=review_view(item.id, tr), allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            await end_job(exc, what, report=lambda: report_missing_permission(
                self.bot, guild, what, channel, REVIEW_NEEDS))
            raise GiveUp(what) from exc
        await self.service.set_review_message(guild.id, item.id, channel.id, message.id)

    async def _on_review_outcome(self, payload: dict[str, Any], _timer: Any) -> None:
        """Show on a report's card who rejected it (and why), or who approved it with a link to its post once
        that was made, and take its buttons away."""
        if payload.get("failed"):
            return await self._on_review_failed(payload)
        guild, item = await job_item(self.bot, self.service, payload)
        if not item.review_channel_id or not item.review_message_id:
            raise Drop(f"feedback #{item.id} has no review card to update")
        channel = guild.get_channel(item.review_channel_id)
        what = deferred.said(N_("show the outcome of feedback #{id} on its review card"), id=item.id)
        if not isinstance(channel, discord.TextChannel):
            raise Drop(f"{what}: the review channel was deleted")
        actor = guild.get_member(int(payload.get("actor_id") or 0))
        tr = i18n.for_guild(self.bot, guild)
        who = actor.display_name if actor else tr("staff")
        if item.thread_id is not None:
            outcome = tr("Approved by {staff}: {link}", staff=who,
                         link=f"https://discord.com/channels/{guild.id}/{item.thread_id}")
        elif item.status_note:
            outcome = tr("Rejected by {staff}: {reason}", staff=who, reason=item.status_note)
        else:
            outcome = tr("Rejected by {staff}", staff=who)
        try:
            await channel.get_partial_message(item.review_message_id).edit(
                embed=render.review_embed(item, outcome, tr=tr), view=None)
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            await end_job(exc, what, report=lambda: report_missing_permission(
                self.bot, guild, what, channel, REVIEW_NEEDS))
            raise GiveUp(what) from exc

    async def _on_review_failed(self, payload: dict[str, Any]) -> None:
        """An approved report whose post could not be made in the end (its draft is gone): the card, found by
        the ids the job carries, says so instead of "on its way"; the report as the card shows it is kept."""
        guild_id, item_id = int(payload["guild_id"]), int(payload["feedback_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        channel = guild.get_channel(int(payload["review_channel_id"]))
        what = deferred.said(N_("show the outcome of feedback #{id} on its review card"), id=item_id)
        if not isinstance(channel, discord.TextChannel):
            raise Drop(f"{what}: the review channel was deleted")
        actor = guild.get_member(int(payload.get("actor_id") or 0))
        tr = i18n.for_guild(self.bot, guild)
        outcome = tr("Approved by {staff}, but its post could not be made (see the staff log); the reporter was "
                     "told", staff=actor.display_name if actor else tr("staff"))
        try:
            card = await channel.fetch_message(int(payload["review_message_id"]))
            embed = card.embeds[0] if card.embeds else discord.Embed()
            await card.edit(embed=embed.set_footer(text=outcome), view=None)
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            await end_job(exc, what, report=lambda: report_missing_permission(
                self.bot, guild, what, channel, REVIEW_NEEDS))
            raise GiveUp(what) from exc


__all__ = ["Review"]
