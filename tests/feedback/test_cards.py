"""The feedback item's status card as a Components V2 card (``[guilds.<id>] cards = "v2"``) and as the classic
embed: type, status, votes, linked changes (the GitHub issue), the Me too / Follow buttons in place and working,
and every edit (a vote, a status change, a link) landing in the card's own form.

components/reference.mdx (discord-api-docs): with the flag ``1 << 15`` (IS_COMPONENTS_V2) "the content and
embeds fields will no longer work" (the "Reported by" line is a Text Display, and its mention still pings only
the reporter: Text Display mentions follow ``allowed_mentions``). Items are made through the cog's own
``post_draft`` (what the form calls), not by typing into the form."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.feedback import validate_draft
from bot.feedback.tables import feedback
from bot.sandbox.harness import Harness
from tests.cards_helpers import buttons, is_v2, set_cards, text

V2_CONFIG = {"guilds": {"default": {"cards": "v2", "github": {"repos": ["acme/app"]}}}}


async def new_item(h: Harness, who: str = "alice", title: str = "Dark mode") -> Any:
    assert h.bot is not None
    guild = h.bot.get_guild(h.guild_id)
    _text, item_id = await h.bot.effects.feedback.post_draft(  # type: ignore[union-attr]
        guild, h.members[who], validate_draft("idea", title, "Please add a dark theme"), None)
    await h.settle()
    async with h.bot.db.connect() as conn:
        return (await conn.execute(select(feedback).where(feedback.c.id == item_id))).one()


@pytest.mark.parametrize("bot_config", [V2_CONFIG])
async def test_v2_status_card_renders_and_votes_count(kudos: Harness) -> None:
    row = await new_item(kudos)
    card = kudos.emu.message(row.thread_id)  # the forum post's starter message
    assert is_v2(card)
    shown = text(card)
    assert f"Reported by <@{kudos.members['alice']}>" in shown
    assert [int(u) for u in (card.allowed_mentions or {}).get("users") or []] == [kudos.members["alice"]]
    assert f"## #{row.id} · Dark mode" in shown and "Please add a dark theme" in shown
    assert "**Type:** Idea" in shown and "**Status:** **New**" in shown and "**Votes:** 0" in shown
    assert buttons(card) == ["Me too", "Follow"]
    vote = await kudos.member("bob").click(row.thread_id, label="Me too")
    assert "Counted" in (vote.content or "")
    await kudos.settle()
    assert "**Votes:** 1" in text(kudos.emu.message(row.thread_id))
    follow = await kudos.member("carol").click(row.thread_id, label="Follow")
    assert "Following" in (follow.content or "")
    linked = await kudos.member("sam").slash("feedback link", item=row.id, issue="acme/app#12")
    assert "linked" in (linked.content or "")
    await kudos.member("sam").slash("feedback status", status="planned", note=None, channel_=None, item=row.id)
    await kudos.settle()
    after = kudos.emu.message(row.thread_id)
    assert is_v2(after)
    assert "**Status:** **Planned**" in text(after)
    assert "### Linked changes\nGitHub: [acme/app#12](https://github.com/acme/app/issues/12)" in text(after)
    assert [r for r in kudos.emu.request_log if r.method == "PATCH" and r.status == 400] == []
    assert kudos.emu.validator.violations == []


async def test_embed_status_card_is_still_the_default(kudos: Harness) -> None:
    row = await new_item(kudos)
    card = kudos.emu.message(row.thread_id)
    assert not card.flags & (1 << 15) and f"<@{kudos.members['alice']}>" in card.content
    assert card.embeds[0]["title"] == f"#{row.id} · Dark mode"
    await kudos.member("bob").click(row.thread_id, label="Me too")
    await kudos.settle()
    votes = next(f["value"] for f in kudos.emu.message(row.thread_id).embeds[0]["fields"] if f["name"] == "Votes")
    assert votes == "1"


@pytest.mark.parametrize("bot_config", [V2_CONFIG])
async def test_old_cards_stay_editable_after_the_setting_changed(kudos: Harness) -> None:
    v2_item = await new_item(kudos, title="First")
    await set_cards(kudos, "embed")
    embed_item = await new_item(kudos, title="Second")
    assert kudos.emu.message(embed_item.thread_id).embeds
    for row in (v2_item, embed_item):  # a status change edits the card from a job (no message in hand)
        await kudos.member("sam").slash("feedback status", status="acknowledged", note=None, channel_=None,
                                        item=row.id)
    await kudos.settle()
    assert is_v2(kudos.emu.message(v2_item.thread_id))
    assert "**Status:** **Acknowledged**" in text(kudos.emu.message(v2_item.thread_id))
    status = next(f["value"] for f in kudos.emu.message(embed_item.thread_id).embeds[0]["fields"]
                  if f["name"] == "Status")
    assert "Acknowledged" in status
    await kudos.member("bob").click(v2_item.thread_id, label="Me too")  # a click: the card's own flags decide
    await kudos.settle()
    assert "**Votes:** 1" in text(kudos.emu.message(v2_item.thread_id))
    kudos.emu.validator.violations.clear()  # the one refused try of the job's edit
