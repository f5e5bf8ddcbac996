"""Curation: "Feature this post" and the starboard put a card in the showcase and credit author and curator.

A curator's card is posted inside the featuring transaction (Discord refuses → nothing is credited, and the
curator is told). The starboard's card is a durable job written with the credit
(:data:`bot.contributions.jobs.CARD_EVENT`): retried through an outage, once per message (a retry first
looks for its card among the showcase's recent messages), dropped with an audit line when the post was
deleted meanwhile, and a missing permission is reported to the staff log.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.contributions.jobs import CARD_EVENT
from bot.core import cards, i18n
from bot.core.checks import member_has
from bot.core.effect_errors import outcome as effect_outcome
from bot.core.effect_errors import report_missing_permission
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
from cogs.contributions.cards import showcase_card

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)

HISTORY = 25


def emoji_matches(emoji: discord.PartialEmoji, configured: str) -> bool:
    if emoji.id is None:
        return emoji.name == configured
    return f"{emoji.name}:{emoji.id}" == configured or str(emoji.id) == configured


class Curation(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Feature this post", callback=self.feature_post, allowed_contexts=GUILD_ONLY)
        # Starboard hot path (see _on_reaction): stars on messages discord.py has not cached, waiting to learn
        # whether ``reaction_add`` followed (it does only for cached messages); and posts being checked now.
        self._uncached: dict[int, discord.RawReactionActionEvent] = {}
        self._checking: set[int] = set()

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        self.bot.add_sync_listener("raw_reaction_add", self._on_reaction)
        self.bot.add_sync_listener("reaction_add", self._on_cached_reaction)
        self.bot.scheduler.register(CARD_EVENT, self.card_job)

    async def cog_unload(self) -> None:
        self.bot.scheduler.unregister(CARD_EVENT)
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        self.bot.remove_sync_listener("raw_reaction_add", self._on_reaction)
        self.bot.remove_sync_listener("reaction_add", self._on_cached_reaction)

    # ------------------------------------------------------------------ helpers

    async def _is_curator(self, interaction: discord.Interaction) -> bool:
        if member_has(interaction, "curator"):
            return True
        if await self.bot.app.privileges.holds(interaction.guild_id or 0, interaction.user.id, "feature_post"):
            return True  # the earned privilege (bot.privileges), checked now
        need = self.bot.guild_config(interaction.guild_id or 0).caps.curator_min_points
        if need <= 0:
            return False
        profile = await self.bot.app.ledger.profile(interaction.guild_id or 0, interaction.user.id, receipts=0)
        return profile.total_points >= need

    def _showcase(self, guild: discord.Guild) -> discord.TextChannel:
        channel = guild.get_channel(self.bot.settings(guild.id).channel("showcase") or 0)
        if not isinstance(channel, discord.TextChannel):
            raise InvalidInput(N_("There is no showcase channel set up (channels.showcase); ask a moderator."))
        return channel

    async def _post_card(self, showcase: discord.TextChannel, post: discord.Message, where: Any,
                         author: discord.Member | discord.User, credit_line: str) -> int:
        tr = i18n.for_guild(self.bot, showcase.guild)  # a public post: the server's language
        card = showcase_card(post, where, author, credit_line, tr)
        sent = await showcase.send(**cards.send_kwargs(card, self.bot.guild_config(showcase.guild.id).cards),
                                   allowed_mentions=NO_MENTIONS)
        return sent.id

    async def _feature(self, guild: discord.Guild, where: Any, post: discord.Message, author: discord.Member,
                       curator: discord.Member | None, credit_line: str):  # type: ignore[no-untyped-def]
        showcase = self._showcase(guild)
        if where.id == showcase.id:
            raise InvalidInput(N_("That message is already in the showcase."))
        thread_id = where.id if isinstance(where, discord.Thread) else None
        channel_id = where.parent_id if isinstance(where, discord.Thread) else where.id

        async def delete_card(card_id: int) -> None:
            try:
                await showcase.get_partial_message(card_id).delete()
            except discord.HTTPException:
                log.exception("could not delete showcase card %s after a failed commit", card_id)

        if curator is None:  # the starboard: nobody waits for a reply, the card is a job
            card: dict[str, Any] = {"card_job": {"where_id": where.id, "credit_line": credit_line}}
        else:
            card = {"post_card": lambda: self._post_card(showcase, post, where, author, credit_line),
                    "delete_card": delete_card}
        return await self.bot.app.contributions.feature(
            guild_id=guild.id, channel_id=channel_id, thread_id=thread_id, message_id=post.id, author_id=author.id,
            author_joined_at=author.joined_at, curator_id=curator.id if curator else None,
            curator_joined_at=curator.joined_at if curator else None,
            title=where.name if thread_id else "", **card,
        )

    async def card_job(self, payload: dict[str, Any], timer: Any) -> None:
        """Post the showcase card of a post the starboard featured (see the module docstring)."""
        guild_id, message_id = int(payload["guild_id"]), int(payload["message_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:  # jobs due at start run before the gateway has sent the guilds
            raise Retry(f"guild {guild_id} is not available (yet)")
        contributions = self.bot.app.contributions
        if await contributions.showcase_card(guild_id, message_id) is not None:
            return
        try:
            showcase = self._showcase(guild)
        except InvalidInput as exc:
            raise Drop(f"no showcase card for message {message_id}: {exc}") from None
        what = deferred.said(N_("post the showcase card of message {id}"), id=message_id)
        try:
            where_id = int(payload["where_id"])
            where = guild.get_channel_or_thread(where_id) or await self.bot.fetch_channel(where_id)
            post = await where.fetch_message(message_id)  # type: ignore[union-attr]
            card_id = await self._card_already_posted(showcase, post, timer)
            if card_id is None:
                author = guild.get_member(int(payload["author_id"])) or post.author
                card_id = await self._post_card(showcase, post, where, author, str(payload["credit_line"]))
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            action, failure = effect_outcome(exc)
            if action is Action.RETRY:
                raise Retry(what, failure) from exc
            if action is Action.DROP:
                raise Drop(what, failure) from exc
            if action is Action.REPORT:
                await report_missing_permission(self.bot, guild, what, showcase,
                                                ("view_channel", "send_messages", "embed_links"))
            raise GiveUp(what, failure) from exc
        await contributions.record_card(guild_id, message_id, card_id)

    async def _card_already_posted(self, showcase: discord.TextChannel, post: discord.Message, timer: Any) -> int | None:
        """On a job's second run or later: the card it posted before (a crash or a lost answer in between)."""
        if getattr(timer, "attempts", 1) <= 1 or self.bot.user is None:
            return None
        async for old in showcase.history(limit=HISTORY):
            if old.author.id == self.bot.user.id and post.jump_url in cards.marks(old):  # either form
                return old.id
        return None

    # ------------------------------------------------------------------ "Feature this post"

    async def feature_post(self, interaction: discord.Interaction, message: discord.Message) -> None:
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not await self._is_curator(interaction):
            need = self.bot.guild_config(guild.id).caps.curator_min_points
            extra = f" or members with {need} points" if need else ""
            raise NotAllowed(N_("Only curators{extra} can feature posts."), extra=extra)
        where = await fresh_channel(self.bot, message.channel.id)
        post = await fresh_message(where, message.id)
        if post.author.bot:
            raise InvalidInput(N_("Bot messages can't be featured; feature a member's post."))
        if post.author.id == interaction.user.id:
            raise NotAllowed(N_("You can't feature your own post; ask another curator to feature it."))
        author = await member_or_left(guild, post.author, "The author of that post")
        curator = interaction.user if isinstance(interaction.user, discord.Member) else None
        assert curator is not None
        outcome = await self._feature(guild, where, post, author, curator, f"by {curator.mention}")
        showcase = self._showcase(guild)
        assert outcome.showcase_message_id is not None  # a curator's card is posted in the transaction
        lines = [f"⭐ Featured in {showcase.mention}: "
                 f"https://discord.com/channels/{guild.id}/{showcase.id}/{outcome.showcase_message_id}",
                 outcome_text(self.bot, guild.id, outcome.author_credit)]
        if outcome.curator_credit is not None:
            lines.append(f"Your curation credit: {outcome_text(self.bot, guild.id, outcome.curator_credit)}")
        await interaction.followup.send("\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS)
        start_jobs(self.bot)

    # ------------------------------------------------------------------ starboard

    def _on_reaction(self, payload: discord.RawReactionActionEvent) -> None:
        """Hot path (runs inline for every reaction): only the starboard emoji goes further.

        discord.py dispatches ``raw_reaction_add`` first and then, in the same call and only when the message is
        in its cache, ``reaction_add`` with the updated count (:meth:`_on_cached_reaction`). A star on a cached
        post is decided from that count without a request; only a star on an uncached post (older, or seen
        before a restart) fetches the post, once the current event has been handled (:meth:`_star_on_uncached`).
        """
        guild_id = payload.guild_id
        if guild_id is None:
            return
        cfg = self.bot.app.guild_config(guild_id).curation  # what bot.guild_config returns, one call less
        if cfg.starboard_threshold <= 0 or not emoji_matches(payload.emoji, cfg.starboard_emoji):
            return
        me = self.bot.user
        if me is None or payload.user_id == me.id:
            return
        if payload.message_id not in self._uncached:
            asyncio.get_running_loop().call_soon(self._star_on_uncached, payload.message_id)
        self._uncached[payload.message_id] = payload

    def _on_cached_reaction(self, reaction: discord.Reaction, user: discord.abc.User) -> None:
        """A reaction on a cached post (after :meth:`_on_reaction` saw the raw event): check the post only once
        its star count (bots and the author included, so an upper bound of what counts) reaches the threshold."""
        payload = self._uncached.pop(reaction.message.id, None)
        if payload is None or payload.guild_id is None:
            return  # not a starboard star (another emoji, or the starboard is off)
        if reaction.count >= self.bot.guild_config(payload.guild_id).curation.starboard_threshold:
            self._check_star(payload, reaction.message)

    def _star_on_uncached(self, message_id: int) -> None:
        payload = self._uncached.pop(message_id, None)
        if payload is not None:  # no reaction_add followed: discord.py has not cached the post
            self._check_star(payload, None)

    def _check_star(self, payload: discord.RawReactionActionEvent, post: discord.Message | None) -> None:
        if payload.message_id in self._checking:
            return  # a check of this post is running; it reads the reactions as they are then
        self._checking.add(payload.message_id)
        self.bot.tasks.spawn(self._starboard(payload, post), name="starboard")

    async def _starboard(self, payload: discord.RawReactionActionEvent, post: discord.Message | None) -> None:
        try:
            assert payload.guild_id is not None
            guild = self.bot.get_guild(payload.guild_id)
            if guild is None or await self.bot.app.contributions.is_featured(guild.id, payload.message_id):
                return
            try:
                where = (guild.get_channel_or_thread(payload.channel_id)
                         or await self.bot.fetch_channel(payload.channel_id))
                if post is None:
                    post = await where.fetch_message(payload.message_id)  # type: ignore[union-attr]
            except discord.HTTPException:
                return
            await self.consider(guild, where, post)
        finally:
            self._checking.discard(payload.message_id)

    def star_reaction(self, guild_id: int, post: discord.Message) -> discord.Reaction | None:
        """The post's reaction with the starboard emoji (its count includes bots and the author)."""
        emoji = self.bot.guild_config(guild_id).curation.starboard_emoji
        return next((r for r in post.reactions if str(r.emoji) == emoji or (
            not isinstance(r.emoji, str) and f"{r.emoji.name}:{r.emoji.id}" == emoji)), None)

    async def consider(self, guild: discord.Guild, where: Any, post: discord.Message) -> bool:
        """Feature ``post`` when enough members starred it (live, or caught up after the bot was away).
        Featuring is once per message (``featured_posts`` is unique per message). Returns whether it was."""
        cfg = self.bot.guild_config(guild.id).curation
        if post.author.bot or cfg.starboard_threshold <= 0:
            return False
        reaction = self.star_reaction(guild.id, post)
        if reaction is None or reaction.count < cfg.starboard_threshold:
            return False
        oldest = self.bot.clock.now() - timedelta(days=cfg.starboard_min_account_age_days)
        voters = [u async for u in reaction.users(limit=100)]
        counted = [u for u in voters if not u.bot and u.id != post.author.id and u.created_at <= oldest]
        if len(counted) < cfg.starboard_threshold:
            return False
        author = guild.get_member(post.author.id)
        if author is None:
            log.info("starboard: author of %s left guild %s; not featured", post.id, guild.id)
            return False
        try:
            await self._feature(guild, where, post, author, None,
                                f"{len(counted)} members reacted {cfg.starboard_emoji}")
        except (Conflict, InvalidInput) as exc:
            log.info("starboard: %s not featured: %s", post.id, exc)
            return False
        start_jobs(self.bot)
        return True
