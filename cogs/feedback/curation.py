"""Curation by earned privileges on Discord: ``/feedback retype`` and ``/feedback propose-merge``, the staff card
with Merge / Not a duplicate, and their jobs (rules and writes: :mod:`bot.feedback.curation`).

Who may act is checked when the action happens: ``/feedback retype`` takes the ``tag_feedback`` privilege (or
staff), ``/feedback propose-merge`` the ``propose_merge`` privilege; the card's buttons check the staff role on
every press. The retag job brings the thread's tags and embed in line with the item as it is when the job runs
(so late or repeated jobs never leave a stale tag); the card job posts the card once (a retry first looks for it).

A mixin of :class:`cogs.feedback.cog.Feedback`, which provides ``bot``, ``service``, ``_thread``,
``_thread_of``, ``_in_thread``, ``_tag_objects``, ``_check_thread_writable``, ``_failed`` and
``_kick_notifier``. The two commands are put in the ``/feedback`` group by the cog.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.core import i18n
from bot.core.checks import member_has
from bot.core.errors import NO_MENTIONS, GuardedCallback
from bot.feedback import TYPES, label
from bot.feedback.jobs import MERGE_CARD_EVENT, MERGE_SETTLED_EVENT, RETAG_EVENT
from bot.platform.errors import KudosError, NotAllowed
from bot.platform.i18n import Translator, translator
from bot.platform.jobs.effects import Drop, GiveUp, Retry
from cogs.feedback import render
from cogs.feedback.jobctx import job_item

if TYPE_CHECKING:
    from cogs.feedback.cog import Feedback

log = logging.getLogger(__name__)

HISTORY = 25
CARD_NEEDS = ("send_messages", "embed_links", "read_message_history")
TYPE_CHOICES = [app_commands.Choice(name=label(t), value=t) for t in TYPES]


def _cog(interaction: discord.Interaction) -> Feedback:
    from cogs.feedback.cog import Feedback  # the cog module imports this one

    return interaction.client.effects.own(Feedback, "Feedback")  # type: ignore[attr-defined]


class ProposalButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                     template=r"feedback:proposal:(?P<action>merge|keep):(?P<id>\d+)"):
    """On a merge proposal's staff card: Merge (the normal staff merge) or Not a duplicate. Staff only,
    checked on every press."""

    required_level = "staff"

    def __init__(self, action: str, proposal_id: int, tr: Translator | None = None) -> None:
        tr = tr or translator()
        merge = action == "merge"
        super().__init__(discord.ui.Button(
            label=tr("Merge") if merge else tr("Not a duplicate"),
            style=discord.ButtonStyle.success if merge else discord.ButtonStyle.secondary,
            custom_id=f"feedback:proposal:{action}:{proposal_id}"))
        self.action, self.proposal_id = action, proposal_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> ProposalButton:
        return cls(match["action"], int(match["id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        if self.action == "merge":
            await cog.confirm_merge(interaction, self.proposal_id)
        else:
            await cog.decline_merge(interaction, self.proposal_id)


def proposal_view(proposal_id: int, tr: Translator | None = None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ProposalButton("merge", proposal_id, tr))
    view.add_item(ProposalButton("keep", proposal_id, tr))
    return view


CURATION_ITEMS = (ProposalButton,)


def card_text(tr: Translator, proposal: Any, item: Any, target: Any) -> str:
    """A merge proposal's card, as posted (its outcome is added below it)."""
    return (tr("🔀 Merge proposal #{number}: {member} thinks {item} is a duplicate of {target}.",
               number=proposal.id, member=f"<@{proposal.proposer_id}>", item=render.ref(item),
               target=render.ref(target))
            + "\n" + tr("Merge moves its votes and followers to the original and closes it, and credits the "
                        "proposer for curation (up to a daily cap)."))[:2000]


def merged_line(tr: Translator, staff: str, item_id: int, target_id: int, votes: int, credited: int | None) -> str:
    """The card's outcome once merged; ``credited``: the proposer, when they got curation credit."""
    line = tr("✅ Merged by {staff}: #{item} into #{target}, {votes} vote(s) moved.", staff=staff, item=item_id,
              target=target_id, votes=votes)
    if credited is not None:
        line += " " + tr("Curation credit for {member}.", member=f"<@{credited}>")
    return line


