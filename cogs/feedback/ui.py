"""Feedback buttons (persistent ``DynamicItem``s) and forms. They only translate; the cog does the work."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.core import i18n
from bot.core.errors import GuardedCallback, KudosModal
from bot.feedback import TYPES, label
from bot.feedback.models import (
    MAX_DETAILS,
    MAX_NOTE,
    MAX_SCREENSHOTS,
    MAX_STEPS,
    MAX_TITLE,
    MAX_VERSION,
    split_version,
)
from bot.platform.i18n import N_, Translator, translator

if TYPE_CHECKING:
    from cogs.feedback.cog import Feedback

TITLES = {"bug": N_("Report a bug"), "idea": N_("Suggest an idea"), "praise": N_("Share some praise"),
          "question": N_("Ask a question")}


def cog_of(interaction: discord.Interaction) -> Feedback:
    from cogs.feedback.cog import Feedback  # the cog module imports this one

    return interaction.client.effects.own(Feedback, "Feedback")  # type: ignore[attr-defined]


class FeedbackForm(KudosModal):
    """One form for every report: the type (a select, set when ``type_`` is given), title, details, the steps
    (for a bug, their last line ``Version: 2.4.1`` is the version: a modal has room for five fields only) and
    up to :data:`MAX_SCREENSHOTS` screenshots. Limits mirror the service's checks. Labels in the member's
    language (``tr``: the interaction's locale)."""

    def __init__(self, type_: str | None, beta_id: int | None, tr: Translator | None = None) -> None:
        tr = tr or translator()
        title = tr(TITLES[type_]) if type_ in TITLES else tr("Give feedback")
        super().__init__(title=title[:45], custom_id=f"feedback:form:{beta_id or 0}")
        self.beta_id = beta_id
        self.version_word = tr("Version")
        self.kind: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="feedback:type", placeholder=tr("What kind of feedback is it?")[:150],
            options=[discord.SelectOption(label=tr(label(t))[:100], value=t, default=t == type_) for t in TYPES])
        self.title_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="feedback:title", max_length=MAX_TITLE, placeholder=tr("In a few words"))
        self.details: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="feedback:details", style=discord.TextStyle.paragraph, max_length=MAX_DETAILS)
        self.steps: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="feedback:steps", style=discord.TextStyle.paragraph, required=False,
            max_length=MAX_STEPS + MAX_VERSION + 20, placeholder=f"1. … 2. … 3. …\n{self.version_word}: 2.4.1"[:100])
        self.shots: discord.ui.FileUpload[Any] = discord.ui.FileUpload(
            custom_id="feedback:screenshots", required=False, max_values=MAX_SCREENSHOTS)
        self.add_item(discord.ui.Label(text=tr("Type")[:45], component=self.kind))
        self.add_item(discord.ui.Label(text=tr("Title")[:45], component=self.title_input))
        self.add_item(discord.ui.Label(text=tr("Details")[:45], component=self.details))
        self.add_item(discord.ui.Label(
            text=tr("Steps to reproduce")[:45], component=self.steps,
            description=tr("For a bug: what you did, in order, then a last line \"{word}: 2.4.1\".",
                           word=self.version_word)[:100]))
        self.add_item(discord.ui.Label(
            text=tr("Screenshots")[:45], component=self.shots,
            description=tr("Optional: up to {count} images.", count=MAX_SCREENSHOTS)[:100]))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        steps, version = split_version(self.steps.value, (self.version_word,))
        await cog_of(interaction).submit_form(
            interaction, self.kind.values[0] if self.kind.values else "", self.beta_id, self.title_input.value,
            self.details.value, steps, version, list(self.shots.values),
        )


class RejectForm(KudosModal):
    def __init__(self, item_id: int, tr: Translator | None = None) -> None:
        tr = tr or translator()
        super().__init__(title=tr("Reject feedback #{number}", number=item_id)[:45],
                         custom_id=f"feedback:rejectform:{item_id}")
        self.item_id = item_id
        self.reason = discord.ui.TextInput(label=tr("Reason"), style=discord.TextStyle.paragraph, required=False,
                                           max_length=MAX_NOTE, placeholder=tr("Sent to the reporter (optional)"))
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).reject(interaction, self.item_id, self.reason.value)


class VoteButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button], template=r"feedback:vote:(?P<id>\d+)"):
    def __init__(self, item_id: int, tr: Translator | None = None) -> None:
        tr = tr or translator()
        super().__init__(discord.ui.Button(label=tr("Me too"), emoji="👍",
                                           style=discord.ButtonStyle.primary,
                                           custom_id=f"feedback:vote:{item_id}"))
        self.item_id = item_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> VoteButton:
        return cls(int(match["id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).vote(interaction, self.item_id)


class FollowButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"feedback:follow:(?P<id>\d+)"):
    def __init__(self, item_id: int, tr: Translator | None = None) -> None:
        tr = tr or translator()
        super().__init__(discord.ui.Button(label=tr("Follow"), emoji="🔔",
                                           style=discord.ButtonStyle.secondary,
                                           custom_id=f"feedback:follow:{item_id}"))
        self.item_id = item_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> FollowButton:
        return cls(int(match["id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).follow(interaction, self.item_id)


class ReviewButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"feedback:review:(?P<action>approve|reject):(?P<id>\d+)"):
    def __init__(self, action: str, item_id: int, tr: Translator | None = None) -> None:
        style = discord.ButtonStyle.success if action == "approve" else discord.ButtonStyle.danger
        tr = tr or translator()  # the label counts only when the card is posted (the server's language)
        super().__init__(discord.ui.Button(label=tr("Approve") if action == "approve" else tr("Reject"), style=style,
                                           custom_id=f"feedback:review:{action}:{item_id}"))
        self.action = action
        self.item_id = item_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> ReviewButton:
        return cls(match["action"], int(match["id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        cog = cog_of(interaction)
        cog.require_staff(interaction)
        if self.action == "approve":
            await cog.approve(interaction, self.item_id)
        else:
            await interaction.response.send_modal(RejectForm(self.item_id, i18n.for_reader(interaction)))


class TypeButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                 template=r"feedback:new:(?P<type>bug|idea|praise|question):(?P<beta>\d+)"):
    """One of the type choices earlier versions showed before the form: still answered on old messages (the
    form opens with that type picked)."""

    def __init__(self, type_: str, beta_id: int | None, tr: Translator | None = None) -> None:
        super().__init__(discord.ui.Button(label=(tr or translator())(label(type_)), style=discord.ButtonStyle.secondary,
                                           custom_id=f"feedback:new:{type_}:{beta_id or 0}"))
        self.type_ = type_
        self.beta_id = beta_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> TypeButton:
        return cls(match["type"], int(match["beta"]) or None)

    async def run(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackForm(self.type_, self.beta_id, i18n.for_reader(interaction)))


class PageButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                 template=r"feedback:page:(?P<offset>\d+):(?P<status>[a-z_]*):(?P<type>[a-z]*):(?P<beta>\d+):(?P<n>[pn])"):
    """Previous / next page of ``/feedback list`` (the filters ride in the custom id)."""

    def __init__(self, offset: int, status: str, type_: str, beta_id: int, direction: str,
                 disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(
            label="Previous" if direction == "p" else "Next", style=discord.ButtonStyle.secondary,
            disabled=disabled, custom_id=f"feedback:page:{offset}:{status}:{type_}:{beta_id}:{direction}"))
        self.offset, self.status, self.type_, self.beta_id = offset, status, type_, beta_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> PageButton:
        return cls(int(match["offset"]), match["status"], match["type"], int(match["beta"]), match["n"])

    async def run(self, interaction: discord.Interaction) -> None:
        cog = cog_of(interaction)
        cog.require_staff(interaction)
        await cog.show_page(interaction, offset=self.offset, status=self.status or None, type_=self.type_ or None,
                            beta_id=self.beta_id or None, edit=True)


def item_buttons(item_id: int, tr: Translator | None = None) -> list[discord.ui.Item[Any]]:
    return [VoteButton(item_id, tr), FollowButton(item_id, tr)]


def item_view(item_id: int, tr: Translator | None = None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in item_buttons(item_id, tr):
        view.add_item(item)
    return view


def review_view(item_id: int, tr: Translator | None = None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReviewButton("approve", item_id, tr))
    view.add_item(ReviewButton("reject", item_id, tr))
    return view


DYNAMIC_ITEMS = (VoteButton, FollowButton, ReviewButton, TypeButton, PageButton)
