"""Beta announcement card, persistent buttons (``beta:<action>:<id>``) and the description form.

The buttons only translate clicks into calls on the cog; every error reaches the central handler.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.betas import Beta
from bot.betas.models import MAX_TEXT
from bot.core.cards import Card, Field
from bot.core.effects import Effects
from bot.core.errors import GuardedCallback, KudosModal
from bot.ledger.explain import ts
from bot.platform.i18n import N_, Translator, translator

if TYPE_CHECKING:
    from cogs.betas.cog import Betas


def cog_of(interaction: discord.Interaction) -> Betas:
    from cogs.betas.cog import Betas  # the cog module imports this one

    return interaction.client.effects.own(Betas, "Betas")  # type: ignore[attr-defined]


# A beta's status as staff read it in ``/beta list`` and ``/beta info``.
STATUS_LABELS = {"scheduled": N_("scheduled"), "open": N_("open"), "closed": N_("closed")}


def status_label(status: str, tr: Translator) -> str:
    return tr(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def spots_text(beta: Beta, tr: Translator | None = None) -> str:
    tr = tr or translator()
    if beta.row.capacity is None:
        return tr("{joined} joined · no limit", joined=tr.number(beta.joined))
    left = beta.spots_left or 0
    text = tr.ngettext("**{left}** of {count} spot left", "**{left}** of {count} spots left", beta.row.capacity,
                       left=tr.number(left))
    if left == 0:
        text = tr("Full ({joined} of {capacity})", joined=tr.number(beta.row.capacity),
                  capacity=tr.number(beta.row.capacity))
        text += " · " + (tr("{count} on the waitlist", count=tr.number(beta.waitlisted)) if beta.row.waitlist
                         else tr("no waitlist"))
    return text


TERMS_EXCERPT = 600


def announcement_card(beta: Beta, tr: Translator | None = None) -> Card:
    """The announcement card with its Join / Leave / Give feedback buttons (public: ``tr`` is the server's
    language; the beta's own texts stay as written), drawn as an embed or a V2 layout (:mod:`bot.core.cards`)."""
    tr = tr or translator()
    row = beta.row
    closed = row.status == "closed"
    fields: list[Field] = []
    if row.incentive:
        fields.append(Field(tr("What you get"), row.incentive[:1024], inline=False))
    if closed:
        fields.append(Field(tr("Status"), tr.ngettext("Closed. Thank you to the {count} member who took part!",
                                                      "Closed. Thank you to the {count} members who took part!",
                                                      beta.joined)))
    else:
        fields.append(Field(tr("Spots"), spots_text(beta, tr)))
    if row.ends_at is not None:
        fields.append(Field(tr("Ends"), f"{ts(row.ends_at, 'D')} ({ts(row.ends_at, 'R')})"))
    rules = beta.eligibility_rules.describe(tr)
    if rules:
        fields.append(Field(tr("Who can join"), tr("Members with {rules}", rules=", ".join(rules))[:1024],
                            inline=False))
    if row.terms:
        terms = row.terms if len(row.terms) <= TERMS_EXCERPT else row.terms[:TERMS_EXCERPT].rstrip() + "…"
        fields.append(Field(tr("Terms"), (terms + "\n*" + tr("You'll be asked to accept the terms when you join.") + "*")
                            [:1024], inline=False))
    return Card(
        title=tr("Beta: {name} (closed)", name=row.name) if closed else tr("Beta: {name}", name=row.name),
        description=(row.description or "")[:3500] or None,
        colour=discord.Colour.dark_grey() if closed else discord.Colour.blurple(),
        fields=tuple(fields),
        footer=f"beta #{row.id}",  # not translated: a retried post finds its message by this footer
        buttons=lambda: announcement_buttons(row.id, closed=closed, tr=tr, terms=bool(row.terms)),
    )


def announcement_embed(beta: Beta, tr: Translator | None = None) -> discord.Embed:
    """The announcement card as an embed (``/beta info`` adds the numbers to it)."""
    return announcement_card(beta, tr).embed()


def announcement_buttons(beta_id: int, *, closed: bool = False, tr: Translator | None = None,
                         terms: bool | None = None) -> list[discord.ui.Item[Any]]:
    return [JoinButton(beta_id, disabled=closed, tr=tr, terms=terms), LeaveButton(beta_id, disabled=closed, tr=tr),
            FeedbackButton(beta_id, tr=tr)]


def announcement_view(beta_id: int, *, closed: bool = False, tr: Translator | None = None,
                      terms: bool | None = None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in announcement_buttons(beta_id, closed=closed, tr=tr, terms=terms):
        view.add_item(item)
    return view


def single(item: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(item)
    return view


class _BetaButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button], template=r"beta:_:(?P<id>\d+)"):
    action = ""
    label = ""
    style = discord.ButtonStyle.secondary

    def __init__(self, beta_id: int, *, disabled: bool = False, tr: Translator | None = None) -> None:
        super().__init__(discord.ui.Button(label=(tr or translator())(self.label), style=self.style, disabled=disabled,
                                           custom_id=f"beta:{self.action}:{beta_id}"))
        self.beta_id = beta_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: re.Match[str]):  # type: ignore[no-untyped-def]
        return cls(int(match["id"]))


