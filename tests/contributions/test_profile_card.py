"""``/profile`` as a Components V2 card (``[guilds.<id>] cards = "v2"``) and as the classic embed (the default).

Discord's docs (github.com/discord/discord-api-docs), developers/components/reference.mdx: layout components
need the message flag ``1 << 15`` (IS_COMPONENTS_V2), with which "the content and embeds fields will no longer
work"; Container is type 17, Section 9 (with an ``accessory``, here a Thumbnail, type 11), Text Display 10,
Separator 14. The emulator refuses a V2 payload that breaks those rules, and the request is validated against
openapi.json.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.harness import Harness

V2 = 1 << 15


def texts(components: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for c in components:
        if c.get("type") == 10:
            out.append(c["content"])
        out += texts(c.get("components") or [])
    return out


async def credit(kudos: Harness, name: str) -> None:
    assert kudos.bot is not None
    await kudos.bot.app.ledger.credit(kudos.guild_id, kudos.members[name], "answer", source_key="a1", actor_id=None)
    await kudos.settle()


@pytest.mark.parametrize("bot_config", [{"guilds": {"default": {"cards": "v2"}}}])
async def test_profile_is_a_v2_container_with_the_numbers(kudos: Harness) -> None:
    await credit(kudos, "bob")
    answer = await kudos.member("bob").slash("profile")
    shown = answer.message
    assert shown is not None and answer.ephemeral  # only bob sees it
    assert shown.flags & V2  # Components V2
    assert not shown.content and not shown.embeds
    [container] = shown.components
    assert container["type"] == 17 and container["accent_color"] == 0x5865F2
    head = container["components"][0]
    assert head["type"] == 9 and head["accessory"]["type"] == 11
    assert head["accessory"]["media"]["url"].startswith("http")
    [title, total, by_kind, stage, *extra, latest] = texts(shown.components)
    assert title == "## bob's kudos" and total.startswith("**10** points")
    # After the stage: the powers (privileges are on by default) and what the brand gave (#26).
    assert [e.split("\n", 1)[0] for e in extra] == ["### Powers", "### What Acme Community gave you"]
    assert "answer: **10** (1)" in by_kind and stage.startswith("### Stage\n**")
    assert latest.startswith("### Latest\n") and "+10 answer" in latest
    assert [c["type"] for c in container["components"]].count(14) == 2  # two separators
    assert kudos.emu.validator.violations == []


async def test_profile_falls_back_to_the_classic_embed(kudos: Harness) -> None:
    await credit(kudos, "bob")
    answer = await kudos.member("bob").slash("profile")
    shown = answer.message
    assert shown is not None and not shown.flags & V2 and not shown.components
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert fields["Points"].startswith("**10** points") and "answer: **10** (1)" in fields["By kind"]
    assert shown.embeds[0]["title"] == "bob's kudos"
