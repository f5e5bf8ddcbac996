"""Cards members look at, drawn one of two ways (``[guilds.<id>] cards``): a classic embed with its buttons, or a
Components V2 layout (discord.py ``LayoutView``) with the same buttons in place.

A feature describes its card once, as a :class:`Card` (title, text, fields, pictures, footer, buttons), and
sends or edits it through :func:`send_kwargs` / :func:`edit_card`. The V2 form is one Container (the embed's
colour as its accent) holding the lead line, the title (a Section beside the thumbnail when there is one), the
description, the fields (a run of inline fields as one Text Display, each other field as its own), a Media
Gallery of the pictures, the footer as small text, and the buttons in an Action Row. The message then carries
the IS_COMPONENTS_V2 flag and no content or embeds (components/reference.mdx of discord-api-docs).

A card keeps the form it was posted in. Discord never takes the V2 flag off a message, and setting it on an
edit needs the message's content and embeds reset (resources/message.mdx, Edit Message: "the
IS_COMPONENTS_V2 flag can only be set ... any of the used content, embeds ... fields must have their values
reset to empty", else 400). So :func:`edit_card` edits in the configured form and, when Discord refuses that
edit (400, 50035: an embed on a V2 message, or a V2 layout over an embed card), in the other: an old card is
still kept current after the setting changed, and no request is spent on the usual edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import discord

Form = Literal["embed", "v2"]
INVALID_FORM_BODY = 50035
MAX_GALLERY = 10  # components/reference.mdx, Media Gallery: "1 to 10 media gallery items"
MAX_TEXT = 4000  # a Text Display's content (openapi.json, TextDisplayComponentForMessageRequest)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Card:
    title: str
    colour: discord.Colour
    description: str | None = None
    fields: tuple[Field, ...] = ()
    url: str | None = None  # the title's link
    thumbnail: str | None = None
    images: tuple[str, ...] = ()  # V2: a Media Gallery; embed: the first one as the embed's image
    footer: str | None = None
    author: str | None = None  # a line above the title (the embed's author)
    author_icon: str | None = None
    timestamp: datetime | None = None
    lead: str | None = None  # a line before the card: the message content of the embed form
    buttons: Callable[[], Sequence[discord.ui.Item[Any]]] = field(default=lambda: ())  # fresh items per message

    # ------------------------------------------------------------------ the classic embed

    def embed(self) -> discord.Embed:
        embed = discord.Embed(title=self.title[:256], url=self.url, description=self.description or None,
                              colour=self.colour, timestamp=self.timestamp)
        if self.author:
            embed.set_author(name=self.author[:256], icon_url=self.author_icon)
        if self.thumbnail:
            embed.set_thumbnail(url=self.thumbnail)
        for f in self.fields:
            embed.add_field(name=f.name[:256], value=f.value[:1024], inline=f.inline)
        if self.images:
            embed.set_image(url=self.images[0])
        if self.footer:
            embed.set_footer(text=self.footer[:2048])
        return embed

    def view(self) -> discord.ui.View | None:
        items = list(self.buttons())
        if not items:
            return None
        view = discord.ui.View(timeout=None)
        for item in items:
            view.add_item(item)
        return view

    # ------------------------------------------------------------------ Components V2

    def layout(self) -> discord.ui.LayoutView:
        parts: list[discord.ui.Item[Any]] = []
        if self.lead:
            parts.append(discord.ui.TextDisplay(self.lead[:MAX_TEXT]))
        if self.author:
            parts.append(discord.ui.TextDisplay(f"-# {self.author}"[:MAX_TEXT]))
        title = f"## [{self.title}]({self.url})" if self.url else f"## {self.title}"
        if self.thumbnail:
            parts.append(discord.ui.Section(discord.ui.TextDisplay(title[:MAX_TEXT]),
                                            accessory=discord.ui.Thumbnail(self.thumbnail)))
        else:
            parts.append(discord.ui.TextDisplay(title[:MAX_TEXT]))
        if self.description:
            parts.append(discord.ui.TextDisplay(self.description[:MAX_TEXT]))
        if self.fields:
            parts.append(discord.ui.Separator())
            parts += [discord.ui.TextDisplay(text[:MAX_TEXT]) for text in _field_texts(self.fields)]
        if self.images:
            parts.append(discord.ui.MediaGallery(*(discord.MediaGalleryItem(url)
                                                   for url in self.images[:MAX_GALLERY])))
        small = " · ".join(x for x in (self.footer, discord.utils.format_dt(self.timestamp)
                                        if self.timestamp else None) if x)
        if small:
            parts.append(discord.ui.TextDisplay(f"-# {small}"[:MAX_TEXT]))
        items = list(self.buttons())
        if items:
            parts.append(discord.ui.ActionRow(*items))
        view = discord.ui.LayoutView(timeout=None)
        view.add_item(discord.ui.Container(*parts, accent_colour=self.colour))
        return view


def _field_texts(fields: Sequence[Field]) -> Iterator[str]:
    """A run of inline fields as one text (``**Name:** value`` a line), each other field under a heading."""
    run: list[str] = []
    for f in fields:
        if f.inline:
            run.append(f"**{f.name}:** {f.value}")
            continue
        if run:
            yield "\n".join(run)
            run = []
        yield f"### {f.name}\n{f.value}"
    if run:
        yield "\n".join(run)


def send_kwargs(card: Card, form: Form) -> dict[str, Any]:
    """The keyword arguments of ``send``/``create_thread`` for ``card`` in ``form`` (the caller adds
    ``allowed_mentions``)."""
    if form == "v2":
        return {"view": card.layout()}
    out: dict[str, Any] = {"embed": card.embed()}
    view = card.view()
    if view is not None:
        out["view"] = view
    if card.lead:
        out["content"] = card.lead
    return out


def _edit_kwargs(card: Card, form: Form) -> dict[str, Any]:
    if form == "v2":  # content and embeds untouched: Discord refuses this on an embed card (see the docstring)
        return {"view": card.layout()}
    return {"embed": card.embed(), "view": card.view()}


def other(form: Form) -> Form:
    return "embed" if form == "v2" else "v2"


async def edit_card(message: discord.PartialMessage | discord.Message, card: Card, form: Form,
                    **extra: Any) -> discord.Message:
    """Edit ``message`` to show ``card``: in ``form`` (the configured one), or in the other when Discord refuses
    that because the card was posted in the other form (see the module docstring). Other failures are raised."""
    if isinstance(message, discord.Message):  # its flags say which form it has: no refused request
        form = "v2" if message.flags.components_v2 else "embed"
        return await message.edit(**_edit_kwargs(card, form), **extra)
    try:
        return await message.edit(**_edit_kwargs(card, form), **extra)
    except discord.HTTPException as exc:
        if exc.status != 400 or exc.code != INVALID_FORM_BODY:
            raise
        return await message.edit(**_edit_kwargs(card, other(form)), **extra)


def form_of(message: discord.Message) -> Form:
    return "v2" if message.flags.components_v2 else "embed"


def marks(message: discord.Message) -> set[str]:
    """What identifies a card in either form: embed footers and links, button links and custom ids, and the
    small text lines (``-# ...``, the V2 footer, without the marker) and their parts split at " · "."""
    found: set[str] = set()
    for e in message.embeds:
        found.update(x for x in (e.footer.text, e.url) if x)

    def walk(comps: Sequence[Any]) -> None:
        for c in comps:
            for name in ("url", "custom_id"):
                value = getattr(c, name, None)
                if isinstance(value, str) and value:
                    found.add(value)
            content = getattr(c, "content", None)
            if isinstance(content, str) and content.startswith("-# "):
                small = content[3:]
                found.add(small)
                found.update(small.split(" · "))
            walk(getattr(c, "children", None) or [])
            accessory = getattr(c, "accessory", None)
            if accessory is not None:
                walk([accessory])

    walk(message.components)
    return found
