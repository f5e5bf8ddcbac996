"""Activity counters on the hot path: every message and reaction in a server bumps an in-memory counter.

O(1) per event and no ``await`` on the database: :class:`bot.activity.service.ActivityCounters` writes the
counts in batches (at most once a second, or per 1,000 events) and on shutdown. Bots and DMs are not counted;
a message or reaction in a thread counts for the thread's parent channel (a forum, say), which keeps the
number of rows bounded by channels, not by posts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord.ext import commands

from bot.activity.service import MESSAGES, REACTIONS, ActivityCounters

log = logging.getLogger(__name__)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the activity writer stopped", exc_info=task.exception())


class Activity(commands.Cog):
    def __init__(self, bot: Any) -> None:
        self.bot = bot
        self.counters: ActivityCounters = bot.app.activity
        self._count = self.counters.count  # bound once: called for every message and reaction

    async def cog_load(self) -> None:
        # A long-lived writer, so not in bot.tasks (whose tasks count as "busy" until they end); the
        # reference is kept here and the loop logs its own failures.
        self._writer = asyncio.get_running_loop().create_task(self.counters.run(), name="activity-writer")
        self._writer.add_done_callback(_log_failure)
        self.bot.add_flush_hook(self.counters.close)
        # Called in line by the bot's dispatch: no task per message or reaction.
        self.bot.add_sync_listener("message", self.on_message)
        self.bot.add_sync_listener("raw_reaction_add", self.on_raw_reaction_add)

    async def cog_unload(self) -> None:
        self.bot.remove_sync_listener("message", self.on_message)
        self.bot.remove_sync_listener("raw_reaction_add", self.on_raw_reaction_add)
        # Runs during bot.close() after the flush hooks, while the database is still open: counts that came
        # in between are written too.
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        await self.counters.close()

    def on_message(self, message: discord.Message) -> None:
        guild = message.guild
        if guild is None or message.webhook_id is not None:
            return
        author = message.author
        if author.bot:
            return
        channel = message.channel
        # Of the channels a message arrives in, only a thread has a parent (exact class: the cheapest test on the
        # hot path; discord.py never subclasses Thread).
        self._count(guild.id, author.id, channel.parent_id if channel.__class__ is discord.Thread else channel.id,
                    MESSAGES)

    def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        guild_id = payload.guild_id
        if guild_id is None:
            return
        member = payload.member
        if member is not None and member.bot:
            return
        user_id = payload.user_id
        me = self.bot.user
        if me is not None and user_id == me.id:
            return
        channel_id = payload.channel_id
        guild = self.bot.get_guild(guild_id)  # dictionary look-ups only
        if guild is not None:
            thread = guild.get_thread(channel_id)  # only a thread has a parent to count the reaction for
            if thread is not None:
                channel_id = thread.parent_id
        self._count(guild_id, user_id, channel_id, REACTIONS)

async def setup(bot: Any) -> None:
    await bot.add_cog(Activity(bot))
