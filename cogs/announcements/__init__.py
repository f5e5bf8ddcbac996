"""``/announce``: staff product news in the announcement channel, each with a discussion thread.

Thin: the rules (budget, times, text, the "what we changed" post) live in :mod:`bot.announcements.service`.
This cog checks what only Discord knows (the channel and the bot's permissions there, who may ping which
role, the image), turns the form into a service call, and runs two timers: ``announce.post`` (the durable job
that posts, written with the post's slot, due now or at the chosen time; a failure is retried by its error
class) and ``announce.replies`` (count the members who replied in the discussion thread of any announcement,
beta or not, and tell staff).
"""

from __future__ import annotations

import io
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.announcements.service import (
    MAX_BODY,
    MAX_TITLE,
    AnnouncementDraft,
    ChangesPost,
    check_image,
    check_time,
)
from bot.betas import CHANGES_EVENT, NEWS_EVENT, REPLIES_EVENT, parse_when
from bot.core import i18n
from bot.core.checks import require
from bot.core.effect_errors import end_post, report_missing_permission, run_post_job
from bot.core.errors import NO_MENTIONS, KudosModal, KudosView
from bot.ledger.explain import ts
from bot.platform import deferred
from bot.platform.errors import Conflict, InvalidInput, KudosError, NotAllowed
from bot.platform.i18n import N_, Translator, translator
from bot.platform.jobs.effects import GiveUp

log = logging.getLogger(__name__)

NEEDED = ("view_channel", "send_messages", "embed_links", "create_public_threads", "send_messages_in_threads")
HISTORY = 25
# The statuses `/announce list` names in words (a scheduled or posted one says when instead).
STATUS_LABELS = {"scheduled": N_("scheduled"), "posted": N_("posted"), "cancelled": N_("cancelled"),
                 "failed": N_("failed")}
THREAD_INTRO = N_("Questions and thoughts on this announcement go here: the team reads along and answers.")


def _perm_names(perms: list[str]) -> str:
    return ", ".join(p.replace("_", " ").title() for p in perms)


