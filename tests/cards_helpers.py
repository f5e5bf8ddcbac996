"""Reading a card back from the emulator in either form (``[guilds.<id>] cards``), for the card tests.

components/reference.mdx (discord-api-docs): a V2 message carries the flag ``1 << 15`` (IS_COMPONENTS_V2) and
no content or embeds; Container is type 17, Section 9, Text Display 10, Thumbnail 11, Media Gallery 12,
Separator 14, Action Row 1, Button 2."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.sandbox.harness import Harness

V2 = 1 << 15


def walk(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in components:
        out.append(c)
        out += walk(c.get("components") or [])
        if isinstance(c.get("accessory"), dict):
            out += walk([c["accessory"]])
    return out


def texts(message: Any) -> list[str]:
    return [c["content"] for c in walk(message.components) if c.get("type") == 10]


def text(message: Any) -> str:
    return "\n".join(texts(message))


def buttons(message: Any) -> list[str]:
    return [c.get("label") for c in walk(message.components) if c.get("type") == 2]


def is_v2(message: Any) -> bool:
    """A V2 card: the flag, one Container, no content and no embeds."""
    if not message.flags & V2:
        return False
    assert not message.content and not message.embeds
    assert [c["type"] for c in message.components] == [17]
    return True


async def set_cards(h: Harness, form: str) -> None:
    """The server's own setting changes between posts (``/settings set cards``)."""
    assert h.bot is not None
    await h.bot.app.settings.set(h.guild_id, "cards", f'"{form}"', h.members["sam"])
    assert h.bot.guild_config(h.guild_id).cards == form
