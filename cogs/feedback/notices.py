"""The Discord side effects of a feedback change, each run as its own durable job (see :mod:`bot.feedback.jobs`).

A DM job tells one member; whoever can't get a DM (50007, 50278) gets a mention job instead, once. The
status-line job brings the thread in line: reopens it, sets the tags, refreshes the item embed, posts the
status line (and closes a duplicate). A failure is classified by :mod:`bot.platform.jobs.effects`: transient
ones are retried by the scheduler with back-off, a vanished target ends the job with an audit line, a missing
permission is reported to the staff log.

At most once, where it can be helped: a job that runs again (a retry, or a claim taken over after a crash
between the send and the bookkeeping) first looks for its own message among the channel's recent ones —
the bot's last ``HISTORY`` messages there with the exact same text — and does not send it again. (Discord
keeps no idempotency key on messages we could ask for instead; a message that same text sent by another
change of the same item moments before would also count, which costs at most a repeat notice.)

A mixin of :class:`cogs.feedback.cog.Feedback`, which provides ``bot``, ``service``, ``_thread`` and
``_tag_objects``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.core.effect_errors import outcome
from bot.core.errors import NO_MENTIONS
from bot.feedback import FeedbackItem
from bot.feedback.jobs import DM_EVENT, MENTION_EVENT, STATUS_LINE_EVENT, MentionKey
from bot.platform.errors import KudosError
from bot.platform.jobs.effects import Action, Drop, GiveUp, Retry
from cogs.feedback import render

log = logging.getLogger(__name__)

HISTORY = 25
PERMISSION_NAMES = {"send_messages_in_threads": "Send Messages in Threads", "manage_threads": "Manage Threads",
                    "embed_links": "Embed Links", "read_message_history": "Read Message History",
                    "send_messages": "Send Messages"}
THREAD_NEEDS = ("send_messages_in_threads", "embed_links", "read_message_history")


def only(*user_ids: int) -> discord.AllowedMentions:
    """Ping exactly these members: never @everyone, roles or anyone named in user-written text."""
    return discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                   users=[discord.Object(u) for u in user_ids])


class Notices:
    bot: Any
    service: Any
    _thread: Callable[..., Awaitable[discord.Thread]]
    _tag_objects: Callable[..., list[discord.ForumTag]]

    def _register_notices(self) -> None:
        self.bot.scheduler.register(DM_EVENT, self._on_dm)
        self.bot.scheduler.register(MENTION_EVENT, self._on_mention)
        self.bot.scheduler.register(STATUS_LINE_EVENT, self._on_status_line)

    def _unregister_notices(self) -> None:
        for event in (DM_EVENT, MENTION_EVENT, STATUS_LINE_EVENT):
            self.bot.scheduler.unregister(event)

    # ------------------------------------------------------------------ shared

    async def _context(self, payload: dict[str, Any]) -> tuple[discord.Guild, FeedbackItem, FeedbackItem | None, str]:
        """The guild, the item and the notice text of a job (the text as of the change, not of now)."""
        guild_id = int(payload["guild_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        try:
            item = await self.service.get(guild_id, int(payload["feedback_id"]))
            target = await self.service.get(guild_id, int(payload["target_id"])) if payload.get("target_id") else None
        except KudosError as exc:
            raise Drop(f"feedback #{payload['feedback_id']} is gone: {exc}") from None
        text = render.notice_text(item, payload["event"], payload["status"], payload.get("note"),
                                  payload.get("version"), target)
        return guild, item, target, text

    async def _already_there(self, channel: discord.abc.Messageable, text: str, timer: Any) -> bool:
        """On a job's second run or later: whether its message is already among the channel's recent ones."""
        if getattr(timer, "attempts", 1) <= 1:
            return False
        async for old in channel.history(limit=HISTORY):
            if old.author.id == self.bot.user.id and old.content == text:
                return True
        return False

    async def _failed(self, exc: BaseException, guild: discord.Guild, what: str,
                      channel: discord.abc.GuildChannel | discord.Thread | None = None,
                      needs: tuple[str, ...] = ()) -> Action:
        """Act on a failed Discord call of a job: raises for retry / drop / final failure (a missing permission
        reported to the staff log first); returns the action when the caller has a fallback."""
        action, failure = outcome(exc)
        if action is Action.RETRY:
            raise Retry(what, failure) from exc
        if action is Action.DROP:
            raise Drop(what, failure) from exc
        if action is Action.REPORT:
            await self._report_permission(guild, what, channel, needs)
            raise GiveUp(what, failure) from exc
        if action in (Action.FALLBACK, Action.UNARCHIVE):
            return action
        raise GiveUp(what, failure) from exc

    async def _report_permission(self, guild: discord.Guild, what: str,
                                 channel: discord.abc.GuildChannel | discord.Thread | None, needs: tuple[str, ...]) -> None:
        missing = list(needs)
        if channel is not None and needs:
            perms = channel.permissions_for(guild.me)
            missing = [p for p in needs if not getattr(perms, p, False)] or missing
        names = ", ".join(PERMISSION_NAMES.get(p, p) for p in missing) or "a permission"
        where = f" in {channel.mention}" if channel is not None else ""
        text = (f"⚠️ I couldn't {what}{where}: Discord says I'm missing permissions ({names}). "
                "A moderator can give my role that permission there.")
        log.warning("guild %s: %s", guild.id, text)
        staff = guild.get_channel(self.bot.settings(guild.id).channel("staff_log") or 0)
        if isinstance(staff, discord.TextChannel):
            try:
                await staff.send(text, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                log.warning("guild %s: could not report a missing permission to the staff log", guild.id)

    async def _thread_of(self, guild: discord.Guild, item: FeedbackItem, timer: Any) -> discord.Thread:
        try:
            return await self._thread(guild, item, fresh=getattr(timer, "attempts", 1) > 1)
        except KudosError as exc:  # the thread was deleted
            raise Drop(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - classified
            what = f"find the thread of feedback #{item.id}"
            await self._failed(exc, guild, what)
            raise GiveUp(what) from exc

    async def _in_thread(self, guild: discord.Guild, thread: discord.Thread, what: str,
                         step: Callable[[discord.Thread], Awaitable[None]]) -> None:
        """Run ``step`` in ``thread``; when Discord says the thread is archived (50083), reopen it where
        permitted and run it once more."""
        try:
            await step(thread)
            return
        except Exception as exc:  # noqa: BLE001 - classified
            action = await self._failed(exc, guild, what, thread, THREAD_NEEDS)
            if action is not Action.UNARCHIVE:
                raise GiveUp(what) from exc
        me = guild.me
        if not (thread.permissions_for(me).manage_threads or (thread.owner_id == me.id and not thread.locked)):
            await self._report_permission(guild, f"reopen the archived thread to {what}", thread, ("manage_threads",))
            raise GiveUp(f"{what}: the thread is archived")
        try:
            thread = await thread.edit(archived=False)
            await step(thread)
        except Exception as exc:  # noqa: BLE001 - classified
            await self._failed(exc, guild, what, thread, THREAD_NEEDS)
            raise GiveUp(what) from exc

    # ------------------------------------------------------------------ jobs

    async def _on_dm(self, payload: dict[str, Any], timer: Any) -> None:
        """Tell one member about one change by DM; when their DMs are closed, mention them in the thread."""
        guild, item, _target, text = await self._context(payload)
        user_id = int(payload["user_id"])
        what = f"DM member {user_id} about feedback #{item.id}"
        try:
            channel = await self.bot.create_dm(discord.Object(user_id))
            if await self._already_there(channel, text, timer):
                return
            await channel.send(text, allowed_mentions=NO_MENTIONS)
            return
        except Exception as exc:  # noqa: BLE001 - classified
            action = await self._failed(exc, guild, what)
            if action is not Action.FALLBACK:
                raise GiveUp(what) from exc
        log.info("feedback %s: member %s can't get DMs; mentioning them in the thread", item.id, user_id)
        key = MentionKey(int(payload["change_id"]), user_id)
        await self.bot.scheduler.schedule(key.kind, payload, dedupe_key=key.dedupe())

    async def _on_mention(self, payload: dict[str, Any], timer: Any) -> None:
        """The DM's fallback: the member mentioned in the item's thread with the notice, once."""
        guild, item, _target, text = await self._context(payload)
        user_id = int(payload["user_id"])
        if item.thread_id is None:
            raise Drop(f"feedback #{item.id} has no thread to mention member {user_id} in")
        thread = await self._thread_of(guild, item, timer)
        line = f"<@{user_id}> — I couldn't DM you: {text}"[:2000]

        async def send(where: discord.Thread) -> None:
            if not await self._already_there(where, line, timer):
                await where.send(line, allowed_mentions=only(user_id))

        await self._in_thread(guild, thread, f"mention member {user_id} in the thread of feedback #{item.id}", send)

    async def _on_status_line(self, payload: dict[str, Any], timer: Any) -> None:
        """Bring the thread in line with one change: reopen it, tags, the item embed, the status line, and a
        duplicate closed. Edits are idempotent; the line is posted once (see the module docstring)."""
        guild, item, target, _text = await self._context(payload)
        status = str(payload["status"])
        as_changed = dataclasses.replace(item, status=status)  # the line says what this change did
        line = render.status_line(as_changed, payload.get("note"))
        if target is not None:
            line += f"\nMerged into {render.ref(target)}: votes and followers moved there."
        thread = await self._thread_of(guild, item, timer)
        what = f"update the thread of feedback #{item.id}"

        async def bring_in_line(where: discord.Thread) -> None:
            forum = where.parent
            edits: dict[str, Any] = {}
            if where.archived:
                edits["archived"] = False
            if isinstance(forum, discord.ForumChannel):
                edits["applied_tags"] = self._tag_objects(forum, item, list(where.applied_tags))
            if edits:
                where = await where.edit(**edits)
            if item.status_message_id:
                try:
                    await where.get_partial_message(item.status_message_id).edit(embed=render.item_embed(item))
                except discord.NotFound:  # the embed's message was deleted: the line still goes out
                    log.info("feedback %s: its status message is gone", item.id)
            if not await self._already_there(where, line, timer):
                await where.send(line, allowed_mentions=NO_MENTIONS)
            if status == "duplicate" and item.status == "duplicate":
                await where.edit(archived=True, locked=True)

        await self._in_thread(guild, thread, what, bring_in_line)
