"""The showcase card of a featured post as a Components V2 card (``[guilds.<id>] cards = "v2"``), with a Media
Gallery of the post's images, and as the classic embed (the first image as the embed's image).

components/reference.mdx (discord-api-docs): a Media Gallery (type 12) shows "1-10 media attachments", each item
an unfurled media item with a ``url``; layout components need the flag ``1 << 15`` (IS_COMPONENTS_V2) and then
"the content and embeds fields will no longer work". The "Jump to the post" link button sits in the card."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.harness import Harness
from tests.cards_helpers import is_v2, text, walk
from tests.contributions._helpers import points, reply_text

V2_CONFIG = {"guilds": {"default": {"cards": "v2"}}}


def image(n: int) -> dict[str, Any]:
    url = f"https://cdn.discordapp.com/attachments/1/{900 + n}/rig{n}.png"
    return {"id": str(900 + n), "filename": f"rig{n}.png", "size": 10, "url": url, "proxy_url": url,
            "content_type": "image/png"}


async def featured_card(kudos: Harness, attachments: list[dict[str, Any]]) -> tuple[Any, Any]:
    post = await kudos.emu.send_message(kudos.channel_id("general"), kudos.members["bob"],
                                        "My timelapse rig @everyone", attachments=attachments)
    await kudos.settle()
    done = await kudos.member("carol").context_menu("Feature this post", message_id=post.id)
    assert "Featured in" in reply_text(done)
    [card] = [m for m in kudos.emu.messages(kudos.channel_id("showcase")) if m.author_id == kudos.emu.bot_user_id]
    return post, card


@pytest.mark.parametrize("bot_config", [V2_CONFIG])
async def test_v2_showcase_card_has_the_media_gallery(kudos: Harness) -> None:
    post, card = await featured_card(kudos, [image(1), image(2)])
    assert is_v2(card)
    shown = text(card)
    assert "My timelapse rig @everyone" in shown and f"**By:** <@{kudos.members['bob']}>" in shown
    assert f"**Featured:** by <@{kudos.members['carol']}>" in shown and "-# bob" in shown
    [gallery] = [c for c in walk(card.components) if c["type"] == 12]
    assert [i["media"]["url"] for i in gallery["items"]] == [image(1)["url"], image(2)["url"]]
    [jump] = [c for c in walk(card.components) if c["type"] == 2]
    assert jump["label"] == "Jump to the post" and jump["url"].endswith(f"/{post.id}")
    assert card.allowed_mentions == {"parse": []}  # echoing member text never pings
    assert await points(kudos, "bob", "creation") == 8
    assert kudos.emu.validator.violations == []


@pytest.mark.parametrize("bot_config", [V2_CONFIG])
async def test_v2_showcase_card_without_images_has_no_gallery(kudos: Harness) -> None:
    _post, card = await featured_card(kudos, [])
    assert is_v2(card) and not [c for c in walk(card.components) if c["type"] == 12]


async def test_embed_showcase_card_shows_the_first_image(kudos: Harness) -> None:
    _post, card = await featured_card(kudos, [image(1), image(2)])
    assert not card.flags & (1 << 15) and card.embeds[0]["image"]["url"] == image(1)["url"]
