"""The staging ground on Discord: a new member's first help post is locked and offered to reviewers first.

Jobs (written with their cause in :mod:`bot.privileges.staging`): open (lock the post, say why in it, post the
review card with "Suggest an edit" / "Pass it through"), release (unlock it and say so) and the suggestion DM
with "Accept" / "Ignore". A failure is classified by :mod:`bot.platform.jobs.effects`; a retry first looks for
its own message and never posts twice. Buttons check the reviewer's privilege (or staff role) when pressed.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.core.checks import member_has
from bot.core.effect_errors import outcome
from bot.core.errors import NO_MENTIONS, GuardedCallback, KudosModal
from bot.platform import markdown
from bot.platform.errors import NotAllowed, NotFound
from bot.platform.i18n import N_
from bot.platform.jobs.effects import Action, Drop, GiveUp, Retry
from bot.privileges.staging import MAX_NOTE, MAX_TITLE, OPEN_EVENT, RELEASE_EVENT, SUGGEST_EVENT

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)
HISTORY = 25


def _cog(interaction: discord.Interaction) -> StagingCog:
    return interaction.client.effects.own(StagingCog, "The staging ground")  # type: ignore[attr-defined]


def _end(exc: Exception, what: str) -> None:
    """Raise the scheduler's verdict on a failed Discord call."""
    action, failure = outcome(exc)
    if action is Action.RETRY:
        raise Retry(what, failure) from exc
    if action in (Action.DROP, Action.FALLBACK, Action.UNARCHIVE):
        raise Drop(what, failure) from exc
    raise GiveUp(what, failure) from exc


class ReviewButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"staging:(?P<action>pass|suggest):(?P<thread>\d+)"):
    def __init__(self, action: str, thread_id: int) -> None:
        label = "Pass it through" if action == "pass" else "Suggest an edit"
        style = discord.ButtonStyle.success if action == "pass" else discord.ButtonStyle.primary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"staging:{action}:{thread_id}"))
        self.action, self.thread_id = action, thread_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> ReviewButton:
        return cls(match["action"], int(match["thread"]))

    async def run(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        await cog.ensure_reviewer(interaction)
        if self.action == "suggest":
            await interaction.response.send_modal(SuggestForm(self.thread_id))
            return
        assert interaction.guild_id is not None
        await cog.bot.app.staging.pass_through(interaction.guild_id, self.thread_id, interaction.user.id)
        await interaction.response.send_message("✅ Passed through: the post opens to everyone now.", ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)
        cog.start_jobs()


class SuggestForm(KudosModal):
    def __init__(self, thread_id: int) -> None:
        super().__init__(title="Suggest an edit", custom_id=f"staging:form:{thread_id}")
        self.thread_id = thread_id
        self.new_title = discord.ui.TextInput(label="Better title", max_length=MAX_TITLE)
        self.note = discord.ui.TextInput(label="Note for the asker", style=discord.TextStyle.paragraph,
                                         required=False, max_length=MAX_NOTE)
        self.add_item(self.new_title)
        self.add_item(self.note)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        await cog.ensure_reviewer(interaction)  # checked again on submit
        assert interaction.guild_id is not None
        await cog.bot.app.staging.suggest(interaction.guild_id, self.thread_id, interaction.user.id,
                                          self.new_title.value, self.note.value)
        await interaction.response.send_message("✉️ Sent to the asker: they can accept it or ignore it.",
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)
        cog.start_jobs()


class AnswerButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"staging:(?P<action>accept|ignore):(?P<guild>\d+):(?P<thread>\d+):(?P<reviewer>\d+)"):
    """On the suggestion DM: the asker accepts the edit (the post is renamed and opens) or ignores it."""

    def __init__(self, action: str, guild_id: int, thread_id: int, reviewer_id: int) -> None:
        label = "Accept the edit" if action == "accept" else "Ignore"
        style = discord.ButtonStyle.success if action == "accept" else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, style=style,
                                           custom_id=f"staging:{action}:{guild_id}:{thread_id}:{reviewer_id}"))
        self.action, self.guild_id, self.thread_id, self.reviewer_id = action, guild_id, thread_id, reviewer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> AnswerButton:
        return cls(match["action"], int(match["guild"]), int(match["thread"]), int(match["reviewer"]))

    async def run(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        if self.action == "ignore":
            await interaction.response.send_message("Ignored: your post stays as it is.", allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(thinking=True)
        title = await cog.accept(self.guild_id, self.thread_id, self.reviewer_id, interaction.user.id)
        await interaction.followup.send(f"✅ Your post is now titled “{markdown.inline(title)}” and open to everyone.",
                                        allowed_mentions=NO_MENTIONS)
        cog.start_jobs()


class StagingCog(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ReviewButton, AnswerButton)
        self.bot.add_sync_listener("thread_create", self._on_thread_create)
        self.bot.scheduler.register(OPEN_EVENT, self.open_job)
        self.bot.scheduler.register(RELEASE_EVENT, self.release_job)
        self.bot.scheduler.register(SUGGEST_EVENT, self.suggest_job)
        self.bot.effects.attach(self)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ReviewButton, AnswerButton)
        self.bot.remove_sync_listener("thread_create", self._on_thread_create)
        for event in (OPEN_EVENT, RELEASE_EVENT, SUGGEST_EVENT):
            self.bot.scheduler.unregister(event)
        self.bot.effects.detach(StagingCog)

    def start_jobs(self) -> None:
        self.bot.tasks.spawn(self.bot.scheduler.run_due(), name="staging-jobs")

    async def ensure_reviewer(self, interaction: discord.Interaction) -> None:
        """Staff, or a member holding the review_first_posts privilege now."""
        if member_has(interaction, "staff"):
            return
        if interaction.guild_id is None or not await self.bot.app.privileges.holds(
                interaction.guild_id, interaction.user.id, "review_first_posts"):
            raise NotAllowed(N_("Only staff and members with the Review first posts privilege can review first posts "
                             "(/privileges says how to earn it)."))

    # ------------------------------------------------------------------ a help post opened

    def _on_thread_create(self, thread: discord.Thread) -> None:
        if thread.parent_id is None or thread.parent_id not in self.bot.settings(thread.guild.id).help_forums:
            return
        cfg = self.bot.guild_config(thread.guild.id).privileges
        if not (cfg.enabled and cfg.staging_ground) or thread.owner_id is None:
            return
        self.bot.tasks.spawn(self._opened(thread), name="staging-post")

    async def _opened(self, thread: discord.Thread) -> None:
        owner = thread.guild.get_member(thread.owner_id or 0)
        if owner is None or owner.bot:
            return
        if await self.bot.app.staging.post_opened(thread.guild.id, thread.id, owner.id, owner.joined_at):
            await self.bot.scheduler.run_due()

    # ------------------------------------------------------------------ jobs

    async def _thread(self, guild_id: int, thread_id: int) -> discord.Thread:
        if self.bot.get_guild(guild_id) is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        try:
            thread = await self.bot.fetch_channel(thread_id)
        except discord.HTTPException as exc:
            _end(exc, f"find staged post {thread_id}")
            raise
        if not isinstance(thread, discord.Thread):
            raise Drop(f"staged post {thread_id} is not a thread")
        return thread

    async def _send_once(self, channel: Any, text: str, timer: Any, **kwargs: Any) -> None:
        if getattr(timer, "attempts", 1) > 1 and self.bot.user is not None:
            async for old in channel.history(limit=HISTORY):
                if old.author.id == self.bot.user.id and old.content == text:
                    return
        await channel.send(text, allowed_mentions=NO_MENTIONS, **kwargs)

    async def open_job(self, payload: dict[str, Any], timer: Any) -> None:
        guild_id, thread_id, author = int(payload["guild_id"]), int(payload["thread_id"]), int(payload["author_id"])
        staged = await self.bot.app.staging.get(thread_id)
        if staged is None or staged.state != "review":
            return
        thread = await self._thread(guild_id, thread_id)
        guild = thread.guild
        ref = self.bot.guild_config(guild_id).privileges.staging_channel
        review = guild.get_channel(ref) if isinstance(ref, int) else discord.utils.get(guild.text_channels, name=ref)
        opens = discord.utils.format_dt(staged.release_at, "R")
        try:
            if not thread.locked:
                await thread.edit(locked=True)
            await self._send_once(thread, f"👋 This is <@{author}>'s first post here. Reviewers have a look first; "
                                          f"it opens to everyone {opens} at the latest.", timer)
            if isinstance(review, discord.TextChannel):
                view = discord.ui.View(timeout=None)
                view.add_item(ReviewButton("suggest", thread_id))
                view.add_item(ReviewButton("pass", thread_id))
                text = f"📝 First post by <@{author}>: {thread.jump_url} — **{markdown.inline(thread.name)}**"
                await self._send_once(review, text, timer, view=view)
            else:
                log.warning("staging ground of guild %s: no channel %r for the review cards", guild_id, ref)
        except (Retry, Drop, GiveUp):
            raise
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            _end(exc, f"stage post {thread_id}")

    async def release_job(self, payload: dict[str, Any], timer: Any) -> None:
        thread_id = int(payload["thread_id"])
        staged = await self.bot.app.staging.get(thread_id)
        if staged is None or staged.state != "review":
            return  # already open (another release job ran first)
        thread = await self._thread(int(payload["guild_id"]), thread_id)
        why = (f"<@{int(payload['by'])}> passed it through" if payload.get("by")
               else "the asker accepted a reviewer's edit" if payload.get("edited") else "the review time is up")
        try:
            if thread.locked:
                await thread.edit(locked=False)
            await self._send_once(thread, f"✅ Open to everyone now ({why}).", timer)
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            _end(exc, f"open staged post {thread_id}")
        await self.bot.app.staging.released(thread_id)

    async def suggest_job(self, payload: dict[str, Any], timer: Any) -> None:
        guild_id, thread_id = int(payload["guild_id"]), int(payload["thread_id"])
        author, reviewer = int(payload["author_id"]), int(payload["reviewer_id"])
        found = await self.bot.app.staging.suggestion(thread_id, reviewer)
        if found is None:
            raise Drop(f"the suggestion for post {thread_id} is gone")
        title, note = found
        text = (f"📝 A reviewer suggests a clearer title for your first post <#{thread_id}>:\n"
                f"> {markdown.inline(title)}" + (f"\n{markdown.block(note)}" if note else "")
                + "\nAccept it to rename your post (it then opens to everyone), or ignore it.")[:2000]
        view = discord.ui.View(timeout=None)
        view.add_item(AnswerButton("accept", guild_id, thread_id, reviewer))
        view.add_item(AnswerButton("ignore", guild_id, thread_id, reviewer))
        try:
            channel = await self.bot.create_dm(discord.Object(author))
            await self._send_once(channel, text, timer, view=view)
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            _end(exc, f"DM the asker of post {thread_id} a suggestion")

    async def accept(self, guild_id: int, thread_id: int, reviewer_id: int, asker_id: int) -> str:
        try:
            thread = await self.bot.fetch_channel(thread_id)
        except discord.NotFound:
            raise NotFound(N_("That post is gone.")) from None

        async def rename(title: str) -> None:
            await thread.edit(name=title)  # type: ignore[union-attr]

        return await self.bot.app.staging.accept(guild_id, thread_id, reviewer_id, asker_id, rename)
