"""Help forums: "Mark as solution" credits the answerer, tags the post Solved and closes it later.

The note in the post ("✅ … marked … as the solution") is a durable job written with the credit
(:data:`bot.contributions.jobs.SOLUTION_NOTE_EVENT`): retried through an outage, posted once (a retry first
looks for it among the thread's recent messages), dropped with an audit line when the post is gone or was
closed meanwhile (it is not reopened for a note), and a missing permission is reported to the staff log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.contributions import CLOSE_SOLVED
from bot.contributions.jobs import SOLUTION_NOTE_EVENT
from bot.core.checks import holds, member_has
from bot.core.effect_errors import end_job, report_missing_permission
from bot.core.effect_errors import outcome as effect_outcome
from bot.core.errors import NO_MENTIONS
from bot.platform import deferred
from bot.platform.errors import Conflict, InvalidInput, NotAllowed
from bot.platform.i18n import N_
from bot.platform.jobs.effects import Action, Drop, GiveUp, Retry
from cogs.contributions._common import (
    GUILD_ONLY,
    fresh_channel,
    fresh_message,
    guild_of,
    member_or_left,
    outcome_text,
    start_jobs,
)

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)

HISTORY = 25


def _solved_tag(forum: Any, name: str) -> discord.ForumTag | None:
    tags = getattr(forum, "available_tags", None) or []
    return next((t for t in tags if t.name == name), None) or next(
        (t for t in tags if t.name.casefold() == name.casefold()), None)


class Answers(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Mark as solution", callback=self.mark_solution, allowed_contexts=GUILD_ONLY)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        self.bot.scheduler.register(CLOSE_SOLVED, self.close_solved)
        self.bot.scheduler.register(SOLUTION_NOTE_EVENT, self.solution_note)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        self.bot.scheduler.unregister(CLOSE_SOLVED)
        self.bot.scheduler.unregister(SOLUTION_NOTE_EVENT)

    async def mark_solution(self, interaction: discord.Interaction, message: discord.Message) -> None:
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        settings = self.bot.settings(guild.id)
        cfg = self.bot.guild_config(guild.id).solutions
        thread = await fresh_channel(self.bot, message.channel.id)
        if not isinstance(thread, discord.Thread) or thread.parent_id not in settings.help_forums:
            forums = ", ".join(f"<#{i}>" for i in sorted(settings.help_forums)) or "a help forum"
            raise InvalidInput(N_("“Mark as solution” only works on replies inside a help forum post "
                                  "({forums})."),
                               forums=forums)
        if thread.locked:
            raise Conflict(N_("This post is locked, so its solution can't change. A moderator can unlock it first."))
        if thread.archived:
            raise Conflict(N_("This post is closed. Reopen it (send a message in it), then mark the solution again."))
        if (interaction.user.id != thread.owner_id and not member_has(interaction, "helper")
                and not await self.bot.app.privileges.holds(guild.id, interaction.user.id, "mark_solution")):
            raise NotAllowed(N_("Only the person who asked, helpers, staff and members with the Mark solutions "
                             "privilege can mark the solution of a post (/privileges says how to earn it)."))
        reply = await fresh_message(thread, message.id)
        if reply.author.bot:
            raise InvalidInput(N_("Replies from bots can't be marked as the solution; pick a member's reply."))
        answerer = await member_or_left(guild, reply.author, "The author of that reply")
        forum = thread.parent or guild.get_channel(thread.parent_id)
        tag = _solved_tag(forum, cfg.solved_tag)
        if tag is None:
            raise InvalidInput(N_("The forum <#{parent_id}> has no “{solved_tag}” tag. A moderator can add "
                                  "it, or set solutions.solved_tag to an existing tag."),
                               parent_id=thread.parent_id, solved_tag=cfg.solved_tag)
        before = list(thread.applied_tags)

        async def apply() -> None:
            if any(t.id == tag.id for t in before):
                return
            try:
                await thread.edit(applied_tags=[*before, tag][-5:])
            except discord.Forbidden as exc:
                raise NotAllowed(
                    N_("I couldn't tag this post “{tag_name}”: I need the Manage Threads permission in "
                       "<#{parent_id}>. Nothing was recorded; ask a moderator to fix my permissions, then "
                       "try again."),
                    tag_name=tag.name, parent_id=thread.parent_id) from exc
            except discord.HTTPException as exc:
                raise Conflict(N_("Discord didn't let me tag this post ({exc_status}). Nothing was recorded; "
                                  "try again in a moment."),
                               exc_status=exc.status) from exc

        async def undo() -> None:
            try:
                await thread.edit(applied_tags=before)
            except discord.HTTPException:
                log.exception("could not restore the tags of thread %s after a failed commit", thread.id)

        outcome = await self.bot.app.contributions.accept_solution(
            guild_id=guild.id, forum_id=thread.parent_id, thread_id=thread.id, message_id=reply.id,
            answerer_id=answerer.id, answerer_joined_at=answerer.joined_at, post_author_id=thread.owner_id,
            actor_id=interaction.user.id, title=thread.name, multiple=cfg.multiple,
            close_after_hours=cfg.close_after_hours, apply=apply, undo=undo, answer_text=reply.content or "",
        )
        if (outcome.credit is not None and outcome.credit.status in ("credited", "pending", "capped")
                and thread.owner_id is not None and answerer.id != thread.owner_id
                and holds(self.bot, answerer, "staff")):
            # a staff answer to their help post is something the brand gave the asker (bot.giveback)
            await self.bot.app.giveback.record(guild.id, thread.owner_id, "staff_answer",
                                               source_key=f"answer:{thread.id}:{reply.id}", detail=thread.name[:200],
                                               actor_id=answerer.id)
        lines = {
            "accepted": f"✅ Marked {reply.jump_url} as the solution.",
            "added": f"✅ Added {reply.jump_url} as another solution.",
            "moved": f"✅ The solution moved to {reply.jump_url}.",
        }[outcome.status]
        parts = [lines]
        if outcome.reversal is not None and outcome.reversal.status == "reversed":
            parts.append(f"The previous answer's credit was reversed ({outcome.reversal.points:+d} for "
                         f"<@{outcome.reversal.user_id}>).")
        if outcome.credit is not None and outcome.credit.status not in ("refused",):
            parts.append(outcome_text(self.bot, guild.id, outcome.credit))
        else:
            parts.append(outcome.message)
        if cfg.close_after_hours:
            parts.append(f"The post is tagged “{tag.name}” and closes in {cfg.close_after_hours} h.")
        await interaction.followup.send("\n".join(p for p in parts if p), ephemeral=True, allowed_mentions=NO_MENTIONS)
        start_jobs(self.bot)  # the note in the thread, and the receipts of the credit (and of a reversal)

    async def solution_note(self, payload: dict[str, Any], timer: Any) -> None:
        """Say in the post which reply was accepted, by whom (see the module docstring)."""
        guild_id, thread_id = int(payload["guild_id"]), int(payload["thread_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:  # jobs due at start run before the gateway has sent the guilds
            raise Retry(f"guild {guild_id} is not available (yet)")
        jump = f"https://discord.com/channels/{guild_id}/{thread_id}/{int(payload['message_id'])}"
        actor, answerer = f"<@{int(payload['actor_id'])}>", f"<@{int(payload['answerer_id'])}>"
        text = {  # a job written before "status" existed says "accepted"
            "accepted": f"✅ {actor} marked {jump} by {answerer} as the solution.",
            "added": f"✅ {actor} marked {jump} by {answerer} as another solution.",
            "moved": f"✅ Solution moved to {jump} by {answerer} (changed by {actor}).",
        }[str(payload.get("status", "accepted"))]
        what = deferred.said(N_("note the solution in post {id}"), id=thread_id)
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
            await thread.send(text, allowed_mentions=NO_MENTIONS)
        except Drop:
            raise
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            action, failure = effect_outcome(exc)
            if action is Action.RETRY:
                raise Retry(what, failure) from exc
            if action in (Action.DROP, Action.UNARCHIVE):
                raise Drop(what, failure) from exc
            if action is Action.REPORT and thread is not None:
                await report_missing_permission(self.bot, guild, what, thread,
                                                ("view_channel", "send_messages_in_threads"))
            raise GiveUp(what, failure) from exc

    async def close_solved(self, payload: dict[str, Any], _timer: Any) -> None:
        """Close (archive) a solved post, unless it was reopened, unsolved or already closed. A failure ends
        the job through the platform's one classification (:func:`bot.core.effect_errors.end_job`): retried
        when transient, dropped with an audit line when the post is gone, a missing Manage Threads named in
        the staff log."""
        guild_id, thread_id = int(payload["guild_id"]), int(payload["thread_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:  # jobs due at start run before the gateway has sent the guilds
            raise Retry(f"guild {guild_id} is not available (yet)")
        what = deferred.said(N_("close the solved post {id}"), id=thread_id)
        thread: Any = None

        async def report() -> None:
            await report_missing_permission(self.bot, guild, what, thread, ("manage_threads",))

        try:
            thread = await self.bot.fetch_channel(thread_id)
            if not isinstance(thread, discord.Thread) or thread.archived:
                return
            if not await self.bot.app.contributions.has_active_solution(guild.id, thread.id):
                return
            tag_name = self.bot.guild_config(guild.id).solutions.solved_tag
            if not any(t.name.casefold() == tag_name.casefold() for t in thread.applied_tags):
                return
            await thread.edit(archived=True)
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            if await end_job(exc, what, report=report) is Action.UNARCHIVE:
                raise Drop(f"{what}: it is closed or locked already") from exc
            raise GiveUp(what) from exc
