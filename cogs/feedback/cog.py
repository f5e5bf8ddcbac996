"""``/feedback``: reports become forum threads whose status staff move forward, and everyone hears about it.

Thin: business rules live in :mod:`bot.feedback`; this turns interactions and gateway events into
service calls and keeps the forum (tags, the item embed) and members' DMs in step with the database.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import i18n
from bot.core.checks import member_has, refusal, require
from bot.core.effect_errors import end_job, report_missing_permission
from bot.core.errors import NO_MENTIONS
from bot.feedback import (
    NOTIFY_EVENT,
    STAFF_STATUSES,
    STATUSES,
    TYPES,
    FeedbackItem,
    StatusChange,
    label,
    validate_draft,
)
from bot.feedback.export import export_csv
from bot.feedback.jobs import DmKey
from bot.platform import deferred, markdown
from bot.platform import i18n as i18n_text
from bot.platform.errors import InvalidInput, NotAllowed, NotFound
from bot.platform.i18n import N_
from bot.platform.jobs.effects import Drop, GiveUp, Retry
from cogs.feedback import render
from cogs.feedback.cards import Cards
from cogs.feedback.curation import CURATION_ITEMS, Curation
from cogs.feedback.forum import ForumWatch
from cogs.feedback.notices import Notices
from cogs.feedback.posting import Posting
from cogs.feedback.review import Review
from cogs.feedback.screenshots import ScreenshotJobs, check_screenshots
from cogs.feedback.similar import SIMILAR_ITEMS, Similar
from cogs.feedback.ui import DYNAMIC_ITEMS, FeedbackForm, PageButton

log = logging.getLogger(__name__)

DIGEST_EVENT = "feedback.digest"
DIGEST_POST_EVENT = "feedback.digest_post"
PAGE_SIZE = 10

TYPE_CHOICES = [app_commands.Choice(name=label(t), value=t) for t in TYPES]
STATUS_CHOICES = [app_commands.Choice(name=label(s), value=s) for s in STAFF_STATUSES]


class Feedback(Cards, ForumWatch, Notices, Posting, Review, Similar, Curation, ScreenshotJobs, commands.Cog):
    feedback = app_commands.Group(name="feedback", description="Feedback threads: report, vote, follow the status",
                                  guild_only=True)

    def __init__(self, bot: Any) -> None:
        self.bot = bot
        self.service = bot.app.feedback
        self._answered: set[int] = set()  # threads whose first staff response is on record (see _staff_reply)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS, *SIMILAR_ITEMS, *CURATION_ITEMS)
        self.bot.scheduler.register(NOTIFY_EVENT, self._on_notify_timer)
        self._register_notices()
        self._register_review()
        self._register_posting()
        self._register_similar()
        self._register_curation()
        self._register_screenshots()
        self.bot.scheduler.register(DIGEST_EVENT, self._on_digest_timer)
        self.bot.scheduler.register(DIGEST_POST_EVENT, self._on_digest_post)
        self.bot.add_sync_listener("message", self._on_message)
        self.bot.add_sync_listener("thread_create", self._on_thread_create)
        purged = await self.service.purge_stale_drafts()
        if purged:
            log.warning("removed %d feedback draft(s) that never got their post", purged)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS, *SIMILAR_ITEMS, *CURATION_ITEMS)
        self.bot.scheduler.unregister(NOTIFY_EVENT)
        self._unregister_notices()
        self._unregister_review()
        self._unregister_posting()
        self._unregister_similar()
        self._unregister_curation()
        self._unregister_screenshots()
        self.bot.scheduler.unregister(DIGEST_EVENT)
        self.bot.scheduler.unregister(DIGEST_POST_EVENT)
        self.bot.remove_sync_listener("message", self._on_message)
        self.bot.remove_sync_listener("thread_create", self._on_thread_create)

    # ------------------------------------------------------------------ helpers

    def require_staff(self, interaction: discord.Interaction) -> None:
        if not member_has(interaction, "staff"):
            raise NotAllowed(refusal(self.bot, interaction.user, "staff", tr=i18n.for_reader(interaction)))

    def _tags(self, guild_id: int):  # type: ignore[no-untyped-def]
        return self.bot.guild_config(guild_id).feedback.tags

    async def _forum(self, guild: discord.Guild, beta_id: int | None) -> discord.ForumChannel:
        """The beta's feedback forum when it has one, else the configured default."""
        forum_id = await self.service.beta_forum(guild.id, beta_id) if beta_id else None
        if forum_id is None:
            forum_id = self.bot.settings(guild.id).channel("feedback_forum")
        channel = guild.get_channel(forum_id) if forum_id else None
        if not isinstance(channel, discord.ForumChannel):
            raise NotFound(N_("The feedback forum is missing or was deleted, so I can't post this. "
                           "A moderator can fix channels.feedback_forum in the config (see /kudos status)."))
        return channel

    async def feedback_forums(self, guild_id: int) -> set[int]:
        forums = await self.service.beta_forums(guild_id)
        default = self.bot.settings(guild_id).channel("feedback_forum")
        return forums | ({default} if default else set())

    def _tag_required(self, forum: discord.ForumChannel, item: FeedbackItem) -> NotAllowed:
        tags = self._tags(item.guild_id)
        names = ", ".join(f"**{n}**" for n in (tags.for_value(item.type), tags.for_value(item.status)) if n)
        log.warning("feedback forum %s requires a tag and has none of %s", forum.id, names or "Kudos' tags")
        return NotAllowed(N_("{forum_mention} requires a tag on every post, and it has none of the tags I "
                             "put on feedback ({value}). A moderator can add those tags to the forum (or "
                             "name existing ones in the feedback tag settings); your report was not posted."),
                          forum_mention=forum.mention, value=names or 'type and status tags')

    def _tag_objects(self, forum: discord.ForumChannel, item: FeedbackItem,
                     keep: list[discord.ForumTag] | None = None) -> list[discord.ForumTag]:
        """The member's other tags, then the type tag and the status tag (at most 5)."""
        tags = self._tags(item.guild_id)
        managed = {tags.for_value(v).casefold() for v in (*TYPES, *STATUSES) if tags.for_value(v)}
        by_name = {t.name.casefold(): t for t in forum.available_tags}
        wanted = [by_name.get((tags.for_value(v) or "").casefold()) for v in (item.type, item.status)]
        for value, tag in zip((item.type, item.status), wanted, strict=True):
            if tag is None and tags.for_value(value):
                log.info("forum %s has no tag %r for feedback %s", forum.id, tags.for_value(value), value)
        kept = [t for t in keep or [] if t.name.casefold() not in managed]
        out = [*[t for t in wanted if t is not None], *kept]
        return list(dict.fromkeys(out))[:5]

    async def _thread(self, guild: discord.Guild, item: FeedbackItem, *, fresh: bool = False) -> discord.Thread:
        """The item's thread; ``fresh`` asks Discord instead of the cache (archived / locked state)."""
        if item.thread_id is None:
            raise NotFound(N_("Feedback #{item_id} has no thread yet."), item_id=item.id)
        thread = None if fresh else guild.get_thread(item.thread_id)
        if thread is None:
            try:
                fetched = await guild.fetch_channel(item.thread_id)
            except discord.NotFound:
                raise NotFound(N_("The thread of feedback #{item_id} was deleted, so I can't update it."),
                               item_id=item.id) from None
            if not isinstance(fetched, discord.Thread):
                raise NotFound(N_("The thread of feedback #{item_id} is gone."), item_id=item.id)
            thread = fetched
        return thread

    def _check_thread_writable(self, thread: discord.Thread) -> None:
        """Refuse before anything is written when the thread can't be updated: a locked thread, or an
        archived member's thread, needs Manage Threads (the bot reopens its own archived posts itself)."""
        me = thread.guild.me
        if thread.permissions_for(me).manage_threads:
            return
        if thread.locked or thread.owner_id != me.id:
            state = "locked" if thread.locked else "archived" if thread.archived else "a member's post"
            raise NotAllowed(N_("The thread {thread_mention} is {state}, and I need the Manage Threads "
                                "permission to update it. A moderator can reopen it or give my role that "
                                "permission."),
                             thread_mention=thread.mention, state=state)

    def _kick_notifier(self) -> None:
        self.bot.tasks.spawn(self.bot.scheduler.run_due(), name="feedback-notify")

    # ------------------------------------------------------------------ intake

    async def open_form(self, interaction: discord.Interaction, *, beta_id: int | None = None,
                        type_: str | None = None) -> None:
        """Answer ``interaction`` with the feedback form (its type picker set to ``type_`` when given)."""
        if type_ is not None and type_ not in TYPES:
            raise InvalidInput(N_("Unknown feedback type {type_}: pick one of {value}."),
                               type_=repr(type_), value=', '.join(TYPES))
        if beta_id is not None and interaction.guild_id is not None:
            await self.service.beta_forum(interaction.guild_id, beta_id)  # the beta must exist
        if interaction.guild_id is not None:  # over today's limit of reports: refused before the form opens
            await self.service.check_can_report(interaction.guild_id, interaction.user.id)
        await interaction.response.send_modal(FeedbackForm(type_, beta_id, i18n.for_reader(interaction)))

    async def submit_form(self, interaction: discord.Interaction, type_: str, beta_id: int | None, title: str,
                          details: str, steps: str | None, version: str | None,
                          attachments: list[discord.Attachment] | None = None) -> None:
        guild = interaction.guild
        if guild is None:
            raise InvalidInput(N_("Feedback is given inside a server."))
        shots = check_screenshots(list(attachments or []), i18n.for_reader(interaction))
        draft = dataclasses.replace(validate_draft(type_, title, details, steps, version), screenshots=shots)
        await self._forum(guild, beta_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if await self.offer_similar(interaction, draft, beta_id):  # "Is it one of these?" (cogs/feedback/similar.py)
            return
        message, _item_id = await self.post_draft(guild, interaction.user.id, draft, beta_id,
                                                  i18n.for_reader(interaction))
        await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def post_draft(self, guild: discord.Guild, user_id: int, draft: Any, beta_id: int | None,
                         tr: Any = None) -> tuple[str, int]:
        """Record and post a report (or hold it for review); returns what the member is told (in ``tr``'s
        language, the reader's) and the item id."""
        tr = tr or i18n_text.translator()
        forum = await self._forum(guild, beta_id)
        if self.service.policy_for(guild.id).review_queue:
            self._review_channel(guild)  # refused before anything is written; the card is a job (review.py)
            item = await self.service.create_draft(guild.id, user_id, draft, beta_id=beta_id, review=True)
            self._kick_notifier()
            return (tr("Thanks! Your feedback #{number} is waiting for a quick review by the team before it goes "
                       "public; you'll be mentioned in its thread.", number=item.id), item.id)
        self._check_postable(forum, SimpleNamespace(guild_id=guild.id, type=draft.type, status="new"))  # refused first
        item = await self.service.create_draft(guild.id, user_id, draft, beta_id=beta_id, review=False)
        posted = await self._await_post(guild.id, item.id)  # the post is a job, written with the draft (posting.py)
        if posted is None:
            return (tr("Sorry, your feedback couldn't be posted in {forum}: the team has been told, and I've sent "
                       "you what you wrote by DM.", forum=forum.mention), item.id)
        if posted.thread_id is not None:
            return tr("Thanks! Your feedback is posted: {thread}", thread=f"<#{posted.thread_id}>"), item.id
        return (tr("Thanks! Your feedback #{number} is recorded; its post in {forum} is on its way and you'll be "
                   "mentioned there.", number=item.id, forum=forum.mention), item.id)

    async def approve(self, interaction: discord.Interaction, item_id: int) -> None:
        guild = interaction.guild
        assert guild is not None
        item = await self.service.get(guild.id, item_id)
        forum = await self._forum(guild, item.beta_id)
        await interaction.response.defer()
        self._check_postable(forum, dataclasses.replace(item, status="new"))  # refused before anything is written
        await self.service.claim_review(guild.id, item_id, interaction.user.id)  # writes the post's job
        done = await self._await_post(guild.id, item_id)
        who = interaction.user.display_name  # an embed footer shows no markdown: the name goes as it is
        tr = i18n.for_guild(self.bot, guild)  # the review card is a staff channel's post: the server's language
        if done is None:  # dropped or refused for good: the draft went, its reporter was told by DM
            await interaction.edit_original_response(
                embed=render.review_embed(item, tr("Approved by {staff}, but its post could not be made in {forum} "
                                                   "(see the staff log); the reporter was told", staff=who,
                                                   forum=forum.mention), tr=tr),
                view=None)
            return
        outcome = (tr("Approved by {staff}: {link}", staff=who,
                      link=f"https://discord.com/channels/{guild.id}/{done.thread_id}")
                   if done.thread_id is not None else
                   tr("Approved by {staff}: its post in {forum} is on its way", staff=who, forum=forum.mention))
        await interaction.edit_original_response(embed=render.review_embed(done, outcome, tr=tr), view=None)

    async def reject(self, interaction: discord.Interaction, item_id: int, reason: str | None) -> None:
        guild = interaction.guild
        assert guild is not None
        self.require_staff(interaction)
        item = await self.service.reject(guild.id, item_id, interaction.user.id, reason)
        # the card shows the outcome through a job written with the rejection (cogs/feedback/review.py)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(tr("Feedback #{number} rejected; the reporter will be told.",
                                                   number=item.id), ephemeral=True, allowed_mentions=NO_MENTIONS)
        self._kick_notifier()

    # ------------------------------------------------------------------ votes and followers

    async def vote(self, interaction: discord.Interaction, item_id: int) -> None:
        assert interaction.guild_id is not None
        result = await self.service.vote(interaction.guild_id, item_id, interaction.user.id)
        await interaction.response.send_message(result.message, ephemeral=True, allowed_mentions=NO_MENTIONS)
        if result.status == "counted":  # the embed's vote count: a job written with the vote (feedback.embed)
            self._kick_notifier()

    async def follow(self, interaction: discord.Interaction, item_id: int) -> None:
        assert interaction.guild_id is not None
        _following, message = await self.service.toggle_follow(interaction.guild_id, item_id, interaction.user.id)
        await interaction.response.send_message(message, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # ------------------------------------------------------------------ commands

    @feedback.command(name="new", description="Report a bug, suggest an idea, share praise or ask a question")
    @app_commands.describe(type="What kind of feedback", beta="The beta this is about (optional)")
    @app_commands.choices(type=TYPE_CHOICES)
    async def new(self, interaction: discord.Interaction, type: str | None = None, beta: str | None = None) -> None:
        assert interaction.guild_id is not None
        beta_id = await self.service.beta_by_name(interaction.guild_id, beta) if beta else None
        await self.open_form(interaction, beta_id=beta_id, type_=type)

    @feedback.command(name="status", description="Move a feedback item forward and tell everyone who cares")
    @app_commands.describe(status="The new status", note="A note for the reporter and voters (a reason when declining)",
                           item="The feedback number (default: the thread you are in)",
                           version="The version it shipped in", of="The original, when this is a duplicate")
    @app_commands.choices(status=STATUS_CHOICES)
    @require("staff")
    async def status(self, interaction: discord.Interaction, status: str, note: str | None = None,
                     item: int | None = None, version: str | None = None, of: int | None = None) -> None:
        guild = interaction.guild
        assert guild is not None
        if item is None:
            found = await self.service.by_thread(interaction.channel_id or 0)
            if found is None or found.guild_id != guild.id:
                raise InvalidInput(N_("Run this inside a feedback thread, or give the item number."))
            item = found.id

        async def defer() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)

        change, problems = await self.set_status(guild, item, status, actor_id=interaction.user.id, note=note,
                                                 version=version, of=of, before_write=defer)
        tr = i18n.for_reader(interaction)
        report = self.status_report(change, problems, told=self.who_is_told(guild, change, tr), tr=tr)
        await interaction.followup.send(report, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # Curation by earned privileges (cogs/feedback/curation.py): checked when used, not by Discord's permissions.
    retype = feedback.command(name="retype", description="Change a report's type (bug, idea, …) and its tag")(
        Curation.retype_command)
    propose_merge = feedback.command(name="propose-merge",
                                     description="Propose that a report duplicates another; staff confirm it")(
        Curation.propose_merge_command)

    @feedback.command(name="public", description="Show a report on the public pages, or keep it off them")
    @app_commands.describe(state="on: shown; off: kept private; default: as its type ([public] public_types)",
                           item="The feedback number (default: the thread you are in)")
    async def public(self, interaction: discord.Interaction, state: Literal["on", "off", "default"],
                     item: int | None = None) -> None:
        guild = interaction.guild
        assert guild is not None
        if item is None:
            found = await self.service.by_thread(interaction.channel_id or 0)
            if found is None or found.guild_id != guild.id:
                raise InvalidInput(N_("Run this inside a feedback thread, or give the item number."))
            item = found.id
        value = {"on": True, "off": False, "default": None}[state]
        staff = member_has(interaction, "staff")  # checked now, when the change happens
        await self.service.set_public(guild.id, item, value, actor_id=interaction.user.id, staff=staff)
        tr = i18n.for_reader(interaction)
        text = {True: tr("#{number} is shown on the public pages.", number=item),
                False: tr("#{number} is kept off the public pages.", number=item),
                None: tr("#{number} follows its type's default for the public pages.", number=item)}[value]
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def set_status(self, guild: discord.Guild, item_id: int, status: str, *, actor_id: int,
                         note: str | None = None, version: str | None = None, of: int | None = None,
                         before_write: Callable[[], Awaitable[None]] | None = None,
                         ) -> tuple[StatusChange, list[str]]:
        """A status change as ``/feedback status`` makes it, shared with the web dashboard: check that the
        thread(s) can be updated, commit through the service (the members' DMs, the thread's status line and,
        for a duplicate, the original's embed and merge note are durable jobs in that transaction, see
        :mod:`cogs.feedback.notices`), and start them. ``before_write`` runs once the checks passed (the slash
        command defers there). No problems are returned any more (the list stays for the callers): every
        effect is queued, and retried until delivered."""
        current = await self.service.get(guild.id, item_id)
        thread = await self._thread(guild, current, fresh=True)
        self._check_thread_writable(thread)
        if status == "duplicate" and of is not None:
            original = await self.service.get(guild.id, of)
            if original.thread_id:
                self._check_thread_writable(await self._thread(guild, original, fresh=True))
        if before_write is not None:
            await before_write()
        change = await self.service.change_status(guild.id, item_id, status, actor_id=actor_id, note=note,
                                                  version=version, duplicate_of=of)
        self._kick_notifier()
        return change, []

    @staticmethod
    def who_is_told(guild: discord.Guild, change: StatusChange, tr: i18n_text.Translator | None = None) -> str:
        """"N members will be told", naming the recipients no longer in the server (they are not told); the
        slash command and the dashboard both say this (``tr``: the reader's language, English by default)."""
        tr = tr or i18n_text.translator()
        left = sum(1 for u in change.recipients if guild.get_member(u) is None)
        told = len(change.recipients) - left
        text = tr.ngettext("{count} member will be told", "{count} members will be told", told)
        if left:
            text += " " + tr.ngettext("({count} who left the server won't be)",
                                      "({count} who left the server won't be)", left)
        return text

    @staticmethod
    def status_report(change: StatusChange, problems: list[str], *, told: str,
                      tr: i18n_text.Translator | None = None) -> str:
        """What the staff member is told; ``told``: :meth:`who_is_told`; ``tr``: the reader's language."""
        tr = tr or i18n_text.translator()
        text = tr("Feedback #{number} is now {status}.", number=change.item.id,
                  status=render.status_text(change.item, tr))
        if change.target is not None:
            text += " " + tr.ngettext("Merged into {target} ({count} vote moved).",
                                      "Merged into {target} ({count} votes moved).", change.moved_votes,
                                      target=render.ref(change.target))
        text += " " + tr("{told}; the thread's status line is on its way.", told=told)
        if problems:
            text += "\n⚠️ " + tr("Saved, but: {problems}", problems="; ".join(problems))
        return text

    @feedback.command(name="link", description="Link a feedback item to a GitHub issue: its status follows the issue")
    @app_commands.describe(item="The feedback number", issue="The issue, as owner/repo#123")
    @require("staff")
    async def link(self, interaction: discord.Interaction, item: int, issue: app_commands.Range[str, 1, 160]) -> None:
        assert interaction.guild_id is not None
        made = await self.bot.app.github.link(interaction.guild_id, item, issue, actor_id=interaction.user.id)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(
            tr(
                "Feedback #{number} is linked to {issue}: when the issue is reopened, labelled, or closed on "
                "GitHub, the item's status follows and everyone who cares is told.",
                number=made.feedback_id, issue=discord.utils.escape_markdown(made.ref)),
            ephemeral=True, allowed_mentions=NO_MENTIONS)
        await self.service.refresh_card(interaction.guild_id, item)  # the card shows the link: its edit job
        self._kick_notifier()

    @feedback.command(name="open-issue", description="Open a GitHub issue from a feedback item and link it")
    @app_commands.describe(item="The feedback number", repo="The repository, as owner/repo")
    @require("staff")
    async def open_issue(self, interaction: discord.Interaction, item: int,
                         repo: app_commands.Range[str, 1, 140]) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        made = await self.bot.app.github.open_issue(interaction.guild_id, item, repo, actor_id=interaction.user.id)
        await self.service.refresh_card(interaction.guild_id, item)  # the card shows the link: its edit job
        self._kick_notifier()
        tr = i18n.for_reader(interaction)
        await interaction.followup.send(
            tr("Opened {issue} from feedback #{number} and linked them.",
               issue=discord.utils.escape_markdown(made.ref), number=made.feedback_id),
            ephemeral=True, allowed_mentions=NO_MENTIONS)

    @feedback.command(name="top", description="The most-wanted open feedback")
    @app_commands.describe(beta="Only this beta", type="Only this type")
    @app_commands.choices(type=TYPE_CHOICES)
    async def top(self, interaction: discord.Interaction, beta: str | None = None, type: str | None = None) -> None:
        assert interaction.guild_id is not None
        beta_id = await self.service.beta_by_name(interaction.guild_id, beta) if beta else None
        items = await self.service.top(interaction.guild_id, beta_id=beta_id, type_=type)
        tr = i18n.for_reader(interaction)
        title = tr("Most-wanted feedback") + (f" · {tr(label(type))}" if type else "") + (f" · {markdown.inline(beta)}" if beta else "")
        await interaction.response.send_message(embed=render.board_embed(items, title, tr), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @feedback.command(name="list", description="Browse feedback by status, type or beta (staff)")
    @app_commands.choices(type=TYPE_CHOICES,
                          status=[app_commands.Choice(name=label(s), value=s) for s in STATUSES])
    @require("staff")
    async def list_(self, interaction: discord.Interaction, status: str | None = None, type: str | None = None,
                    beta: str | None = None) -> None:
        assert interaction.guild_id is not None
        beta_id = await self.service.beta_by_name(interaction.guild_id, beta) if beta else None
        await self.show_page(interaction, offset=0, status=status, type_=type, beta_id=beta_id, edit=False)

    async def show_page(self, interaction: discord.Interaction, *, offset: int, status: str | None,
                        type_: str | None, beta_id: int | None, edit: bool) -> None:
        assert interaction.guild_id is not None
        page = await self.service.page(interaction.guild_id, status=status, type_=type_, beta_id=beta_id,
                                       offset=offset, limit=PAGE_SIZE)
        tr = i18n.for_reader(interaction)
        filters = ", ".join(f for f in (tr(label(status)) if status else "", tr(label(type_)) if type_ else "",
                                        f"beta #{beta_id}" if beta_id else "") if f)
        embed = render.list_embed(page.items, page.total, page.offset, page.limit, filters, tr)
        view = discord.ui.View(timeout=None)
        args = (status or "", type_ or "", beta_id or 0)
        view.add_item(PageButton(max(page.offset - PAGE_SIZE, 0), *args, "p", disabled=page.offset == 0))
        view.add_item(PageButton(page.offset + PAGE_SIZE, *args, "n",
                                 disabled=page.offset + PAGE_SIZE >= page.total))
        if edit:
            await interaction.response.edit_message(embed=embed, view=view)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)

    @feedback.command(name="export", description="All feedback of this server as a CSV file (staff)")
    @require("staff")
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        items = await self.service.export(interaction.guild_id)
        data = export_csv(items)
        await interaction.followup.send(
            f"{len(items)} feedback item(s).", file=discord.File(io.BytesIO(data), filename="feedback.csv"),
            ephemeral=True, allowed_mentions=NO_MENTIONS)

    @status.autocomplete("of")
    async def _of_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        """Likely duplicates of the item (the thread's, or ``item``), best first, with their scores (bot.search);
        typing a number narrows them down. Merging stays the staff member's decision."""
        if interaction.guild_id is None:
            return []
        item_id = getattr(interaction.namespace, "item", None)
        found = (await self.service.get(interaction.guild_id, int(item_id)) if item_id
                 else await self.service.by_thread(interaction.channel_id or 0))
        if found is None or found.guild_id != interaction.guild_id:
            return []
        matches = await self.bot.app.search.duplicates(found.guild_id, found.id, found.title, found.details,
                                                       limit=10)
        typed = current.strip().lstrip("#")
        return [app_commands.Choice(name=render.duplicate_choice(m), value=m.ref_id) for m in matches
                if not typed or str(m.ref_id).startswith(typed)][:25]

    @new.autocomplete("beta")
    @top.autocomplete("beta")
    @list_.autocomplete("beta")
    async def _beta_autocomplete(self, interaction: discord.Interaction,
                                 current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        names = await self.service.beta_names(interaction.guild_id, current)
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names]

    # ------------------------------------------------------------------ timers

    async def _on_notify_timer(self, payload: dict[str, Any], timer: Any) -> None:
        """A one-timer-per-change notice written before the upgrade: fanned out into one DM job per member
        (keyed by the negated timer id as the change id, so running this twice writes nothing new)."""
        notice = {k: v for k, v in payload.items() if k != "recipients"}
        for user_id in dict.fromkeys(int(u) for u in payload.get("recipients") or []):
            key = DmKey(-int(timer.id), user_id)
            await self.bot.scheduler.schedule(key.kind, {**notice, "change_id": key.change_id, "user_id": user_id},
                                              dedupe_key=key.dedupe())

    async def _on_digest_timer(self, payload: dict[str, Any], timer: Any) -> None:
        """The weekly staff digest (a ``[[scheduler.cron]]`` job with event ``feedback.digest``): one post job
        per guild with a staff log (``feedback.digest_post:<guild>:<occurrence>``, so a second run of this writes
        nothing new), each retried and classified on its own: one guild's outage never reposts another's."""
        due = getattr(timer, "due_at", None) or self.bot.clock.now()
        for guild in self.bot.guilds:
            if not self.bot.settings(guild.id).channel("staff_log"):
                continue
            await self.bot.scheduler.schedule(
                DIGEST_POST_EVENT, {"guild_id": guild.id, "days": int(payload.get("days", 7)),
                                    "since": (due - timedelta(days=int(payload.get("days", 7)))).isoformat()},
                dedupe_key=f"{DIGEST_POST_EVENT}:{guild.id}:{due.date().isoformat()}")

    async def _on_digest_post(self, payload: dict[str, Any], _timer: Any) -> None:
        """One guild's digest to its staff log; a failure ends through :func:`bot.core.effect_errors.end_job`
        (retried when transient, dropped with an audit line when the channel is gone, 50013 named)."""
        guild_id = int(payload["guild_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:  # jobs due at start run before the gateway has sent the guilds
            raise Retry(f"guild {guild_id} is not available (yet)")
        channel = guild.get_channel(self.bot.settings(guild.id).channel("staff_log") or 0)
        if not isinstance(channel, discord.TextChannel):
            raise Drop(f"feedback digest for guild {guild_id}: no staff_log channel")
        sections = await self.service.digest(guild.id, since=datetime.fromisoformat(str(payload["since"])))
        tr = i18n.for_guild(self.bot, guild)  # the staff log speaks the server's language
        embed = discord.Embed(title=tr("Feedback this week"), colour=discord.Colour.blurple())
        names = {"new": tr("New reports"), "unanswered": tr("Oldest without a staff answer"),
                 "top": tr("Top votes")}
        for key, name in names.items():
            rows = sections[key]
            value = "\n".join(f"{render.ref(i)} · {tr(label(i.status))} · "
                              + tr.ngettext("{count} vote", "{count} votes", i.vote_count) for i in rows[:10])
            embed.add_field(name=f"{name} ({len(rows)})", value=(value or "—")[:1024], inline=False)
        what = deferred.said(N_("post the weekly feedback digest to the staff log"))
        try:
            await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            await end_job(exc, what, report=lambda: report_missing_permission(
                self.bot, guild, what, channel, ("view_channel", "send_messages", "embed_links")))
            raise GiveUp(what) from exc