class Curation:
    bot: Any
    service: Any

    def _register_curation(self) -> None:
        self.bot.scheduler.register(RETAG_EVENT, self._on_retag)
        self.bot.scheduler.register(MERGE_CARD_EVENT, self._on_merge_card)
        self.bot.scheduler.register(MERGE_SETTLED_EVENT, self._on_merge_settled)

    def _unregister_curation(self) -> None:
        for event in (RETAG_EVENT, MERGE_CARD_EVENT, MERGE_SETTLED_EVENT):
            self.bot.scheduler.unregister(event)

    # ------------------------------------------------------------------ commands (put in /feedback by the cog)

    @app_commands.describe(item="The feedback number", type="The type it really is")
    @app_commands.choices(type=TYPE_CHOICES)
    async def retype_command(self: Feedback, interaction: discord.Interaction, item: int, type: str) -> None:
        guild = interaction.guild
        assert guild is not None
        tr = i18n.for_reader(interaction)
        if not member_has(interaction, "staff") and not await self.bot.app.privileges.holds(
                guild.id, interaction.user.id, "tag_feedback"):
            raise NotAllowed(tr("Only staff and members with the Tag feedback privilege can change a report's type "
                                "(/privileges says how to earn it)."))
        current = await self.service.get(guild.id, item)
        self._check_thread_writable(await self._thread(guild, current, fresh=True))
        changed, previous = await self.service.curation.retype(guild.id, item, type, actor_id=interaction.user.id)
        await interaction.response.send_message(
            tr("Feedback #{number} is now {new} (it was {old}); its tag follows in a moment.", number=changed.id,
               new=tr(label(changed.type)), old=tr(label(previous))),
            ephemeral=True, allowed_mentions=NO_MENTIONS)
        self._kick_notifier()

    @app_commands.describe(item="The number of the report that is a duplicate", into="The number of the original")
    async def propose_merge_command(self: Feedback, interaction: discord.Interaction, item: int, into: int) -> None:
        guild = interaction.guild
        assert guild is not None
        tr = i18n.for_reader(interaction)
        if not await self.bot.app.privileges.holds(guild.id, interaction.user.id, "propose_merge"):
            if member_has(interaction, "staff"):
                raise NotAllowed(tr("Staff merge directly: /feedback status with the status Duplicate and the "
                                    "original in `of`."))
            raise NotAllowed(tr("Only members with the Propose merges privilege can propose a merge (/privileges "
                                "says how to earn it)."))
        proposal = await self.service.curation.propose(guild.id, item, into, proposer_id=interaction.user.id)
        await interaction.response.send_message(
            tr("Proposed: staff see merging #{item} into #{into} and decide with one click. If they merge it, you "
               "get curation credit.", item=proposal.item_id, into=proposal.into_id),
            ephemeral=True, allowed_mentions=NO_MENTIONS)
        self._kick_notifier()

    # ------------------------------------------------------------------ the card's buttons

    async def confirm_merge(self: Feedback, interaction: discord.Interaction, proposal_id: int) -> None:
        """Merge: the normal staff merge (the threads must be writable, as for /feedback status), then the card
        says who merged it and whether the proposer was credited."""
        guild = interaction.guild
        assert guild is not None
        tr = i18n.for_reader(interaction)
        proposal = await self.service.curation.get(guild.id, proposal_id)
        item = await self.service.get(guild.id, proposal.item_id)
        self._check_thread_writable(await self._thread(guild, item, fresh=True))
        original = await self.service.get(guild.id, proposal.into_id)
        if original.thread_id:
            self._check_thread_writable(await self._thread(guild, original, fresh=True))
        await interaction.response.defer()
        change, credited = await self.service.curation.confirm(guild.id, proposal_id, actor_id=interaction.user.id)
        self._kick_notifier()
        target = change.target or original
        outcome = merged_line(tr, interaction.user.mention, change.item.id, target.id, change.moved_votes,
                              proposal.proposer_id if credited else None)
        await interaction.edit_original_response(content=self._card_with(interaction, outcome), view=None,
                                                 allowed_mentions=NO_MENTIONS)

    async def decline_merge(self: Feedback, interaction: discord.Interaction, proposal_id: int) -> None:
        guild = interaction.guild
        assert guild is not None
        tr = i18n.for_reader(interaction)
        await self.service.curation.decline(guild.id, proposal_id, actor_id=interaction.user.id)
        outcome = tr("❎ Not a duplicate, said {staff}.", staff=interaction.user.mention)
        await interaction.response.edit_message(content=self._card_with(interaction, outcome), view=None,
                                                allowed_mentions=NO_MENTIONS)

    @staticmethod
    def _card_with(interaction: discord.Interaction, outcome: str) -> str:
        card = interaction.message.content if interaction.message is not None else ""
        return f"{card}\n{outcome}"[:2000]

    # ------------------------------------------------------------------ jobs

    async def _on_retag(self: Feedback, payload: dict[str, Any], timer: Any) -> None:
        """The item's type changed: its thread's tags and embed as the item is now."""
        guild, item = await job_item(self.bot, self.service, payload)
        tr = i18n.for_guild(self.bot, guild)  # the embed is public: the server's language

        async def retag(where: discord.Thread) -> None:
            forum = where.parent
            if isinstance(forum, discord.ForumChannel):
                wanted = self._tag_objects(forum, item, list(where.applied_tags))
                if {t.id for t in wanted} != {t.id for t in where.applied_tags}:
                    where = await where.edit(applied_tags=wanted)
            if item.status_message_id:
                try:
                    await self.edit_item_card(where.get_partial_message(item.status_message_id), item, tr)
                except discord.NotFound:
                    log.info("feedback %s: its status message is gone", item.id)

        thread = await self._thread_of(guild, item, timer)
        await self._in_thread(guild, thread, f"retag the thread of feedback #{item.id}", retag, rest_again=True)

    def _review_channel(self: Feedback, guild: discord.Guild) -> discord.TextChannel | None:
        ref = self.bot.guild_config(guild.id).feedback.review_channel
        channel = guild.get_channel(ref) if isinstance(ref, int) else discord.utils.get(
            guild.text_channels, name=str(ref).lstrip("#"))
        return channel if isinstance(channel, discord.TextChannel) else None

    async def _proposal_of(self: Feedback, payload: dict[str, Any]) -> tuple[discord.Guild, Any, Any, Any]:
        """A merge proposal job's guild, proposal, report and original (retried while the guild is away)."""
        guild_id, proposal_id = int(payload["guild_id"]), int(payload["proposal_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        try:
            proposal = await self.service.curation.get(guild_id, proposal_id)
            return (guild, proposal, await self.service.get(guild_id, proposal.item_id),
                    await self.service.get(guild_id, proposal.into_id))
        except KudosError as exc:
            raise Drop(f"merge proposal #{proposal_id} is gone: {exc}") from None

    async def _on_merge_card(self: Feedback, payload: dict[str, Any], timer: Any) -> None:
        """Post a merge proposal's card in the staff review channel (``[guilds.<id>.feedback] review_channel``)."""
        guild, proposal, item, target = await self._proposal_of(payload)
        guild_id, proposal_id = guild.id, proposal.id
        if proposal.state != "open" or proposal.card_message_id is not None:
            return
        channel = self._review_channel(guild)
        what = f"post the card of merge proposal #{proposal_id}"
        if channel is None:
            log.warning("guild %s: no feedback review channel for the merge proposals' cards", guild_id)
            raise GiveUp(f"{what}: the feedback review channel is missing")
        tr = i18n.for_guild(self.bot, guild)
        text = card_text(tr, proposal, item, target)
        try:
            if getattr(timer, "attempts", 1) > 1:
                async for old in channel.history(limit=HISTORY):
                    if old.author.id == self.bot.user.id and old.content == text:
                        await self.service.curation.set_card(guild_id, proposal_id, channel.id, old.id)
                        return
            message = await channel.send(text, view=proposal_view(proposal_id, tr), allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # noqa: BLE001 - classified
            await self._failed(exc, guild, what, channel, CARD_NEEDS)
            raise GiveUp(what) from exc
        await self.service.curation.set_card(guild_id, proposal_id, channel.id, message.id)

    async def _on_merge_settled(self: Feedback, payload: dict[str, Any], timer: Any) -> None:
        """Staff merged a proposed report with ``/feedback status``: the card says who merged it (and whether the
        proposer was credited) and loses its buttons, as after pressing Merge."""
        guild, proposal, item, target = await self._proposal_of(payload)
        proposal_id = proposal.id
        if proposal.card_message_id is None or proposal.card_channel_id is None:
            return  # no card was posted (its job finds the proposal decided and posts none)
        channel = guild.get_channel(proposal.card_channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise Drop(f"the channel of merge proposal #{proposal_id}'s card is gone")
        tr = i18n.for_guild(self.bot, guild)
        outcome = merged_line(tr, f"<@{int(payload['actor_id'])}>", item.id, int(payload["target_id"]),
                              int(payload["moved_votes"]), proposal.proposer_id if payload["credited"] else None)
        what = f"close the card of merge proposal #{proposal_id}"
        try:
            await channel.get_partial_message(proposal.card_message_id).edit(
                content=f"{card_text(tr, proposal, item, target)}\n{outcome}"[:2000], view=None,
                allowed_mentions=NO_MENTIONS)
        except discord.NotFound:
            log.info("merge proposal %s: its card is gone", proposal_id)
        except Exception as exc:  # noqa: BLE001 - classified
            await self._failed(exc, guild, what, channel, CARD_NEEDS)
            raise GiveUp(what) from exc
