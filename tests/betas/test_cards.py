"""The beta announcement as a Components V2 card (``[guilds.<id>] cards = "v2"``) and as the classic embed: the
description, spots left, terms, and the Join / Leave / Give feedback buttons in place, working.

components/reference.mdx (discord-api-docs): layout components need the flag ``1 << 15`` (IS_COMPONENTS_V2),
with which "the content and embeds fields will no longer work"; resources/message.mdx, Edit Message: the flag
"can only be set" and content/embeds must be reset to set it, so a card keeps the form it was posted in when
the setting changes (the emulator refuses the other form, like Discord)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.harness import Harness
from tests.cards_helpers import buttons, is_v2, set_cards, text

V2_CONFIG = {"guilds": {"default": {"cards": "v2", "betas": {"announcement_debounce_seconds": 0.05}}}}


async def create(h: Harness, name: str = "Photos v2", **options: Any) -> Any:
    opened = await h.member("sam").slash("beta create", name=name, **options)
    assert opened.modal is not None, opened.content
    return await h.member("sam").submit_modal(opened, {"Description": "Try the new photo uploader."})


def announcement(h: Harness) -> Any:
    msgs = [m for m in h.emu.messages(h.channel_id("announcements")) if m.author_id == h.emu.bot_user_id]
    assert msgs, "no announcement posted"
    return msgs[-1]


@pytest.mark.parametrize("bot_config", [V2_CONFIG])
async def test_v2_announcement_renders_and_its_buttons_work(kudos: Harness) -> None:
    await create(kudos, capacity=3, terms="Keep the photos private.")
    post = announcement(kudos)
    assert is_v2(post)
    shown = text(post)
    assert "## Beta: Photos v2" in shown and "Try the new photo uploader." in shown
    assert "**Spots:** **3** of 3 spots left" in shown
    assert "### Terms\nKeep the photos private." in shown
    assert "-# beta #1" in shown  # the footer a retried post finds its message by
    assert buttons(post) == ["Join", "Leave", "Give feedback"]
    assert post.components[0]["accent_color"] == 0x5865F2
    form = await kudos.member("alice").click(post.id, label="Join")  # the terms first: their form's checkbox
    joined = await kudos.member("alice").submit_modal(form, {"I accept the terms": True})
    assert "You're in" in (joined.content or "")
    await kudos.settle()
    after = kudos.emu.message(post.id)
    assert is_v2(after) and "**Spots:** **2** of 3 spots left" in text(after)  # the refresh edit, in V2
    left = await kudos.member("alice").click(post.id, label="Leave")
    assert left.ephemeral
    await kudos.settle()
    assert "**3** of 3 spots left" in text(kudos.emu.message(post.id))
    form = await kudos.member("bob").click(post.id, label="Give feedback")
    assert form.modal is not None or form.content  # the feedback form (or its type picker) opens
    assert kudos.emu.validator.violations == []


async def test_embed_announcement_is_still_the_default(kudos: Harness) -> None:
    await create(kudos, capacity=3)
    post = announcement(kudos)
    assert not post.flags & (1 << 15) and post.embeds[0]["title"] == "Beta: Photos v2"
    assert [c["label"] for c in post.components[0]["components"]] == ["Join", "Leave", "Give feedback"]
    await kudos.member("bob").click(post.id, label="Join")
    await kudos.settle()
    spots = next(f["value"] for f in kudos.emu.message(post.id).embeds[0]["fields"] if f["name"] == "Spots")
    assert "**2** of 3 spots left" in spots


@pytest.mark.parametrize("bot_config", [V2_CONFIG])
async def test_switching_the_setting_keeps_old_cards_editable(kudos: Harness) -> None:
    """A V2 card stays V2 after the setting went back to embeds (Discord can't take the flag off), and an
    embed card posted before the switch to V2 stays an embed: each refresh edit still lands."""
    await create(kudos, name="First", capacity=5)
    v2_card = announcement(kudos)
    assert is_v2(v2_card)
    await set_cards(kudos, "embed")
    await kudos.member("bob").click(v2_card.id, label="Join")
    await kudos.settle()
    assert is_v2(kudos.emu.message(v2_card.id)) and "**4** of 5 spots left" in text(kudos.emu.message(v2_card.id))
    await create(kudos, name="Second", capacity=5)
    embed_card = announcement(kudos)
    assert embed_card.embeds and embed_card.embeds[0]["title"] == "Beta: Second"
    await set_cards(kudos, "v2")
    await kudos.member("carol").click(embed_card.id, label="Join")
    await kudos.settle()
    edited = kudos.emu.message(embed_card.id)
    assert not edited.flags & (1 << 15)
    assert "**4** of 5 spots left" in next(f["value"] for f in edited.embeds[0]["fields"] if f["name"] == "Spots")
    refused = [r for r in kudos.emu.request_log if r.method == "PATCH" and r.status == 400]
    assert len(refused) == 2  # one refused try per old card, then the edit in the card's own form
    kudos.emu.validator.violations.clear()  # the refused tries
