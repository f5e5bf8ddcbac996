"""What the betas feature posts and edits on Discord, each through its own durable job (see
:mod:`bot.platform.jobs.effects`), written by the service in the transaction that decided it:

- ``betas.announce``: the announcement with its buttons and discussion thread (the slot wrote it, due now or
  at the start date);
- ``betas.refresh``: the edit that keeps the announcement's spots and status in line (one pending per
  announcement: a burst of joins and leaves rides on it; it goes out once no click came for
  ``betas.announcement_debounce_seconds``, or at its due time);
- ``betas.welcome``: the discussion-thread ping of members a freed spot moved in from the waitlist;
- ``betas.thread``: the discussion thread, when the announcement's post job could not open it (written with
  the post; a retry finds a thread opened before, and the opening line an earlier try sent).

A failure is classified by :func:`bot.core.effect_errors.end_job`: 429, 5xx and no answer are retried with
back-off, a vanished target ends the job with an audit line, a missing permission goes to the staff log, an
archived thread is reopened where permitted.

A mixin of :class:`cogs.betas.cog.Betas`, which provides ``bot``, ``svc``, ``edits``, ``_check_channel`` and
the debounce state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import discord

from bot.betas import Beta
from bot.core import cards, i18n
from bot.core.effect_errors import end_job, end_post, failure_of, report_missing_permission, run_post_job
from bot.core.errors import NO_MENTIONS
from bot.platform import deferred
from bot.platform.errors import Conflict, KudosError, NotFound
from bot.platform.i18n import N_
from bot.platform.jobs.effects import Action, Drop, GiveUp, Retry
from bot.platform.jobs.keys import BetaRefresh
from cogs.betas.ui import announcement_card

log = logging.getLogger(__name__)

NEEDED = ("view_channel", "send_messages", "embed_links", "create_public_threads", "send_messages_in_threads")
EDIT_NEEDS = ("view_channel", "send_messages", "embed_links")
THREAD_NEEDS = ("send_messages_in_threads", "read_message_history")
HISTORY = 25


def only(*user_ids: int) -> discord.AllowedMentions:
    return discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                   users=[discord.Object(u) for u in user_ids])


class Posts:
    bot: Any
    svc: Any
    edits: int
    _refresh_pending: set[int]
    _last_click: dict[int, float]
    _check_channel: Callable[..., discord.TextChannel]


    async def post(self, guild: discord.Guild, announcement_id: int, *, attempts: int = 1,
                   last_try: bool = True) -> Beta | None:
        """Post a reserved announcement with its buttons and discussion thread; the beta opens. Run by the
        ``betas.announce`` job the slot wrote (due now or at the start date); idempotent: a posted one is left
        alone, and a try after a failed one first looks for its message. A failure is classified
        (:func:`bot.core.effect_errors.end_post`): retried when transient, else the announcement fails and
        staff are told."""
        ann = await self.svc.announcement(announcement_id)
        if ann.status != "scheduled":
            return None
        beta = await self.svc.get(guild.id, ann.subject_id)
        what = deferred.said(N_("post the announcement of the {name} beta"), name=beta.row.name)
        try:
            channel = self._check_channel(guild, guild.get_channel(ann.channel_id))
        except KudosError as exc:
            await self.svc.mark_failed(announcement_id, exc.message)
            raise GiveUp(f"{what}: {exc.message}") from None
        tr = i18n.for_guild(self.bot, guild)  # a public post: the server's language
        try:
            message = await self._sent_before(channel, beta.id) if attempts > 1 else None
            if message is None:
                card = announcement_card(beta, tr)
                message = await channel.send(**cards.send_kwargs(card, self.bot.guild_config(guild.id).cards),
                                             allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # noqa: BLE001 - classified: retried, or the announcement failed
            await end_post(exc, what, mark_failed=lambda reason: self.svc.mark_failed(announcement_id, reason),
                           last_try=last_try,
                           report=lambda: report_missing_permission(self.bot, guild, what, channel, NEEDED))
            raise
        thread_id = None
        try:
            thread_id = (await self._open_thread(message, beta.row.name, tr, look_first=attempts > 1)).id
        except Exception as exc:  # noqa: BLE001 - the post stands; the betas.thread job retries the thread
            if failure_of(exc) is None:
                raise
            log.warning("could not open the discussion thread of beta %s (its own job retries): %s", beta.id, exc)
        return await self.svc.mark_posted(announcement_id, message_id=message.id, thread_id=thread_id)

    async def _open_thread(self, message: discord.Message | discord.PartialMessage, name: str, tr: Any, *,
                           look_first: bool) -> discord.Thread:
        """The announcement's discussion thread with its opening line. With ``look_first`` (a retry) it is
        idempotent: a thread opened from a message has the message's id, so an existing one is found and kept,
        and its opening line is sent only if an earlier try did not."""
        intro = tr("Questions and first impressions of **{name}** go here: the team reads along. "
                   "Bugs and ideas: use *{button}* on the announcement.", name=name, button=tr("Give feedback"))
        thread: Any = None
        if look_first:
            guild = message.guild
            thread = guild.get_thread(message.id) if guild is not None else None
            if thread is None:
                try:
                    thread = await self.bot.fetch_channel(message.id)
                except discord.NotFound:
                    thread = None
        if not isinstance(thread, discord.Thread):
            thread = await message.create_thread(name=tr("{name} · discussion", name=name)[:100],
                                                 auto_archive_duration=10080)
        elif self.bot.user is not None:
            async for old in thread.history(limit=HISTORY, oldest_first=True):
                if old.author.id == self.bot.user.id and old.content == intro:
                    return thread
        await thread.send(intro, allowed_mentions=NO_MENTIONS)
        return thread

    async def _on_thread_job(self, payload: dict[str, Any], _timer: Any) -> None:
        """The ``betas.thread`` job (written with the post when its thread could not be opened): open the
        discussion thread, once. A failure is classified (:func:`bot.core.effect_errors.end_job`)."""
        announcement_id, guild_id = int(payload["announcement_id"]), int(payload["guild_id"])
        try:
            ann = await self.svc.announcement(announcement_id)
            beta = await self.svc.get(guild_id, int(payload["beta_id"]))
        except NotFound as exc:
            raise Drop(f"announcement #{announcement_id} is gone: {exc}") from None
        if ann.thread_id is not None or ann.message_id is None:
            return
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        channel = guild.get_channel(ann.channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise Drop(f"the announcement channel of beta #{beta.id} is gone")
        what = deferred.said(N_("open the discussion thread of the {name} beta"), name=beta.row.name)
        tr = i18n.for_guild(self.bot, guild)
        try:
            thread = await self._open_thread(channel.get_partial_message(ann.message_id), beta.row.name, tr,
                                             look_first=True)
        except Exception as exc:  # noqa: BLE001 - classified: retried, dropped or reported
            action = await end_job(exc, what, report=lambda: report_missing_permission(
                self.bot, guild, what, channel, ("create_public_threads", "send_messages_in_threads")))
            if action is Action.UNARCHIVE:  # closed meanwhile: reopen it, the retry sends the line
                found = guild.get_thread(ann.message_id)
                if found is not None:
                    try:
                        await found.edit(archived=False)
                    except discord.HTTPException:
                        pass
                raise Retry(f"{what}: the thread was archived") from exc
            raise GiveUp(what) from exc
        await self.svc.set_thread(announcement_id, thread.id)

    async def _sent_before(self, channel: discord.TextChannel, beta_id: int) -> discord.Message | None:
        """A try after a failed one: the announcement, if an earlier try did send it (Discord keeps no
        idempotency key for messages): the bot's recent message there with this beta's footer (in either form)."""
        footer = f"beta #{beta_id}"
        async for old in channel.history(limit=25):
            if old.author.id == self.bot.user.id and footer in cards.marks(old):
                return old
        return None

    async def _post_now(self, announcement_id: int) -> deferred.Said | None:
        """Run the announcement's job (written with its slot, due now). ``None`` when it is posted; the text
        to tell staff when Discord did not answer (the job tries again; English, with its message for the
        reader's language, ``channel`` a mention); raises when it failed."""
        await self.bot.scheduler.run_due()
        ann = await self.svc.announcement(announcement_id)
        if ann.status == "posted":
            return None
        if ann.status == "scheduled":
            return deferred.said(N_("Discord isn't answering right now; the announcement goes out in {channel} as "
                                    "soon as it does."), channel=f"<#{ann.channel_id}>")
        raise Conflict(N_("The announcement could not be posted in <#{channel_id}>; the staff log says why."),
                       channel_id=ann.channel_id)

    def refresh_soon(self, guild_id: int, beta_id: int) -> None:
        """After a join or leave (whose transaction wrote the pending edit job): run that edit once no click
        came for ``announcement_debounce_seconds`` (at most ten times that in a steady stream)."""
        loop = asyncio.get_running_loop()
        self._last_click[beta_id] = loop.time()
        if beta_id in self._refresh_pending:
            return
        self._refresh_pending.add(beta_id)
        delay = self.bot.guild_config(guild_id).betas.announcement_debounce_seconds
        self.bot.tasks.spawn(self._refresh_later(guild_id, beta_id, delay), name=f"beta-refresh:{beta_id}")

    async def _refresh_later(self, guild_id: int, beta_id: int, delay: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10 * delay
        try:
            while True:
                quiet_at = self._last_click.get(beta_id, 0.0) + delay
                now = loop.time()
                if now >= quiet_at or now >= deadline:
                    break
                await asyncio.sleep(min(quiet_at, deadline) - now)
        finally:
            self._refresh_pending.discard(beta_id)  # before reading: a later click schedules its own edit
        await self.refresh(guild_id, beta_id)

    async def refresh(self, guild_id: int, beta_id: int) -> None:
        """Run the beta's pending announcement edit now (the change that needs it wrote it). Not from a timer
        handler: there :meth:`TimerScheduler.expedite` alone, and the running pass picks it up."""
        await self.bot.scheduler.expedite(BetaRefresh(beta_id))
        await self.bot.scheduler.run_due()

    async def _on_refresh_job(self, payload: dict[str, Any], _timer: Any) -> None:
        """The ``betas.refresh`` job: edit the announcement to show the beta as it is now (idempotent)."""
        guild_id, beta_id = int(payload["guild_id"]), int(payload["beta_id"])
        try:
            beta = await self.svc.get(guild_id, beta_id)
        except NotFound as exc:
            raise Drop(f"beta #{beta_id} is gone: {exc}") from None
        row = beta.row
        if row.announcement_message_id is None or row.announcement_channel_id is None:
            return
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        channel = guild.get_channel(row.announcement_channel_id)
        if channel is None:
            raise Drop(f"the announcement channel of beta #{beta_id} is gone")
        what = deferred.said(N_("update the announcement of the {name} beta"), name=row.name)
        try:
            tr = i18n.for_guild(self.bot, guild)
            await cards.edit_card(channel.get_partial_message(row.announcement_message_id),  # type: ignore[union-attr]
                                  announcement_card(beta, tr), self.bot.guild_config(guild_id).cards)
        except Exception as exc:  # noqa: BLE001 - classified: retried, dropped or reported
            await end_job(exc, what, report=lambda: report_missing_permission(self.bot, guild, what, channel,
                                                                               EDIT_NEEDS))
            raise GiveUp(what) from exc
        self.edits += 1

    async def _on_announce_timer(self, payload: dict[str, Any], timer: Any) -> None:
        """The ``betas.announce`` job: the announcement goes out (see :meth:`post`)."""
        ann = await self.svc.announcement(int(payload["announcement_id"]))
        await run_post_job(self.bot, ann.guild_id, ann.id, timer, self.post)

    async def _on_welcome_job(self, payload: dict[str, Any], timer: Any) -> None:
        """The ``betas.welcome`` job: besides the DM (a grant), ping the promoted members in the discussion
        thread, once (a try after a failed one first looks for its message)."""
        guild_id, beta_id = int(payload["guild_id"]), int(payload["beta_id"])
        user_ids = [int(u) for u in payload["user_ids"]]
        try:
            beta = await self.svc.get(guild_id, beta_id)
        except NotFound as exc:
            raise Drop(f"beta #{beta_id} is gone: {exc}") from None
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        if beta.row.thread_id is None:
            return
        thread: Any = guild.get_thread(beta.row.thread_id)
        if thread is None:  # an archived thread is not in the cache
            try:
                thread = await guild.fetch_channel(beta.row.thread_id)
            except Exception as exc:  # noqa: BLE001 - classified (10003: the thread is gone)
                await end_job(exc, f"find the discussion thread of beta #{beta_id}")
                raise GiveUp(f"find the discussion thread of beta #{beta_id}") from exc
        if not isinstance(thread, discord.Thread):
            raise Drop(f"the discussion thread of beta #{beta_id} is gone")
        tr = i18n.for_guild(self.bot, guild)
        text = tr("{members}: a spot opened up, you're now in the **{name}** beta!",
                  members=" ".join(f"<@{u}>" for u in user_ids), name=beta.row.name)
        what = deferred.said(N_("welcome members into the {name} beta"), name=beta.row.name)

        async def send(where: discord.Thread) -> None:
            if getattr(timer, "attempts", 1) > 1:
                async for old in where.history(limit=HISTORY):
                    if old.author.id == self.bot.user.id and old.content == text:
                        return
            await where.send(text, allowed_mentions=only(*user_ids))

        async def report() -> None:
            await report_missing_permission(self.bot, guild, what, thread, THREAD_NEEDS)

        try:
            await send(thread)
            return
        except Exception as exc:  # noqa: BLE001 - classified
            if await end_job(exc, what, report=report) is not Action.UNARCHIVE:
                raise GiveUp(what) from exc
        me = guild.me
        if not (thread.permissions_for(me).manage_threads or (thread.owner_id == me.id and not thread.locked)):
            await report_missing_permission(self.bot, guild, deferred.said(N_("reopen the archived thread to {what}"), what=what), thread,
                                            ("manage_threads",))
            raise GiveUp(f"{what}: the thread is archived")
        try:
            await send(await thread.edit(archived=False))
        except Exception as exc:  # noqa: BLE001 - classified
            await end_job(exc, what, report=report)
            raise GiveUp(what) from exc
