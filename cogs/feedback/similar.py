""""Is it one of these?" on Discord: the ephemeral suggestions before a report is posted, their buttons, and
the co-report comment job (rules and the kept draft: :mod:`bot.feedback.suggest`).

A mixin of :class:`cogs.feedback.cog.Feedback`, which provides ``bot``, ``service``, ``post_draft``,
``_thread_of``, ``_in_thread``, ``_already_there`` and ``_kick_notifier``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.core import i18n
from bot.core.errors import NO_MENTIONS, GuardedCallback
from bot.feedback import label
from bot.feedback.suggest import COREPORT_EVENT
from bot.platform import markdown
from bot.platform.errors import KudosError
from bot.platform.jobs.effects import Drop, Retry
from bot.search import Match

if TYPE_CHECKING:
    from cogs.feedback.cog import Feedback

COMMENT_LIMIT = 1500


def _cog(interaction: discord.Interaction) -> Feedback:
    from cogs.feedback.cog import Feedback  # the cog module imports this one

    return interaction.client.effects.own(Feedback, "Feedback")  # type: ignore[attr-defined]


def suggestions_text(matches: Sequence[Match]) -> str:
    lines = ["**Is it one of these?** Your report isn't posted yet. If one of these is the same thing, vote for it "
             "(your text is added there as a co-report); if not, post yours."]
    for n, m in enumerate(matches, start=1):
        votes = f"{m.votes} vote{'s' if m.votes != 1 else ''}"
        lines.append(f"{n}. **#{m.ref_id} · {markdown.inline(m.title)}** — {label(m.status)} · {votes}"
                     + (f" · <#{m.thread_id}>" if m.thread_id else ""))
    return "\n".join(lines)


def coreport_text(user_id: int, title: str, details: str) -> str:
    body = markdown.block(details.strip())
    if len(body) > COMMENT_LIMIT:
        body = body[:COMMENT_LIMIT] + "…"
    quoted = "\n".join(f"> {line}" if line else ">" for line in body.split("\n")) if body else ""
    return (f"➕ <@{user_id}> reported this too (co-report): **{markdown.inline(title)}**"
            + (f"\n{quoted}" if quoted else ""))


class SameButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                 template=r"feedback:same:(?P<draft>\d+):(?P<item>\d+)"):
    """``Vote for #N`` under the suggestions of a kept draft."""

    def __init__(self, draft_id: int, item_id: int) -> None:
        super().__init__(discord.ui.Button(label=f"Vote for #{item_id}", style=discord.ButtonStyle.primary,
                                           custom_id=f"feedback:same:{draft_id}:{item_id}"))
        self.draft_id, self.item_id = draft_id, item_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> SameButton:
        return cls(int(match["draft"]), int(match["item"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).vote_instead(interaction, self.draft_id, self.item_id)


class AnywayButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"feedback:anyway:(?P<draft>\d+)"):
    """``Post mine anyway``: post the kept draft as it would have been."""

    def __init__(self, draft_id: int) -> None:
        super().__init__(discord.ui.Button(label="Post mine anyway", style=discord.ButtonStyle.secondary,
                                           custom_id=f"feedback:anyway:{draft_id}"))
        self.draft_id = draft_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> AnywayButton:
        return cls(int(match["draft"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).post_anyway(interaction, self.draft_id)


def suggestions_view(draft_id: int, matches: Sequence[Match]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for m in matches:
        view.add_item(SameButton(draft_id, m.ref_id))
    view.add_item(AnywayButton(draft_id))
    return view


SIMILAR_ITEMS = (SameButton, AnywayButton)


class Similar:
    bot: Any
    service: Any
    post_draft: Callable[..., Awaitable[str]]
    _thread_of: Callable[..., Awaitable[discord.Thread]]
    _in_thread: Callable[..., Awaitable[None]]
    _already_there: Callable[..., Awaitable[bool]]
    _kick_notifier: Callable[[], None]

    def _register_similar(self) -> None:
        self.bot.scheduler.register(COREPORT_EVENT, self._on_coreport)

    def _unregister_similar(self) -> None:
        self.bot.scheduler.unregister(COREPORT_EVENT)

    async def offer_similar(self, interaction: discord.Interaction, draft: Any, beta_id: int | None) -> bool:
        """After the form was submitted (and deferred): show similar open items and keep the draft. False when
        there are none (the caller posts at once)."""
        assert interaction.guild_id is not None
        offer = await self.service.suggestions.offer(interaction.guild_id, interaction.user.id, draft,
                                                     beta_id=beta_id)
        if offer is None:
            return False
        await interaction.followup.send(suggestions_text(offer.matches), view=suggestions_view(offer.draft_id,
                                        offer.matches), ephemeral=True, allowed_mentions=NO_MENTIONS)
        return True

    async def post_anyway(self, interaction: discord.Interaction, draft_id: int) -> None:
        guild = interaction.guild
        assert guild is not None
        saved = await self.service.suggestions.take(guild.id, draft_id, interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        message, item_id = await self.post_draft(guild, interaction.user.id, saved.draft, saved.beta_id,
                                                 i18n.for_reader(interaction))
        await self.service.suggestions.mark_posted(guild.id, draft_id, item_id)
        await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def vote_instead(self, interaction: discord.Interaction, draft_id: int, item_id: int) -> None:
        guild = interaction.guild
        assert guild is not None
        done = await self.service.suggestions.vote_for(guild.id, draft_id, item_id, interaction.user.id)
        vote = {"counted": f"Your vote counts: {done.votes} member(s) want #{item_id}.",
                "already": f"You had voted for #{item_id} already; it counts once.",
                "own": f"#{item_id} is your own report, so no vote was added."}[done.vote]
        await interaction.response.send_message(
            f"{vote} Your text is added to its thread as a co-report, and you'll hear when its status changes. "
            "Nothing new was posted.", ephemeral=True, allowed_mentions=NO_MENTIONS)
        self._kick_notifier()  # the co-report and the embed's vote count are jobs written with the vote

    async def _on_coreport(self, payload: dict[str, Any], timer: Any) -> None:
        """Add the member's text to the item's thread as a co-report (once: a rerun looks for it first)."""
        guild_id = int(payload["guild_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        try:
            item = await self.service.get(guild_id, int(payload["feedback_id"]))
            saved = await self.service.suggestions.get(guild_id, int(payload["draft_id"]))
        except KudosError as exc:
            raise Drop(f"co-report for feedback #{payload['feedback_id']}: {exc}") from None
        text = coreport_text(saved.user_id, saved.draft.title, saved.draft.details)
        what = f"add a co-report to the thread of feedback #{item.id}"

        async def post(where: discord.Thread) -> None:
            if not await self._already_there(where, text, timer):
                await where.send(text, allowed_mentions=NO_MENTIONS)

        thread = await self._thread_of(guild, item, timer)
        await self._in_thread(guild, thread, what, post, rest_again=True)
