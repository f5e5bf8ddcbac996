"""A report's forum post, a durable job written with its cause (see :mod:`bot.feedback.jobs`).

``/feedback new`` (``create_draft``) and the approval of a held report (``claim_review``) write, in their own
transaction, the job that opens the report's forum post and publishes it
(:class:`~bot.feedback.jobs.OpenPostKey`). What can be refused before anything is written is refused then,
from the cache: the forum missing, a forum that requires a tag with none of Kudos' tags, the bot lacking
View Channel / Send Messages (Create Posts) / Embed Links there. After the commit the interaction runs the
job and waits for it a few seconds (:data:`WAIT_SECONDS`): posted, the member gets its link; not yet, they are
told the post is on its way.

A failure ends the job through the platform's one classification (:func:`bot.core.effect_errors.end_job`):
429, 5xx and no answer are retried with back-off; the forum gone at Discord (10003) drops the job with a
``job.dropped`` audit line; a missing permission (50013 / 50001) is named in the staff log; a forum that
requires a tag (40067) is said in the staff log too. A job that runs again first looks for its own post among
the forum's threads (the starter message carries the item's card marks, :func:`bot.core.cards.marks`), so a
crash between the post and ``publish`` never posts twice. When the post can't be made in the end (dropped,
refused, or its last attempt), the draft is discarded and its reporter told by DM with their text (a
:class:`~bot.feedback.jobs.PostFailedKey` job, in their DM language): nothing is half-written, nothing lost.

A mixin of :class:`cogs.feedback.cog.Feedback`, which provides ``bot``, ``service`` and the forum helpers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

from bot.core import cards, i18n
from bot.core.dm import already_sent, deliver_dm
from bot.core.effect_errors import end_job, report_missing_permission
from bot.core.errors import NO_MENTIONS
from bot.feedback import FeedbackItem
from bot.feedback.jobs import OPEN_POST_EVENT, POST_FAILED_EVENT, POST_FAILED_STAFF_EVENT
from bot.platform import deferred, markdown
from bot.platform.errors import KudosError, NotAllowed
from bot.platform.i18n import N_
from bot.platform.jobs.effects import Drop, GiveUp, Retry
from cogs.feedback.jobctx import job_item
from cogs.feedback.notices import only

log = logging.getLogger(__name__)

WAIT_SECONDS = 4.0  # how long the interaction waits for the post (real time) before saying it's on its way
POST_NEEDS = ("view_channel", "send_messages", "embed_links")  # Send Messages is "Create Posts" in a forum
REQUIRE_TAG_REFUSED = 40067  # "A tag is required to create a forum post in this channel"


class Posting:
    bot: Any
    service: Any

    def _register_posting(self) -> None:
        self.bot.scheduler.register(OPEN_POST_EVENT, self._on_open_post)
        self.bot.scheduler.register(POST_FAILED_EVENT, self._on_post_failed)
        self.bot.scheduler.register(POST_FAILED_STAFF_EVENT, self._on_post_failed_staff)

    def _unregister_posting(self) -> None:
        for event in (OPEN_POST_EVENT, POST_FAILED_EVENT, POST_FAILED_STAFF_EVENT):
            self.bot.scheduler.unregister(event)

    def _check_postable(self, forum: discord.ForumChannel, item: Any) -> None:
        """Refuse before anything is written (from the cache): a forum that requires a tag with none of ours,
        or the bot lacking what a post needs there. ``item``: anything with ``guild_id``, ``type``, ``status``."""
        if not self._tag_objects(forum, item) and forum.flags.require_tag:  # type: ignore[attr-defined]
            # Discord refuses an untagged post in such a forum (40067): say what to change instead of failing.
            raise self._tag_required(forum, item)  # type: ignore[attr-defined]
        perms = forum.permissions_for(forum.guild.me)
        if not all(getattr(perms, p, False) for p in POST_NEEDS):
            raise NotAllowed(N_("I'm not allowed to post in {forum_mention}. A moderator can give my role "
                                "Send Messages and Create Posts there."), forum_mention=forum.mention)

    async def _await_post(self, guild_id: int, item_id: int) -> FeedbackItem | None:
        """Run the due jobs now (the post among them) and wait for them a few seconds; the item as it is then
        (``None``: its post could not be made, the draft is gone and its reporter told by DM)."""
        run = self.bot.tasks.spawn(self.bot.scheduler.run_due(), name="feedback-post")  # it runs on past the wait
        try:
            await asyncio.wait_for(asyncio.shield(run), timeout=WAIT_SECONDS)
        except TimeoutError:
            log.info("feedback #%s: its post is slow, the member is told it's on its way", item_id)
        try:
            return await self.service.get(guild_id, item_id)  # type: ignore[no-any-return]
        except KudosError:
            return None

    async def _find_post(self, forum: discord.ForumChannel, item: FeedbackItem) -> discord.Thread | None:
        """An earlier run's post of ``item`` (a crash between the post and ``publish``): a thread of the forum
        owned by the bot whose starter message carries the item's card marks."""
        me = forum.guild.me.id
        candidates = [t for t in forum.threads if t.owner_id == me]
        try:
            for thread in await forum.guild.active_threads():
                if thread.parent_id == forum.id and thread.owner_id == me and thread not in candidates:
                    candidates.append(thread)
        except discord.HTTPException:
            pass  # the cache's threads are still looked at
        for thread in candidates:
            try:
                starter = thread.starter_message or await thread.fetch_message(thread.id)
            except discord.HTTPException:
                continue
            if f"feedback:vote:{item.id}" in cards.marks(starter):  # the card's Me too button
                return thread
        return None

    async def _on_open_post(self, payload: dict[str, Any], timer: Any) -> None:
        """Open a report's forum post, then publish it (credit and events in one transaction)."""
        guild, item = await job_item(self.bot, self.service, payload)
        if item.thread_id is not None or item.status != "new":
            return  # posted already (or back in the queue / handled): no second post
        what = deferred.said(N_("open the forum post of feedback #{id}"), id=item.id)
        last = getattr(timer, "attempts", 1) >= self.bot.scheduler.settings.max_attempts
        try:
            forum = await self._forum(guild, item.beta_id)  # type: ignore[attr-defined]
        except KudosError as exc:
            await self._post_failed(item, str(exc), payload.get("actor_id"))
            raise Drop(f"{what}: {exc}") from None
        try:
            thread = await self._find_post(forum, item) if getattr(timer, "attempts", 1) > 1 else None
            message_id = thread.id if thread is not None else None  # a forum post's starter shares its id
            if thread is None:
                tr = i18n.for_guild(self.bot, guild)  # a public post: the server's language
                created = await forum.create_thread(
                    name=item.title[:100], applied_tags=self._tag_objects(forum, item),
                    allowed_mentions=only(item.reporter_id),
                    **await self.card_message(  # type: ignore[attr-defined]
                        item, tr, lead=tr("Reported by {member}", member=f"<@{item.reporter_id}>")))
                thread, message_id = created.thread, created.message.id
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            try:
                if isinstance(exc, discord.HTTPException) and exc.code == REQUIRE_TAG_REFUSED:
                    await self._report_tag_required(guild, forum, item)  # began requiring tags after our check
                    raise GiveUp(what) from exc
                await end_job(exc, what, report=lambda: report_missing_permission(
                    self.bot, guild, what, forum, POST_NEEDS))
                raise GiveUp(what) from exc
            except Retry:
                if last:
                    await self._post_failed(item, str(exc), payload.get("actor_id"))
                raise
            except (Drop, GiveUp):
                await self._post_failed(item, str(exc), payload.get("actor_id"))
                raise
        approver = payload.get("actor_id")  # approved from the review queue
        await self.service.publish(item.guild_id, item.id, forum_id=forum.id, thread_id=thread.id,
                                   status_message_id=message_id,
                                   approved_by=int(approver) if approver is not None else None)
        self._kick_notifier()  # type: ignore[attr-defined] # the screenshots' job, when the form had some

    async def _report_tag_required(self, guild: discord.Guild, forum: discord.ForumChannel,
                                   item: FeedbackItem) -> None:
        """Say in the staff log that the forum requires a tag Kudos doesn't put on feedback (40067)."""
        refusal = self._tag_required(forum, item)  # type: ignore[attr-defined]
        staff = guild.get_channel(self.bot.settings(guild.id).channel("staff_log") or 0)
        if isinstance(staff, discord.TextChannel):
            tr = i18n.for_guild(self.bot, guild)  # the staff log speaks the server's language
            try:
                await staff.send("⚠️ " + refusal.translated(tr), allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                log.warning("guild %s: could not tell the staff log that %s requires a tag", guild.id, forum.id)

    async def _post_failed(self, item: FeedbackItem, reason: str, approver: Any = None) -> None:
        """The post can't be made: the draft goes and its reporter is told (a job written with the discard);
        ``approver``: who approved it from the review queue (its card says so)."""
        await self.service.post_failed(item.guild_id, item.id, reason,
                                       approved_by=int(approver) if approver is not None else None)
        self._kick_notifier()  # type: ignore[attr-defined]

    async def _on_post_failed(self, payload: dict[str, Any], timer: Any) -> None:
        """Tell a reporter by DM that their report could not be posted, with its text (closed DMs: dropped)."""
        guild_id, user_id = int(payload["guild_id"]), int(payload["user_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        tr = await i18n.for_dm(self.bot, guild, user_id)
        text = tr("Sorry, I couldn't post your feedback \"{title}\" in {server}: the team has been told. Here is "
                  "what you wrote, so you can send it again later:", title=markdown.inline(str(payload["title"])),
                  server=markdown.inline(guild.name))
        body = f"{text}\n>>> {discord.utils.escape_mentions(str(payload.get('details') or ''))}"[:2000]
        await deliver_dm(self.bot, user_id, body, timer,
                         what=f"tell member {user_id} that feedback #{payload['feedback_id']} could not be posted",
                         closed="their DMs are closed")  # nothing else reaches them

    async def _on_post_failed_staff(self, payload: dict[str, Any], timer: Any) -> None:
        """Tell the staff log which report could not be posted, and why (the server's language). A rerun looks
        for its own line first; a failure ends through ``end_job`` (50013 named, a channel gone dropped)."""
        guild_id, item_id = int(payload["guild_id"]), int(payload["feedback_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        channel = guild.get_channel(self.bot.settings(guild.id).channel("staff_log") or 0)
        if not isinstance(channel, discord.TextChannel):
            raise Drop(f"feedback #{item_id} could not be posted: no staff_log channel to say so")
        tr = i18n.for_guild(self.bot, guild)  # the staff log speaks the server's language
        text = "⚠️ " + tr("Feedback #{id} \"{title}\" from {member} could not be posted ({reason}). I sent its text "
                         "back to them by DM.", id=item_id, title=markdown.inline(str(payload["title"])),
                         member=f"<@{int(payload['user_id'])}>",
                         reason=markdown.inline(str(payload.get("reason") or "?"))[:300])
        what = deferred.said(N_("tell the staff log that feedback #{id} could not be posted"), id=item_id)
        try:
            if await already_sent(self.bot, channel, text[:2000], timer):
                return
            await channel.send(text[:2000], allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            await end_job(exc, what, report=lambda: report_missing_permission(
                self.bot, guild, what, channel, ("view_channel", "send_messages")))
            raise GiveUp(what) from exc


__all__ = ["POST_NEEDS", "WAIT_SECONDS", "Posting"]