def _preview(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class AnnounceForm(KudosModal):
    """The text of a new or edited announcement (too long for a slash option)."""

    required_level = "staff"  # checked again on submit: the Staff role may have gone while the form was open

    def __init__(self, pending: dict[str, Any], *, title: str = "", body: str = "",
                 tr: Translator | None = None) -> None:
        tr = tr or translator()  # a form speaks the language of the staff member who opened it
        super().__init__(title=(tr("Edit the announcement") if pending.get("edit") else
                                tr("Write the announcement"))[:45], custom_id="announce:form")
        self.pending = pending
        self.headline = discord.ui.TextInput(label=tr("Title (optional)")[:45], required=False, max_length=MAX_TITLE,
                                             default=title or None)
        self.text = discord.ui.TextInput(label=tr("Text")[:45], style=discord.TextStyle.paragraph,
                                         max_length=MAX_BODY, default=body or None,
                                         placeholder=tr("What's new? Members answer in a thread.")[:100])
        self.add_item(self.headline)
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        cog = interaction.client.effects.own(Announce, "Announcements")  # type: ignore[attr-defined]
        await cog.finish(interaction, self.pending, self.headline.value, self.text.value)


class ChangesPreview(KudosView):
    """The ephemeral preview of a "what we changed" post, with the button that publishes it."""

    required_level = "staff"

    def __init__(self, cog: Announce, post: ChangesPost, channel_id: int, tr: Translator | None = None) -> None:
        super().__init__(timeout=900)
        self.cog, self.post, self.channel_id = cog, post, channel_id
        tr = tr or translator()
        self.publish.label = tr("Post it")

    @discord.ui.button(label="Post it", style=discord.ButtonStyle.success)
    async def publish(self, interaction: discord.Interaction, _button: discord.ui.Button[Any]) -> None:
        await self.cog.publish_changes(interaction, self.post, self.channel_id)


class Announce(commands.Cog):
    announce = app_commands.Group(name="announce", description="Staff announcements with a discussion thread",
                                  guild_only=True)

    def __init__(self, bot: Any) -> None:
        self.bot = bot
        self.announcements = bot.app.announcements
        self.betas = bot.app.betas

    async def cog_load(self) -> None:
        self.bot.scheduler.register(NEWS_EVENT, self._on_post_timer)
        self.bot.scheduler.register(CHANGES_EVENT, self._on_changes_timer)
        self.bot.scheduler.register(REPLIES_EVENT, self._on_replies_timer)

    async def cog_unload(self) -> None:
        self.bot.scheduler.unregister(NEWS_EVENT)
        self.bot.scheduler.unregister(CHANGES_EVENT)
        self.bot.scheduler.unregister(REPLIES_EVENT)

    # ------------------------------------------------------------------ checks only Discord can answer

    def _channel(self, guild: discord.Guild, channel: Any, *, image: bool = False) -> discord.TextChannel:
        if channel is None:
            channel_id = self.bot.settings(guild.id).channel("announcements")
            channel = guild.get_channel(channel_id) if channel_id else None
            if channel is None:
                raise InvalidInput(N_("There is no announcement channel configured (or it was deleted); pick one "
                                   "with the `channel` option."))
        if not isinstance(channel, discord.TextChannel) or guild.get_channel(channel.id) is None:
            raise InvalidInput(N_("That channel doesn't exist (any more) or isn't a text or announcement channel; "
                               "pick another with the `channel` option."))
        perms = channel.permissions_for(guild.me)
        missing = [p for p in (*NEEDED, *(("attach_files",) if image else ())) if not getattr(perms, p)]
        if missing:
            raise NotAllowed(N_("I'm missing **{value}** in {channel_mention}; a moderator can grant it to "
                                "my role there, then try again."),
                             value=_perm_names(missing), channel_mention=channel.mention)
        return channel

    def _ping(self, guild: discord.Guild, channel: discord.TextChannel, member: Any,
              role: discord.Role | None) -> int | None:
        """Mentions stay off unless staff choose a role they could mention themselves."""
        if role is None:
            return None
        if role.is_default():
            raise NotAllowed(N_("I don't ping @everyone; choose a role, or leave `ping` empty for no ping."))
        if guild.get_role(role.id) is None:
            raise InvalidInput(N_("That role was deleted; choose another one to ping."))
        if not role.mentionable:
            if not isinstance(member, discord.Member) or not channel.permissions_for(member).mention_everyone:
                raise NotAllowed(N_("You can't mention {role_mention} yourself (it isn't mentionable and you "
                                    "don't have **Mention Everyone** in {channel_mention}), so I won't ping "
                                    "it for you."),
                                 role_mention=role.mention, channel_mention=channel.mention)
            if not channel.permissions_for(guild.me).mention_everyone:
                raise NotAllowed(N_("{role_mention} isn't mentionable and I lack **Mention Everyone** in "
                                    "{channel_mention}, so the ping would not reach anyone."),
                                 role_mention=role.mention, channel_mention=channel.mention)
        return role.id

    async def _image(self, guild_id: int, image: discord.Attachment | None) -> tuple[bytes, str] | None:
        if image is None:
            return None
        check_image(image.filename, image.content_type, image.size,
                    self.bot.guild_config(guild_id).announcements.max_image_mb)
        return await image.read(), image.filename  # kept: attachment URLs expire before a later post

    # ------------------------------------------------------------------ /announce post

    @announce.command(name="post", description="Post news in the announcement channel, now or later (staff)")
    @app_commands.describe(
        channel="Where (default: the announcement channel)", image="An image shown with the text",
        at="When: empty = now, a time like 2026-03-01T18:00 (UTC), or from now like 2h or 1d",
        ping="A role to ping (mentions are off otherwise)",
    )
    @require("staff")
    async def post_cmd(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None,
                       image: discord.Attachment | None = None, at: str | None = None,
                       ping: discord.Role | None = None) -> None:
        guild = interaction.guild
        assert guild is not None
        target = self._channel(guild, channel, image=image is not None)
        ping_id = self._ping(guild, target, interaction.user, ping)
        if image is not None:
            check_image(image.filename, image.content_type, image.size,
                        self.bot.guild_config(guild.id).announcements.max_image_mb)
        when = parse_when(at, self.bot.clock.now(), what="time (option `at`)")
        await self.announcements.check(guild.id, target.id, when)  # before asking for the text
        await interaction.response.send_modal(AnnounceForm(
            {"channel_id": target.id, "image": image, "at": when, "ping": ping_id}, tr=i18n.for_reader(interaction)))

    async def finish(self, interaction: discord.Interaction, pending: dict[str, Any], title: str, body: str) -> None:
        guild = interaction.guild
        assert guild is not None
        if pending.get("edit"):
            await self._finish_edit(interaction, pending, title, body)
            return
        target = self._channel(guild, guild.get_channel(pending["channel_id"]), image=pending["image"] is not None)
        await interaction.response.defer(ephemeral=True, thinking=True)
        image = await self._image(guild.id, pending["image"])
        draft = AnnouncementDraft(body, title, image[0] if image else None, image[1] if image else None, pending["ping"])
        slot = await self.announcements.create(guild.id, target.id, interaction.user.id, draft, at=pending["at"])
        tr = i18n.for_reader(interaction)
        if slot.scheduled:
            text = tr("Announcement #{number} goes out in {channel} {when} ({relative}). `/announce edit` or "
                      "`/announce cancel` until then.", number=slot.announcement_id, channel=target.mention,
                      when=ts(slot.at), relative=ts(slot.at, "R"))
        else:
            text = await self._post_now(slot.announcement_id, tr=tr)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _post_now(self, announcement_id: int, *, edited: bool = False,
                        tr: i18n.Translator | None = None) -> str:
        """Run the post's job (written with its slot, due now) and say how it went (in ``tr``'s language)."""
        tr = tr or translator()
        await self.bot.scheduler.run_due()
        ann = await self.betas.announcement(announcement_id)
        channel = f"<#{ann.channel_id}>"
        if ann.status == "posted" and edited:
            return tr("Announcement #{number} is updated and posted in {channel}.", number=ann.id, channel=channel)
        if ann.status == "posted":
            return tr("Announcement #{number} is posted in {channel}, with a discussion thread.", number=ann.id,
                      channel=channel)
        if ann.status == "scheduled":  # Discord did not answer: its job tries again with back-off
            return tr("Announcement #{number} is saved, but Discord isn't answering right now; it goes out in "
                      "{channel} as soon as Discord does (`/announce list` shows it).", number=ann.id,
                      channel=channel)
        raise Conflict(N_("Announcement #{ann_id} could not be posted in <#{channel_id}>; the staff log says "
                          "why."),
                       ann_id=ann.id, channel_id=ann.channel_id)

    async def post_news(self, guild: discord.Guild, announcement_id: int, *, attempts: int = 1,
                        last_try: bool = True) -> discord.Message | None:
        """Post a news announcement that is due (the ``announce.post`` job). Idempotent: a posted or cancelled
        one is left alone, and a try after a failed one first looks for its message among the channel's recent
        ones. A failure is classified (:func:`bot.core.effect_errors.end_job`): a transient one is raised for
        the scheduler to retry (on the ``last_try`` staff are told it failed), anything else marks the
        announcement failed, with a staff notice."""
        ann = await self.betas.announcement(announcement_id)
        if ann.status != "scheduled" or ann.subject != "news":
            return None
        what = deferred.said(N_("post announcement #{id}"), id=ann.id)
        try:
            channel = self._channel(guild, guild.get_channel(ann.channel_id), image=ann.image is not None)
        except KudosError as exc:
            await self.betas.mark_failed(announcement_id, exc.message)
            raise GiveUp(f"{what}: {exc.message}") from None
        embed = discord.Embed(title=ann.title or None, description=ann.body, colour=discord.Colour.blurple())
        try:
            message = await self._sent_before(channel, embed) if attempts > 1 else None
            if message is None:
                files = []
                if ann.image is not None and ann.image_name:
                    files.append(discord.File(io.BytesIO(ann.image), filename=ann.image_name))
                    embed.set_image(url=f"attachment://{ann.image_name}")
                role = guild.get_role(ann.ping_role_id) if ann.ping_role_id else None
                if ann.ping_role_id and role is None:
                    log.warning("announcement %s: the role to ping was deleted; posting without a ping", ann.id)
                allowed = (discord.AllowedMentions(everyone=False, users=False, replied_user=False, roles=[role])
                           if role is not None else NO_MENTIONS)
                message = await channel.send(content=role.mention if role is not None else None, embed=embed,
                                             files=files, allowed_mentions=allowed)
        except Exception as exc:  # noqa: BLE001 - classified: retried, or the announcement failed
            await end_post(exc, what, mark_failed=lambda reason: self.betas.mark_failed(announcement_id, reason),
                           last_try=last_try,
                           report=lambda: report_missing_permission(self.bot, guild, what, channel, NEEDED))
            raise
        await self._discussion(message, ann.title, announcement_id)
        return message

    async def _sent_before(self, channel: discord.TextChannel, embed: discord.Embed) -> discord.Message | None:
        """A try after a failed one: the post, if an earlier try did send it (Discord keeps no idempotency
        key for messages): the bot's recent message there with the same title and text."""
        async for old in channel.history(limit=HISTORY):
            if old.author.id == self.bot.user.id and old.embeds and old.embeds[0].title == embed.title \
                    and old.embeds[0].description == embed.description:
                return old
        return None

    async def _discussion(self, message: discord.Message, title: str | None, announcement_id: int) -> None:
        """Every announcement opens a thread, so members answer rather than receive a broadcast; its name and
        first message are in the server's language (the title is staff's, as written)."""
        thread_id = None
        tr = i18n.for_guild(self.bot, message.guild)
        name = tr("{name} · discussion", name=title or tr("Announcement"))
        try:
            thread = await message.create_thread(name=name[:100], auto_archive_duration=10080)
            thread_id = thread.id
            await thread.send(tr(THREAD_INTRO), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not open the discussion thread of announcement %s", announcement_id, exc_info=True)
        await self.betas.mark_posted(announcement_id, message_id=message.id, thread_id=thread_id)

    # ------------------------------------------------------------------ list / edit / cancel

    @announce.command(name="list", description="Scheduled and recent announcements (staff)")
    @require("staff")
    async def list_cmd(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        rows = await self.announcements.recent(interaction.guild_id)
        tr = i18n.for_reader(interaction)
        if not rows:
            await interaction.response.send_message(tr("No announcements yet: `/announce post` writes one."),
                                                    ephemeral=True)
            return
        lines = []
        for a in rows:
            what = f"**#{a.id}** {_preview(a.title or a.body)} · <#{a.channel_id}> · "
            if a.status == "scheduled":
                what += tr("goes out {when} ({relative})", when=ts(a.scheduled_for), relative=ts(a.scheduled_for, "R"))
            elif a.status == "posted" and a.posted_at is not None:
                what += tr("posted {date}", date=ts(a.posted_at, "d")) + " · " + (
                    tr.ngettext("{count} member replied", "{count} members replied", a.replies)
                    if a.replies is not None else tr("replies counted later"))
            else:
                what += tr(STATUS_LABELS[a.status]) if a.status in STATUS_LABELS else a.status
            lines.append(what + (" · " + tr("pings {role}", role=f"<@&{a.ping_role_id}>") if a.ping_role_id else "")
                         + (" · " + tr("with image") if a.image_name else ""))
        await interaction.response.send_message("\n".join(lines)[:1900], ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @announce.command(name="edit", description="Change an announcement before it goes out (staff)")
    @app_commands.describe(id="The announcement's number (see /announce list)", at="A new time (2h, 2026-03-01T18:00)",
                           image="A new image", remove_image="Post without the image", ping="A role to ping instead",
                           no_ping="Post without a ping")
    @require("staff")
    async def edit_cmd(self, interaction: discord.Interaction, id: int, at: str | None = None,
                       image: discord.Attachment | None = None, remove_image: bool = False,
                       ping: discord.Role | None = None, no_ping: bool = False) -> None:
        guild = interaction.guild
        assert guild is not None
        ann = await self.announcements.get(guild.id, id)
        if ann.status != "scheduled":
            raise Conflict(N_("Announcement #{id} is {ann_status} already; only one that hasn't gone out yet "
                              "can be edited."),
                           id=id, ann_status=ann.status)
        if image is not None and remove_image:
            raise InvalidInput(N_("Give a new image *or* remove_image, not both."))
        if ping is not None and no_ping:
            raise InvalidInput(N_("Choose a role to ping *or* no_ping, not both."))
        target = self._channel(guild, guild.get_channel(ann.channel_id),
                               image=image is not None or (ann.image_name is not None and not remove_image))
        ping_id = self._ping(guild, target, interaction.user, ping)
        if image is not None:
            check_image(image.filename, image.content_type, image.size,
                        self.bot.guild_config(guild.id).announcements.max_image_mb)
        when = parse_when(at, self.bot.clock.now(), what="time (option `at`)")
        check_time(when, self.bot.clock.now())
        await interaction.response.send_modal(AnnounceForm(
            {"edit": id, "image": image, "remove_image": remove_image, "at": when, "ping": ping_id,
             "no_ping": no_ping}, title=ann.title, body=ann.body, tr=i18n.for_reader(interaction)))

    async def _finish_edit(self, interaction: discord.Interaction, pending: dict[str, Any], title: str,
                           body: str) -> None:
        guild = interaction.guild
        assert guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        image = await self._image(guild.id, pending["image"])
        ann = await self.announcements.edit(guild.id, pending["edit"], interaction.user.id, title=title, body=body,
                                   at=pending["at"], image=image, remove_image=pending["remove_image"],
                                   ping_role_id=pending["ping"], no_ping=pending["no_ping"])
        when = ann.scheduled_for
        tr = i18n.for_reader(interaction)
        if when <= self.bot.clock.now():  # moved to "now": its job is due
            text = await self._post_now(ann.id, edited=True, tr=tr)
        else:
            text = tr("Announcement #{number} is updated; it goes out in {channel} {when} ({relative}).",
                      number=ann.id, channel=f"<#{ann.channel_id}>", when=ts(when), relative=ts(when, "R"))
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @announce.command(name="cancel", description="Cancel an announcement before it goes out (staff)")
    @app_commands.describe(id="The announcement's number (see /announce list)")
    @require("staff")
    async def cancel_cmd(self, interaction: discord.Interaction, id: int) -> None:
        assert interaction.guild_id is not None
        ann = await self.announcements.cancel(interaction.guild_id, id, interaction.user.id)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(
            tr("Announcement #{number} is cancelled; its slot in {channel} is free again.", number=ann.id,
               channel=f"<#{ann.channel_id}>"), ephemeral=True, allowed_mentions=NO_MENTIONS)

    # ------------------------------------------------------------------ "what we changed because of you"

    async def _beta_names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        return [app_commands.Choice(name=n, value=n) for n in await self.betas.names(interaction.guild_id, current)]

    @announce.command(name="changes", description='A closed beta\'s "what we changed because of you" post (staff)')
    @app_commands.describe(beta="The closed beta", channel="Where (default: the beta's announcement channel)")
    @app_commands.autocomplete(beta=_beta_names)
    @require("staff")
    async def changes_cmd(self, interaction: discord.Interaction, beta: str,
                          channel: discord.TextChannel | None = None) -> None:
        guild = interaction.guild
        assert guild is not None
        row = (await self.betas.by_name(guild.id, beta)).row
        post = await self.announcements.changes_post(guild.id, row.id)
        target = self._channel(guild, channel or guild.get_channel(row.announcement_channel_id or 0))
        await self.betas.check_budget(guild.id, target.id)
        tr = i18n.for_reader(interaction)
        head = tr.ngettext("**Preview** (posted in {channel}; it pings exactly this {count} member):",
                           "**Preview** (posted in {channel}; it pings exactly these {count} members):",
                           len(post.user_ids), channel=target.mention)
        await interaction.response.send_message(
            head + "\n\n" + post.text[:1700], view=ChangesPreview(self, post, target.id, tr), ephemeral=True,
            allowed_mentions=NO_MENTIONS)

    async def publish_changes(self, interaction: discord.Interaction, post: ChangesPost, channel_id: int) -> None:
        """*Post it*: the slot and the ``announce.changes`` job that posts are written in one transaction; the
        job runs now, and the reply says how it went (Discord not answering: it goes out once Discord does)."""
        guild = interaction.guild
        assert guild is not None
        target = self._channel(guild, guild.get_channel(channel_id))
        slot = await self.betas.reserve_slot(guild.id, target.id, subject="changes", subject_id=post.beta_id,
                                             actor_id=interaction.user.id, event=CHANGES_EVENT)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.scheduler.run_due()
        ann = await self.betas.announcement(slot.announcement_id)
        tr = i18n.for_reader(interaction)
        if ann.status == "posted":
            text = tr.ngettext("Posted in {channel}, mentioning {count} member.",
                               "Posted in {channel}, mentioning {count} members.", len(post.user_ids),
                               channel=target.mention)
        elif ann.status == "scheduled":  # its job tries again with back-off
            text = tr("Saved, but Discord isn't answering right now; the post goes out in {channel} as soon as "
                      "Discord does, once.", channel=target.mention)
        else:
            raise Conflict(N_("The changes post could not be posted in {target_mention}; the staff log says "
                              "why."),
                           target_mention=target.mention)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def post_changes(self, guild: discord.Guild, announcement_id: int, *, attempts: int = 1,
                           last_try: bool = True) -> discord.Message | None:
        """The ``announce.changes`` job: the "what we changed" post, built when it runs, mentioning exactly its
        members. Idempotent like :meth:`post_news` (a retry first looks for the message it may have sent)."""
        ann = await self.betas.announcement(announcement_id)
        if ann.status != "scheduled" or ann.subject != "changes" or ann.subject_id is None:
            return None
        what = deferred.said(N_("post the changes post (announcement #{id})"), id=ann.id)
        try:
            post = await self.announcements.changes_post(guild.id, ann.subject_id, announcement_id=ann.id)
            channel = self._channel(guild, guild.get_channel(ann.channel_id))
        except KudosError as exc:
            await self.betas.mark_failed(announcement_id, exc.message)
            raise GiveUp(f"{what}: {exc.message}") from None
        embed = discord.Embed(description=post.text, colour=discord.Colour.green())
        try:
            message = await self._sent_before(channel, embed) if attempts > 1 else None
            if message is None:
                mentions = " ".join(f"<@{u}>" for u in post.user_ids)
                message = await channel.send(
                    content=mentions[:2000] or None, embed=embed,
                    allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                                             users=[discord.Object(u) for u in post.user_ids]))
        except Exception as exc:  # noqa: BLE001 - classified: retried, or the post failed
            await end_post(exc, what, mark_failed=lambda reason: self.betas.mark_failed(announcement_id, reason),
                           last_try=last_try,
                           report=lambda: report_missing_permission(self.bot, guild, what, channel, NEEDED))
            raise
        await self._discussion(message, f"{post.beta_name}: what changed", announcement_id)
        return message

    # ------------------------------------------------------------------ timers

    async def _on_post_timer(self, payload: dict[str, Any], timer: Any) -> None:
        """The ``announce.post`` job: the post goes out (see :meth:`post_news`)."""
        ann = await self.betas.announcement(int(payload["announcement_id"]))
        await run_post_job(self.bot, ann.guild_id, ann.id, timer, self.post_news)

    async def _on_changes_timer(self, payload: dict[str, Any], timer: Any) -> None:
        """The ``announce.changes`` job (see :meth:`post_changes`)."""
        ann = await self.betas.announcement(int(payload["announcement_id"]))
        await run_post_job(self.bot, ann.guild_id, ann.id, timer, self.post_changes)

    async def _on_replies_timer(self, payload: dict[str, Any], _timer: Any) -> None:
        """Distinct members (not bots) who wrote in the discussion thread, to the staff log."""
        ann = await self.betas.announcement(int(payload["announcement_id"]))
        if ann.status != "posted" or ann.thread_id is None:
            return
        try:
            thread = self.bot.get_channel(ann.thread_id) or await self.bot.fetch_channel(ann.thread_id)
            authors = {m.author.id async for m in thread.history(limit=None) if not m.author.bot}
        except (discord.NotFound, discord.Forbidden):
            log.warning("the discussion thread of announcement %s is gone or hidden; no reply count", ann.id)
            return
        await self.announcements.record_replies(ann.id, len(authors))


async def setup(bot: Any) -> None:
    cog = Announce(bot)
    await bot.add_cog(cog)
    bot.effects.attach(cog)  # for its form (bot.core.effects)


async def teardown(bot: Any) -> None:
    bot.effects.detach(Announce)