class JoinButton(_BetaButton, template=r"beta:join:(?P<id>\d+)(?::(?P<terms>[tn]))?"):
    """``beta:join:<id>:t`` when the beta has terms (the click opens the join form), ``:n`` when it has none (the
    click is deferred at once: no read before answering a crowd); without the flag (older posts) the click
    reads the beta first. The announcement's refresh keeps the flag current."""

    action, label, style = "join", N_("Join"), discord.ButtonStyle.success

    def __init__(self, beta_id: int, *, disabled: bool = False, tr: Translator | None = None,
                 terms: bool | None = None) -> None:
        super().__init__(beta_id, disabled=disabled, tr=tr)
        self.terms = terms
        if terms is not None:
            self.item.custom_id = f"beta:join:{beta_id}:{'t' if terms else 'n'}"

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: re.Match[str]):  # type: ignore[no-untyped-def]
        return cls(int(match["id"]), terms=None if match["terms"] is None else match["terms"] == "t")

    async def run(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).click_join(interaction, self.beta_id, terms=self.terms)


class LeaveButton(_BetaButton, template=r"beta:leave:(?P<id>\d+)"):
    action, label = "leave", N_("Leave")

    async def run(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).click_leave(interaction, self.beta_id)


class FeedbackButton(_BetaButton, template=r"beta:feedback:(?P<id>\d+)"):
    action, label, style = "feedback", N_("Give feedback"), discord.ButtonStyle.primary

    async def run(self, interaction: discord.Interaction) -> None:

        feedback = Effects.need(interaction.client.effects.feedback, "Feedback")  # type: ignore[attr-defined]
        await feedback.open_form(interaction, beta_id=self.beta_id)


class AcceptButton(_BetaButton, template=r"beta:accept:(?P<id>\d+)"):
    """On the ephemeral terms confirm of earlier versions (the terms are now a box in :class:`JoinForm`)."""

    action, label, style = "accept", N_("Accept and join"), discord.ButtonStyle.success

    async def run(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).accept_terms(interaction, self.beta_id)


class MuteButton(_BetaButton, template=r"beta:mute:(?P<id>\d+)"):
    """On the ephemeral join confirmation: no "ends soon" reminder or feedback nudge."""

    action, label = "mute", N_("Mute reminders")

    async def run(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).mute(interaction, self.beta_id)


DYNAMIC_ITEMS = (JoinButton, LeaveButton, FeedbackButton, AcceptButton, MuteButton)


class JoinForm(KudosModal):
    """Joining a beta that has terms: the terms, and a Checkbox that accepts them (left unticked, the join is
    refused: :meth:`cogs.betas.cog.Betas.submit_join`). In the member's language; the terms as staff wrote them."""

    def __init__(self, beta: Beta, tr: Translator | None = None) -> None:
        tr = tr or translator()
        super().__init__(title=tr("Join {name}", name=beta.row.name)[:45], custom_id=f"beta:joinform:{beta.row.id}")
        self.beta_id = beta.row.id
        self.add_item(discord.ui.TextDisplay(tr("**Terms of the {name} beta**", name=beta.row.name) + "\n"
                                             + beta.row.terms[:3500]))
        self.agree = discord.ui.Checkbox(custom_id="beta:terms")
        self.add_item(discord.ui.Label(text=tr("I accept the terms")[:45], component=self.agree,
                                       description=tr("Tick the box to take part.")[:100]))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).submit_join(interaction, self.beta_id, self.agree.value)


class DescriptionForm(KudosModal):
    """The second step of ``/beta create``: the description (too long for a slash option)."""

    required_level = "staff"  # checked again on submit: the Staff role may have gone while the form was open

    def __init__(self, pending: dict[str, Any]) -> None:
        super().__init__(title="Describe the beta"[:45], custom_id="beta:create:form")
        self.pending = pending
        self.description = discord.ui.TextInput(label="Description", style=discord.TextStyle.paragraph,
                                                max_length=MAX_TEXT, placeholder="What is being tested, and how?")
        self.add_item(self.description)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).finish_create(interaction, self.pending, self.description.value)
