"""The ``/profile`` card and the showcase card of a featured post, drawn as a classic embed or as a Components V2 layout (``[guilds.<id>] cards``).

Components V2 (discord.py 2.7 ``LayoutView``): a Container (the accent colour of the embed) holding a Section
with the title and points beside the member's avatar (a Thumbnail), then Text Displays for the points per
kind, the stage with its progress bar, the next reward and the latest receipts, between Separators. The
message then carries the IS_COMPONENTS_V2 flag and no content or embeds (components/reference.mdx).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

from bot.core.cards import MAX_GALLERY, Card, Field
from bot.platform.i18n import Translator, translator

COLOUR = discord.Colour.blurple()


@dataclass(frozen=True, slots=True)
class ProfileCard:
    title: str
    avatar_url: str
    total: str
    by_kind: str
    stage: str
    reward: str | None
    latest: str
    extra: tuple[tuple[str, str], ...] = ()  # (heading, text) after the stage: powers, what the brand gave
    tr: Callable[..., Any] = str  # the reader's translation function (bot.platform.i18n), for the headings

    def embed(self) -> discord.Embed:
        embed = discord.Embed(title=self.title, colour=COLOUR)
        embed.set_thumbnail(url=self.avatar_url)
        embed.add_field(name=self.tr("Points"), value=self.total, inline=False)
        embed.add_field(name=self.tr("By kind"), value=self.by_kind, inline=True)
        embed.add_field(name=self.tr("Stage"), value=self.stage, inline=True)
        for name, value in self.extra:
            embed.add_field(name=name[:256], value=value[:1024], inline=False)
        if self.reward is not None:
            embed.add_field(name=self.tr("Next reward"), value=self.reward, inline=False)
        embed.add_field(name=self.tr("Latest"), value=self.latest, inline=False)
        return embed

    def layout(self) -> discord.ui.LayoutView:
        view = discord.ui.LayoutView(timeout=None)
        head = discord.ui.Section(discord.ui.TextDisplay(f"## {self.title}"), discord.ui.TextDisplay(self.total),
                                  accessory=discord.ui.Thumbnail(self.avatar_url))
        parts: list[discord.ui.Item[discord.ui.LayoutView]] = [
            head, discord.ui.Separator(),
            discord.ui.TextDisplay(f"### {self.tr('By kind')}\n{self.by_kind}"),
            discord.ui.TextDisplay(f"### {self.tr('Stage')}\n{self.stage}"),
            *(discord.ui.TextDisplay(f"### {name}\n{value}") for name, value in self.extra),
        ]
        if self.reward is not None:
            parts.append(discord.ui.TextDisplay(f"### {self.tr('Next reward')}\n{self.reward}"))
        parts += [discord.ui.Separator(), discord.ui.TextDisplay(f"### {self.tr('Latest')}\n{self.latest}")]
        view.add_item(discord.ui.Container(*parts, accent_colour=COLOUR))
        return view


def showcase_card(post: discord.Message, where: Any, author: discord.Member | discord.User, credit_line: str,
                  tr: Translator | None = None) -> Card:
    """The showcase card of a featured post (public: ``tr`` is the server's language), drawn as an embed or a
    V2 layout (:mod:`bot.core.cards`): the title, the post's text, who wrote it and how it was featured, and its
    pictures (V2: a Media Gallery of up to 10; the embed shows the first), with a link to the post."""
    tr = tr or translator()
    is_starter = isinstance(where, discord.Thread) and post.id == where.id
    title = where.name if is_starter else tr("A post in #{channel}", channel=getattr(where, "name", "a channel"))
    jump = tr("Jump to the post")
    images = tuple(a.url for a in post.attachments if (a.content_type or "").startswith("image/"))
    return Card(
        title=title[:256], url=post.jump_url, description=(post.content or "")[:1500] or None,
        colour=discord.Colour.gold(), timestamp=post.created_at, author=author.display_name,
        author_icon=author.display_avatar.url,
        fields=(Field(tr("By"), author.mention), Field(tr("Featured"), credit_line)),
        images=images[:MAX_GALLERY],
        buttons=lambda: [discord.ui.Button(label=jump, url=post.jump_url)],
    )
