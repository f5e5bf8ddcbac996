"""The Discord side effects of a feedback change, each run as its own durable job (see :mod:`bot.feedback.jobs`).

A DM job tells one member; whoever can't get a DM (50007) gets a mention job instead, once per item, and
their closed DMs are remembered for a while (no DM is tried meanwhile: ``FeedbackService.dms_closed``). A
member who left (50278 no mutual guild, 10007 unknown member) is neither DMed nor pinged: the job is
dropped with an audit line. The status-line job brings the thread in line: reopens it, sets the tags,
refreshes the item embed, posts the status line (and closes a duplicate); the merge-note job refreshes the
original's embed and notes the merge in its thread. A failure is classified by :mod:`bot.platform.jobs.effects`: transient
ones are retried by the scheduler with back-off, a vanished target ends the job with an audit line, a missing
permission is reported to the staff log.

At most once, where it can be helped: a job that runs again (a retry, or a claim taken over after a crash
between the send and the bookkeeping) first looks for its own message among the channel's recent ones —
the bot's last ``HISTORY`` messages there with the exact same text — and does not send it again. (Discord
keeps no idempotency key on messages we could ask for instead; a message that same text sent by another
change of the same item moments before would also count, which costs at most a repeat notice.)

A mixin of :class:`cogs.feedback.cog.Feedback`, which provides ``bot``, ``service``, ``_thread``,
``_tag_objects`` and ``edit_item_card`` (the card in either form, :mod:`cogs.feedback.cards`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.core import i18n
from bot.core.effect_errors import outcome, report_missing_permission
from bot.core.errors import NO_MENTIONS
from bot.feedback import FeedbackItem
from bot.feedback.jobs import (
    DM_EVENT,
    EMBED_EVENT,
    MENTION_EVENT,
    MERGE_NOTE_EVENT,
    STATUS_LINE_EVENT,
    MentionKey,
)
from bot.platform import deferred
from bot.platform.errors import KudosError
from bot.platform.i18n import N_
from bot.platform.jobs.effects import NO_MUTUAL_GUILD, Action, Drop, GiveUp, Retry
from cogs.feedback import render
from cogs.feedback.jobctx import job_item

log = logging.getLogger(__name__)

HISTORY = 25
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
    edit_item_card: Callable[..., Awaitable[None]]

    def _register_notices(self) -> None:
        self.bot.scheduler.register(DM_EVENT, self._on_dm)
        self.bot.scheduler.register(MENTION_EVENT, self._on_mention)
        self.bot.scheduler.register(STATUS_LINE_EVENT, self._on_status_line)
        self.bot.scheduler.register(MERGE_NOTE_EVENT, self._on_merge_note)
        self.bot.scheduler.register(EMBED_EVENT, self._on_embed)

    def _unregister_notices(self) -> None:
        for event in (DM_EVENT, MENTION_EVENT, STATUS_LINE_EVENT, MERGE_NOTE_EVENT, EMBED_EVENT):
            self.bot.scheduler.unregister(event)

    # ------------------------------------------------------------------ shared

    async def _context(self, payload: dict[str, Any], *, dm: bool = False,
                       ) -> tuple[discord.Guild, FeedbackItem, FeedbackItem | None, str]:
        """The guild, the item and the notice text of a job (the text as of the change, not of now), in the
        member's DM language (``dm``) or the server's."""
        guild, item = await job_item(self.bot, self.service, payload)
        guild_id = guild.id
        try:
            target = await self.service.get(guild_id, int(payload["target_id"])) if payload.get("target_id") else None
        except KudosError as exc:
            raise Drop(f"feedback #{payload['target_id']} is gone: {exc}") from None
        user_id = int(payload["user_id"]) if payload.get("user_id") else None
        coreporter = (target is not None and user_id is not None
                      and user_id in await self.service.coreporters_of(guild_id, target.id))
        tr = (await i18n.for_dm(self.bot, guild, user_id) if dm and user_id is not None
              else i18n.for_guild(self.bot, guild))
        text = render.notice_text(item, payload["event"], payload["status"], payload.get("note"),
                                  payload.get("version"), target, user_id=user_id, coreporter=coreporter, tr=tr)
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
            await report_missing_permission(self.bot, guild, what, channel, needs)
            raise GiveUp(what, failure) from exc
        if action in (Action.FALLBACK, Action.UNARCHIVE):
            return action
        raise GiveUp(what, failure) from exc

    async def _thread_of(self, guild: discord.Guild, item: FeedbackItem, timer: Any) -> discord.Thread:
        try:
            return await self._thread(guild, item, fresh=getattr(timer, "attempts", 1) > 1)
        except KudosError as exc:  # the thread was deleted
            raise Drop(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - classified
            what = deferred.said(N_("find the thread of feedback #{id}"), id=item.id)
            await self._failed(exc, guild, what)
            raise GiveUp(what) from exc

    async def _in_thread(self, guild: discord.Guild, thread: discord.Thread, what: str,
                         step: Callable[[discord.Thread], Awaitable[None]], *, rest_again: bool = False,
                         elsewhere: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run ``step`` in ``thread``; when Discord says the thread is archived or locked (50083, 160005),
        reopen it where permitted and run it once more — then, with ``rest_again``, archive (and lock) it
        again as it was. Where it can't be reopened, ``elsewhere`` runs instead (the notice goes somewhere
        else rather than nowhere); without one, the missing permission is reported and the job fails."""
        try:
            await step(thread)
            return
        except Exception as exc:  # noqa: BLE001 - classified
            action = await self._failed(exc, guild, what, thread, THREAD_NEEDS)
            if action is not Action.UNARCHIVE:
                raise GiveUp(what) from exc
        me = guild.me
        was_locked = thread.locked
        if not (thread.permissions_for(me).manage_threads or (thread.owner_id == me.id and not thread.locked)):
            if elsewhere is not None:
                log.info("guild %s: can't reopen thread %s to %s; going elsewhere", guild.id, thread.id, what)
                await elsewhere()
                return
            await report_missing_permission(self.bot, guild, deferred.said(N_("reopen the archived thread to {what}"), what=what), thread,
                                            ("manage_threads",))
            raise GiveUp(f"{what}: the thread is archived")
        try:
            thread = await thread.edit(archived=False)
            await step(thread)
        except Exception as exc:  # noqa: BLE001 - classified
            if elsewhere is not None and outcome(exc)[0] in (Action.UNARCHIVE, Action.REPORT):
                await elsewhere()  # refused after all (the cache's permissions were out of date)
                return
            await self._failed(exc, guild, what, thread, THREAD_NEEDS)
            raise GiveUp(what) from exc
        if rest_again:
            try:
                await thread.edit(archived=True, locked=was_locked)
            except discord.HTTPException:
                log.warning("guild %s: could not archive thread %s again after %s", guild.id, thread.id, what)

    # ------------------------------------------------------------------ jobs

    async def _on_dm(self, payload: dict[str, Any], timer: Any) -> None:
        """Tell one member about one change by DM. When their DMs are closed (50007, remembered for a while:
        no DM is tried meanwhile), mention them in the thread instead, once per item; a member who shares no
        server with the bot any more (50278) is not told at all (an audit line says so)."""
        guild, item, _target, text = await self._context(payload, dm=True)
        user_id = int(payload["user_id"])
        what = deferred.said(N_("DM member {member} about feedback #{id}"), member=user_id, id=item.id)
        if await self.service.dms_closed(guild.id, user_id):
            log.info("feedback %s: member %s's DMs were closed lately; using the thread", item.id, user_id)
            await self._mention_instead(payload, item.id, user_id)
            return
        try:
            channel = await self.bot.create_dm(discord.Object(user_id))
            if await self._already_there(channel, text, timer):
                return
            await channel.send(text, allowed_mentions=NO_MENTIONS)
            return
        except Exception as exc:  # noqa: BLE001 - classified
            action, failure = outcome(exc)
            if failure.code == NO_MUTUAL_GUILD:
                raise Drop(f"{what}: they share no server with me any more (left)", failure) from None
            action = await self._failed(exc, guild, what)
            if action is not Action.FALLBACK:
                raise GiveUp(what) from exc
        log.info("feedback %s: member %s can't get DMs; mentioning them in the thread", item.id, user_id)
        await self.service.remember_dms_closed(guild.id, user_id)
        await self._mention_instead(payload, item.id, user_id)

    async def _mention_instead(self, payload: dict[str, Any], item_id: int, user_id: int) -> None:
        key = MentionKey.of(item_id, user_id)  # once per item: later changes are in the thread's status lines
        await self.bot.scheduler.schedule(key.kind, payload, dedupe_key=key.dedupe())

    async def _still_member(self, guild: discord.Guild, user_id: int, what: str) -> None:
        """A member who left is not pinged (10007 unknown member: the job ends with an audit line)."""
        if guild.get_member(user_id) is not None:
            return
        try:
            await guild.fetch_member(user_id)
        except discord.NotFound:
            raise Drop(f"{what}: they are no longer a member of the server") from None
        except Exception as exc:  # noqa: BLE001 - classified
            await self._failed(exc, guild, what)
            raise GiveUp(what) from exc

    async def _on_mention(self, payload: dict[str, Any], timer: Any) -> None:
        """The DM's fallback: the member mentioned in the item's thread with the notice, once per item. A
        thread that is archived and locked (a merged duplicate) is reopened where permitted and closed again;
        where not, the mention goes to the thread of the report it was merged into."""
        guild, item, target, text = await self._context(payload)
        user_id = int(payload["user_id"])
        what = deferred.said(N_("mention member {member} in the thread of feedback #{id}"), member=user_id,
                             id=item.id)
        await self._still_member(guild, user_id, what)
        if item.thread_id is None:
            raise Drop(f"feedback #{item.id} has no thread to mention member {user_id} in")
        tr = i18n.for_guild(self.bot, guild)
        line = tr("{member} — I couldn't DM you: {notice}\n(Your DMs are closed, so I'll post further updates here "
                  "without pinging you.)", member=f"<@{user_id}>", notice=text)[:2000]

        async def send(where: discord.Thread) -> None:
            if not await self._already_there(where, line, timer):
                await where.send(line, allowed_mentions=only(user_id))

        elsewhere = None
        if target is not None and target.thread_id is not None:
            async def in_target() -> None:
                other = await self._thread_of(guild, target, timer)
                await self._in_thread(guild, other, f"mention member {user_id} in the thread of feedback "
                                      f"#{target.id}", send, rest_again=True)
            elsewhere = in_target
        thread = await self._thread_of(guild, item, timer)
        await self._in_thread(guild, thread, what, send, rest_again=True, elsewhere=elsewhere)

    async def _on_status_line(self, payload: dict[str, Any], timer: Any) -> None:
        """Bring the thread in line with one change: reopen it, tags, the item embed, the status line, and a
        duplicate closed. Edits are idempotent; the line is posted once (see the module docstring)."""
        guild, item, target, _text = await self._context(payload)
        status = str(payload["status"])
        as_changed = dataclasses.replace(item, status=status)  # the line says what this change did
        tr = i18n.for_guild(self.bot, guild)  # a public post: the server's language
        line = render.status_line(as_changed, payload.get("note"), tr)
        if target is not None:
            line += "\n" + tr("Merged into {target}: votes and followers moved there.", target=render.ref(target))
        thread = await self._thread_of(guild, item, timer)
        what = deferred.said(N_("update the thread of feedback #{id}"), id=item.id)

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
                    await self.edit_item_card(where.get_partial_message(item.status_message_id), item, tr)
                except discord.NotFound:  # the embed's message was deleted: the line still goes out
                    log.info("feedback %s: its status message is gone", item.id)
            if not await self._already_there(where, line, timer):
                await where.send(line, allowed_mentions=NO_MENTIONS)
            if status == "duplicate" and item.status == "duplicate":
                # Locking takes Manage Threads; without it the bot's own post is archived all the same.
                lock = where.permissions_for(guild.me).manage_threads
                await where.edit(archived=True, **({"locked": True} if lock else {}))

        await self._in_thread(guild, thread, what, bring_in_line)

    async def _on_merge_note(self, payload: dict[str, Any], timer: Any) -> None:
        """A duplicate was merged: say so in the original's thread and refresh its embed (the votes moved)."""
        guild, item, target, _text = await self._context(payload)
        if target is None or target.thread_id is None:
            raise Drop(f"feedback #{item.id} was merged into a report without a thread")
        tr = i18n.for_guild(self.bot, guild)
        note = tr("{item} was merged into this report.", item=render.ref(item))
        what = deferred.said(N_("note the merge of #{item} in the thread of feedback #{id}"), item=item.id,
                             id=target.id)

        async def post(where: discord.Thread) -> None:
            if not await self._already_there(where, note, timer):
                await where.send(note, allowed_mentions=NO_MENTIONS)  # a message reopens an unlocked thread
            if target.status_message_id:
                try:
                    await self.edit_item_card(where.get_partial_message(target.status_message_id), target, tr)
                except discord.NotFound:
                    log.info("feedback %s: its status message is gone", target.id)

        thread = await self._thread_of(guild, target, timer)
        await self._in_thread(guild, thread, what, post, rest_again=True)

    async def _on_embed(self, payload: dict[str, Any], timer: Any) -> None:
        """Bring the item's embed (its vote count) in line with the item as it is now: an edit, so running it
        twice shows the same. An archived thread is reopened for it and left to rest again."""
        guild, item = await job_item(self.bot, self.service, payload)
        if item.status_message_id is None:
            raise Drop(f"feedback #{item.id} has no embed to refresh")
        tr = i18n.for_guild(self.bot, guild)
        what = deferred.said(N_("refresh the embed of feedback #{id}"), id=item.id)

        async def edit(where: discord.Thread) -> None:
            await self.edit_item_card(where.get_partial_message(item.status_message_id), item, tr,
                                      allowed_mentions=NO_MENTIONS)

        thread = await self._thread_of(guild, item, timer)
        await self._in_thread(guild, thread, what, edit, rest_again=True)
