"""Feedback buttons (persistent ``DynamicItem``s) and forms. They only translate; the cog does the work."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.core import i18n
from bot.core.errors import GuardedCallback, KudosModal
from bot.feedback import TYPES, label
from bot.feedback.models import MAX_DETAILS, MAX_NOTE, MAX_STEPS, MAX_TITLE, MAX_VERSION
from bot.platform.i18n import N_, Translator, translator

if TYPE_CHECKING:
    from cogs.feedback.cog import Feedback

TITLES = {"bug": N_("Report a bug"), "idea": N_("Suggest an idea"), "praise": N_("Share some praise"),
          "question": N_("Ask a question")}


def cog_of(interaction: discord.Interaction) -> Feedback:
    from cogs.feedback.cog import Feedback  # the cog module imports this one

    return interaction.client.effects.own(Feedback, "Feedback")  # type: ignore[attr-defined]


class FeedbackForm(KudosModal):
    """Title, details, and for bugs the steps and version. Limits mirror the service's checks. Labels in
    the member's language (``tr``: the interaction's locale)."""

    def __init__(self, type_: str, beta_id: int | None, tr: Translator | None = None) -> None:
        tr = tr or translator()
        super().__init__(title=tr(TITLES[type_])[:45], custom_id=f"feedback:form:{type_}:{beta_id or 0}")
        self.type_ = type_
        self.beta_id = beta_id
        self.title_input = discord.ui.TextInput(label=tr("Title"), max_length=MAX_TITLE,
                                                placeholder=tr("In a few words"))
        self.details = discord.ui.TextInput(label=tr("Details"), style=discord.TextStyle.paragraph,
                                            max_length=MAX_DETAILS)
        self.add_item(self.title_input)
        self.add_item(self.details)
        self.steps: discord.ui.TextInput[Any] | None = None
        self.version: discord.ui.TextInput[Any] | None = None
        if type_ == "bug":
            self.steps = discord.ui.TextInput(label=tr("Steps to reproduce"), style=discord.TextStyle.paragraph,
                                              max_length=MAX_STEPS, placeholder="1. … 2. … 3. …")
            self.version = discord.ui.TextInput(label=tr("Version"), max_length=MAX_VERSION,
                                                placeholder=tr("e.g. {example}", example="2.4.1"))
            self.add_item(self.steps)
            self.add_item(self.version)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).submit_form(
            interaction, self.type_, self.beta_id, self.title_input.value, self.details.value,
            self.steps.value if self.steps else None, self.version.value if self.version else None,
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
    def __init__(self, action: str, item_id: int) -> None:
        style = discord.ButtonStyle.success if action == "approve" else discord.ButtonStyle.danger
        super().__init__(discord.ui.Button(label=action.title(), style=style,
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
    """One of the type choices shown before the form (the beta announcement's flow, or /feedback new
    without a type)."""

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


def review_view(item_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReviewButton("approve", item_id))
    view.add_item(ReviewButton("reject", item_id))
    return view


def type_picker(beta_id: int | None, tr: Translator | None = None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for type_ in TYPES:
        view.add_item(TypeButton(type_, beta_id, tr))
    return view


DYNAMIC_ITEMS = (VoteButton, FollowButton, ReviewButton, TypeButton, PageButton)
