"""The feedback forums watched: posts members open there directly become feedback items (live, or caught up
after the bot was away), and the first staff reply in an item's thread is recorded.

A mixin of :class:`cogs.feedback.cog.Feedback`, which provides ``bot``, ``service``, ``feedback_forums``,
``_tags``, ``_tag_objects`` and ``card_message``. The two listeners run inline for every new thread and message (hot path)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.core import i18n
from bot.core.checks import is_administrator
from bot.core.errors import NO_MENTIONS
from bot.feedback import TYPES, validate_draft
from bot.platform.errors import InvalidInput

log = logging.getLogger(__name__)

STARTER_WAIT = 10.0
ANSWERED_CACHE = 50_000  # feedback threads whose first staff response is known to be on record


class ForumWatch:
    bot: Any
    service: Any
    card_message: Callable[..., Awaitable[dict[str, Any]]]
    _answered: set[int]

    def _may_be_feedback_forum(self, guild_id: int, channel: Any) -> bool:
        """Whether ``channel`` (a thread's parent) can be a feedback forum, from the cache alone: a forum
        that is not a help forum. Which forums take feedback (the default one, betas' own) is in the
        database; only threads that pass this are looked up."""
        return isinstance(channel, discord.ForumChannel) and channel.id not in self.bot.settings(guild_id).help_forums

    def _on_thread_create(self, thread: discord.Thread) -> None:
        """Hot path (runs inline for every new thread): only posts in a possible feedback forum go further."""
        if thread.owner_id == self.bot.user.id or not self._may_be_feedback_forum(thread.guild.id, thread.parent):
            return
        self.bot.tasks.spawn(self.on_feedback_post(thread), name="feedback-post")

    async def on_feedback_post(self, thread: discord.Thread) -> None:
        """A member opened a post directly in a feedback forum: record it, tag it, add the buttons."""
        if thread.parent_id is None or thread.parent_id not in await self.feedback_forums(thread.guild.id):
            return
        await self.record_thread(thread, thread.starter_message or await self._starter(thread))

    async def record_thread(self, thread: discord.Thread, starter: discord.Message | None) -> bool:
        """Record a member's post in a feedback forum (live, or caught up after the bot was away); idempotent:
        a thread already recorded is left alone. Returns whether it was recorded now."""
        author_id = starter.author.id if starter else thread.owner_id
        if author_id is None or (starter is not None and starter.author.bot):
            return False
        tags = self._tags(thread.guild.id)
        applied = {t.name.casefold() for t in thread.applied_tags}
        type_ = next((t for t in TYPES if (tags.for_value(t) or "").casefold() in applied), "idea")
        details = (starter.content if starter else "") or "(no details given)"
        try:
            draft = validate_draft(type_, thread.name, details[:4000], require_bug_fields=False)
        except InvalidInput as exc:
            log.info("feedback post %s not recorded: %s", thread.id, exc)
            return False
        beta_id = await self.service.beta_for_forum(thread.guild.id, thread.parent_id)
        item, created = await self.service.record_post(thread.guild.id, author_id, forum_id=thread.parent_id,
                                                       thread_id=thread.id, draft=draft, beta_id=beta_id)
        if not created:
            return False
        forum = thread.parent
        try:
            if isinstance(forum, discord.ForumChannel):
                await thread.edit(applied_tags=self._tag_objects(forum, item, list(thread.applied_tags)))
        except discord.HTTPException:
            log.warning("feedback %s recorded, but its thread %s could not be tagged", item.id, thread.id,
                        exc_info=True)
        try:
            tr = i18n.for_guild(self.bot, thread.guild)  # a public post: the server's language
            message = await thread.send(**await self.card_message(item, tr), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("feedback %s recorded, but I could not post its buttons in %s", item.id, thread.id,
                        exc_info=True)
            return True
        await self.service.set_status_message(item.guild_id, item.id, message.id)
        return True

    async def catch_up(self, guild: discord.Guild, since: int) -> int:
        """Posts opened in the feedback forums while the bot was away (the gateway events were lost): every
        active thread there newer than ``since`` that is not a feedback item yet is recorded as if just opened."""
        forums = await self.feedback_forums(guild.id)
        me = self.bot.user.id
        threads = [t for t in guild.threads if t.parent_id in forums and t.owner_id != me and t.id > since]
        known = await self.service.recorded_threads([t.id for t in threads])
        recorded = 0
        for thread in sorted((t for t in threads if t.id not in known), key=lambda t: t.id):
            try:
                starter = await thread.fetch_message(thread.id)
            except discord.HTTPException:
                starter = None
            recorded += await self.record_thread(thread, starter)
        return recorded

    async def _starter(self, thread: discord.Thread) -> discord.Message | None:
        try:
            return await self.bot.wait_for("message", check=lambda m: m.id == thread.id, timeout=STARTER_WAIT)
        except TimeoutError:
            try:
                return await thread.fetch_message(thread.id)
            except discord.HTTPException:
                return None

    def _on_message(self, message: discord.Message) -> None:
        """Hot path (runs inline for every message): only a staff reply in a thread goes further, to record
        the first staff response in a feedback thread."""
        channel = message.channel
        if not isinstance(channel, discord.Thread) or message.id == channel.id:
            return
        author = message.author
        if author.bot or not isinstance(author, discord.Member) or message.guild is None:
            return
        if channel.id in self._answered or not self._may_be_feedback_forum(message.guild.id, channel.parent):
            return
        # get_role looks the id up in the member's role ids; Member.roles would build Role objects. A plain loop,
        # not any(<generator>): no object for the collector per message in a feedback thread.
        for role_id in self.bot.settings(message.guild.id).staff_roles:
            if author.get_role(role_id) is not None:
                break
        else:
            if not is_administrator(author):
                return
        self.bot.tasks.spawn(self._staff_reply(message.guild.id, channel), name="feedback-staff-reply")

    async def _staff_reply(self, guild_id: int, thread: discord.Thread) -> None:
        # One look-up by thread (a thread that is no feedback item changes nothing), then none for this
        # thread again once its first staff response is on record.
        if await self.service.record_staff_response(guild_id, thread.id) is not None:
            if len(self._answered) >= ANSWERED_CACHE:
                self._answered.clear()
            self._answered.add(thread.id)
