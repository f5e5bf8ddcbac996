"""``/beta poll``: a native Discord poll for a quick cohort question, posted in the beta's discussion thread
(else its private channel, else the announcement channel) by the ``betas.poll`` durable job the service
writes with the poll. Votes arrive as gateway events (MESSAGE_POLL_VOTE_ADD / _REMOVE, the
``guild_polls`` intent, on in ``discord.Intents.default()``); the service keeps them, counts each voter's
participation once per poll, and the close summary shows each poll's answer counts (:mod:`bot.betas.polls`).

A mixin of :class:`cogs.betas.cog.Betas` (provides ``bot`` and ``svc``); the slash command itself sits in the
``/beta`` group there and calls :meth:`PollPosts.start_poll`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import discord
from discord.ext import commands

from bot.betas.polls import parse_answers
from bot.core import i18n
from bot.core.effect_errors import end_job, report_missing_permission
from bot.core.errors import NO_MENTIONS
from bot.platform import deferred
from bot.platform.i18n import N_
from bot.platform.jobs.effects import Drop, GiveUp, Retry

log = logging.getLogger(__name__)

# Discord's Send Polls permission besides sending itself (permissions.mdx: SEND_POLLS).
POLL_NEEDS = ("view_channel", "send_messages", "send_messages_in_threads", "send_polls", "read_message_history")
HISTORY = 25


class PollPosts:
    bot: Any
    svc: Any

    async def start_poll(self, interaction: discord.Interaction, beta_id: int, question: str, answers: str,
                         hours: int) -> None:
        """``/beta poll``: record the poll with its posting job (the service), then run the job now."""
        assert interaction.guild_id is not None
        parsed = parse_answers(answers)
        await interaction.response.defer(ephemeral=True, thinking=True)
        poll = await self.svc.create_poll(interaction.guild_id, beta_id, interaction.user.id, question=question,
                                          answers=parsed, hours=hours)
        await self.bot.scheduler.run_due()
        poll = await self.svc.get_poll(poll.id)
        tr = i18n.for_reader(interaction)
        if poll.status == "posted":
            text = tr("The poll is up in <#{channel}>: it runs for {hours} h, and the close summary shows its "
                      "result.", channel=poll.channel_id, hours=poll.hours)
        elif poll.status == "pending":
            text = tr("Discord isn't answering right now; the poll goes out in <#{channel}> as soon as it does.",
                      channel=poll.channel_id)
        else:
            text = tr("The poll could not be posted in <#{channel}>; the staff log says why.",
                      channel=poll.channel_id)
        await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)

    async def _on_poll_job(self, payload: dict[str, Any], timer: Any) -> None:
        """The ``betas.poll`` job: post the poll (idempotent: a try after a failed one first looks for it)."""
        poll = await self.svc.get_poll(int(payload["poll_id"]))
        if poll is None or poll.status != "pending":
            return
        guild = self.bot.get_guild(poll.guild_id)
        if guild is None:
            raise Retry(f"guild {poll.guild_id} is not available (yet)")
        what = deferred.said(N_("post a poll of beta #{id}"), id=poll.beta_id)
        channel: Any = guild.get_channel_or_thread(poll.channel_id)
        try:
            if channel is None:  # an archived thread is not in the cache
                channel = await guild.fetch_channel(poll.channel_id)
            message = await self._poll_sent_before(channel, poll.question) if getattr(timer, "attempts", 1) > 1 \
                else None
            if message is None:
                native = discord.Poll(question=poll.question, duration=timedelta(hours=poll.hours))
                for answer in poll.answers:
                    native.add_answer(text=answer)
                message = await channel.send(poll=native, allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # noqa: BLE001 - classified: retried, or the poll failed
            try:
                await end_job(exc, what, report=lambda: report_missing_permission(self.bot, guild, what, channel,
                                                                                   POLL_NEEDS))
            except (Drop, GiveUp):
                await self.svc.mark_poll(poll.id, failed=True)
                raise
            except Retry:
                raise
            await self.svc.mark_poll(poll.id, failed=True)  # a locked thread: not reopened for a poll
            raise GiveUp(what) from exc
        await self.svc.mark_poll(poll.id, message_id=message.id)

    async def _poll_sent_before(self, channel: Any, question: str) -> discord.Message | None:
        async for old in channel.history(limit=HISTORY):
            if old.author.id == self.bot.user.id and old.poll is not None and old.poll.question == question:
                return old
        return None

    @commands.Cog.listener()
    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        counted = await self.svc.poll_vote(payload.message_id, payload.user_id, payload.answer_id, added=True)
        if counted:
            log.info("poll vote on message %s counts as beta participation", payload.message_id)

    @commands.Cog.listener()
    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self.svc.poll_vote(payload.message_id, payload.user_id, payload.answer_id, added=False)
