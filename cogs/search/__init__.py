"""Help forums: "Maybe already answered:" in a new help post, and its "This solved it" buttons (rules:
:mod:`bot.search.service`).

A new post in a help forum is indexed with its starter message; when solved posts like it exist, the
suggestion is a durable job written in that transaction (``search.help_suggest:<thread>``): retried through
an outage, posted once (a rerun first looks for its own message), dropped with an audit line when the post is
gone or closed. "This solved it" (``search:solved:<post>:<original>``), pressed by the asker: the post is
tagged Solved inside the transaction that records it and credits the original answerer (``curation``,
"your answer helped again", capped per day, never for the asker's own answer).
"""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.core.effect_errors import end_job, report_missing_permission
from bot.core.effect_errors import outcome as effect_outcome
from bot.core.errors import NO_MENTIONS, GuardedCallback
from bot.platform import deferred, markdown
from bot.platform.errors import Conflict, InvalidInput, NotAllowed
from bot.platform.i18n import N_
from bot.platform.jobs.effects import Action, Drop, GiveUp, Retry
from bot.search.service import HELP_SUGGEST_EVENT

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)

HISTORY = 25
HEADER = "**Maybe already answered:**"


def _cog(interaction: discord.Interaction) -> Search:
    return interaction.client.effects.own(Search, "Search")  # type: ignore[attr-defined]


def suggestion_text(guild_id: int, matches: list[dict[str, Any]]) -> str:
    lines = [HEADER]
    for n, m in enumerate(matches, start=1):
        jump = f"https://discord.com/channels/{guild_id}/{int(m['thread_id'])}"
        answer = markdown.inline(m.get("answer") or "")
        lines.append(f"{n}. [{markdown.inline(m['title'])}]({jump})" + (f" — {answer}" if answer else ""))
    lines.append("If one of these answers your question, press its button: your post is marked solved.")
    return "\n".join(lines)


def solved_label(n: int, total: int) -> str:
    return "This solved it" if total == 1 else f"#{n} solved it"


class SolvedItButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                     template=r"search:solved:(?P<thread>\d+):(?P<original>\d+):(?P<n>\d+):(?P<total>\d+)"):
    def __init__(self, thread_id: int, original_id: int, n: int, total: int) -> None:
        super().__init__(discord.ui.Button(label=solved_label(n, total), style=discord.ButtonStyle.success,
                                           custom_id=f"search:solved:{thread_id}:{original_id}:{n}:{total}"))
        self.thread_id, self.original_id = thread_id, original_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> SolvedItButton:
        return cls(int(match["thread"]), int(match["original"]), int(match["n"]), int(match["total"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).solved_it(interaction, self.thread_id, self.original_id)


def suggestion_view(thread_id: int, matches: list[dict[str, Any]]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for n, m in enumerate(matches, start=1):
        view.add_item(SolvedItButton(thread_id, int(m["thread_id"]), n, len(matches)))
    return view


def _solved_tag(forum: Any, name: str) -> discord.ForumTag | None:
    tags = getattr(forum, "available_tags", None) or []
    return next((t for t in tags if t.name.casefold() == name.casefold()), None)


class Search(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot
        self.service = bot.app.search

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SolvedItButton)
        self.bot.scheduler.register(HELP_SUGGEST_EVENT, self.help_suggest)
        self.bot.add_sync_listener("thread_create", self._on_thread_create)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SolvedItButton)
        self.bot.scheduler.unregister(HELP_SUGGEST_EVENT)
        self.bot.remove_sync_listener("thread_create", self._on_thread_create)

    def _on_thread_create(self, thread: discord.Thread) -> None:
        """Hot path (inline for every new thread): only posts in a help forum go further."""
        if thread.parent_id is None or thread.parent_id not in self.bot.settings(thread.guild.id).help_forums:
            return
        self.bot.tasks.spawn(self.help_post_opened(thread), name="search-help-post")

    async def help_post_opened(self, thread: discord.Thread) -> None:
        starter = thread.starter_message
        if starter is None:
            try:
                starter = await thread.fetch_message(thread.id)  # a forum post's starter has the thread's id
            except discord.HTTPException:
                log.info("help post %s: its starter message could not be read; indexed by its title", thread.id)
        asker = thread.owner_id or (starter.author.id if starter is not None else 0)
        matches = await self.service.help_post_opened(thread.guild.id, thread.id, asker_id=asker, title=thread.name,
                                                      body=starter.content if starter is not None else "")
        if matches:
            self.bot.tasks.spawn(self.bot.scheduler.run_due(), name="search-jobs")

    async def help_suggest(self, payload: dict[str, Any], timer: Any) -> None:
        """Post "Maybe already answered:" in the new post (see the module docstring)."""
        guild_id, thread_id = int(payload["guild_id"]), int(payload["thread_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:  # jobs due at start run before the gateway has sent the guilds
            raise Retry(f"guild {guild_id} is not available (yet)")
        matches = list(payload["matches"])
        text = suggestion_text(guild_id, matches)
        what = deferred.said(N_("suggest solved posts in help post {id}"), id=thread_id)
        thread: Any = guild.get_thread(thread_id)
        try:
            if thread is None or getattr(timer, "attempts", 1) > 1:
                thread = await self.bot.fetch_channel(thread_id)
            if isinstance(thread, discord.Thread) and thread.archived:
                raise Drop(f"{what}: the post was closed meanwhile")
            if getattr(timer, "attempts", 1) > 1 and self.bot.user is not None:
                async for old in thread.history(limit=HISTORY):
                    if old.author.id == self.bot.user.id and old.content == text:
                        return
            await thread.send(text, view=suggestion_view(thread_id, matches), allowed_mentions=NO_MENTIONS,
                              suppress_embeds=True)
        except Drop:
            raise
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            report = None if thread is None else partial(report_missing_permission, self.bot, guild, what, thread,
                                                         ("view_channel", "send_messages_in_threads"))
            action = await end_job(exc, what, report=report)  # retries, drops, reports and gives up as every job
            # An archived post is no longer worth a suggestion (dropped); any other refusal gives up.
            raise (Drop if action is Action.UNARCHIVE else GiveUp)(what, effect_outcome(exc)[1]) from exc

    async def solved_it(self, interaction: discord.Interaction, thread_id: int, original_id: int) -> None:
        guild = interaction.guild
        if guild is None:
            raise InvalidInput(N_("This button works inside a server."))
        fetched = await self.bot.fetch_channel(thread_id)
        if not isinstance(fetched, discord.Thread):
            raise InvalidInput(N_("That post is gone."))
        thread = fetched
        if interaction.user.id != thread.owner_id:
            raise NotAllowed(N_("Only the member who asked can say a suggestion solved it."))
        if thread.locked or thread.archived:
            raise Conflict(N_("This post is closed. Reopen it (send a message in it), then press the button again."))
        tag_name = self.bot.guild_config(guild.id).solutions.solved_tag
        tag = _solved_tag(thread.parent or guild.get_channel(thread.parent_id or 0), tag_name)
        if tag is None:
            raise InvalidInput(N_("The forum <#{parent_id}> has no “{tag_name}” tag. A moderator can add it, "
                                  "or set solutions.solved_tag to an existing tag."),
                               parent_id=thread.parent_id, tag_name=tag_name)
        before = list(thread.applied_tags)
        await interaction.response.defer(thinking=True)

        async def apply() -> None:
            if any(t.id == tag.id for t in before):
                return
            try:
                await thread.edit(applied_tags=[*before, tag][-5:])
            except discord.Forbidden as exc:
                raise NotAllowed(N_("I couldn't tag this post “{tag_name}”: I need the Manage Threads "
                                    "permission in <#{parent_id}>. Nothing was recorded."),
                                 tag_name=tag.name, parent_id=thread.parent_id) from exc

        helped = await self.service.solved_it(guild.id, thread_id, original_id, actor_id=interaction.user.id,
                                              title=thread.name, apply=apply)
        jump = f"https://discord.com/channels/{guild.id}/{original_id}"
        text = f"✅ <@{interaction.user.id}> says {jump} solved this post; it is tagged “{tag.name}”."
        if helped.credit is not None:
            text += f" Your answer helped again, <@{helped.answerer_id}> (+{helped.credit.points})."
        elif helped.message:
            text += f" {helped.message}"
        await interaction.followup.send(text, allowed_mentions=NO_MENTIONS, suppress_embeds=True)
        self.bot.tasks.spawn(self.bot.scheduler.run_due(), name="search-jobs")


async def setup(bot: KudosBot) -> None:
    cog = Search(bot)
    await bot.add_cog(cog)
    bot.effects.attach(cog)


async def teardown(bot: KudosBot) -> None:
    bot.effects.detach(Search)
