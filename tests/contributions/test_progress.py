"""/profile's progress bar to the nearest reward the member can still earn (config rules and rules made with
``/rewards rule add``), through the emulator on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox.harness import Harness, RoleSpec, WorldSpec

CODES = ["ACME-STORAGE-0001", "ACME-STORAGE-0002"]


@pytest.fixture
def world() -> WorldSpec:
    spec = WorldSpec.default()
    spec.roles.append(RoleSpec("Helper Star"))
    return spec


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "description": "500 MB"}],
        "rewards": [
            {"name": "helper", "trigger": {"kind": "answer", "count": 2}, "role": "Helper Star",
             "perk_pool": "storage", "dm": "Thanks for helping! Your storage code: {code}"},
            {"name": "fifty", "trigger": {"points": 50}, "dm": "Fifty points, thank you!"},
            {"name": "weekly", "trigger": {"points": 25, "window_days": 7}, "dm": "A great week!",
             "repeatable": True, "cooldown_days": 7},
            {"name": "joiner", "trigger": {"event": "beta_joined"}, "dm": "Welcome to the beta"},
        ],
    }}}


async def give_answer(kudos: Harness, name: str) -> None:
    reply = await kudos.member("sam").slash("contrib give", member=kudos.members[name], kind="answer",
                                            reason="answered in voice chat")
    assert "Entry #" in (reply.content or ""), reply.content
    await kudos.settle()


async def next_reward(kudos: Harness, name: str, viewer: str | None = None) -> str | None:
    shown = await kudos.member(viewer or name).slash("profile", **({"member": kudos.members[name]} if viewer else {}))
    assert shown.ephemeral
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert fields["Stage"].startswith("**")  # the ladder stage is still shown
    return fields.get("Next reward")


async def test_bar_shows_the_nearest_reward_then_the_next_once_granted(kudos: Harness) -> None:
    reply = await kudos.member("sam").slash("perks add-codes", pool="storage", codes=" ".join(CODES))
    assert "Added" in (reply.content or "")
    # nothing yet: every threshold is equally far (gap 1); the smallest remaining amount wins
    assert await next_reward(kudos, "bob") == (
        f"**helper** — role <@&{kudos.role_id('Helper Star')}>, a code from storage\n"
        "0/2 answer credits ▱▱▱▱▱▱▱▱▱▱ 0%\n2 more answer credits to go")

    await give_answer(kudos, "bob")  # 10 points, 1 answer: helper 1/2 (gap .5), weekly 10/25 (.6), fifty 10/50 (.8)
    shown = await next_reward(kudos, "bob", viewer="alice")  # someone else's profile shows it too
    assert shown is not None and shown.startswith("**helper**")
    assert "1/2 answer credits ▰▰▰▰▰▱▱▱▱▱ 50%\n1 more answer credit to go" in shown

    await give_answer(kudos, "bob")  # helper earned (role + code); 20 points: weekly 20/25 (.2), fifty 20/50 (.6)
    assert any(CODES[0] in f"{m.content} {m.embeds}" for m in kudos.member("bob").dms())
    shown = await next_reward(kudos, "bob")
    assert shown == ("**weekly** — a DM\n20/25 points within 7 days ▰▰▰▰▰▰▰▰▱▱ 80%\n"
                     "5 more points within 7 days to go")

    await give_answer(kudos, "bob")  # 30 points: weekly earned; fifty 30/50 is next
    shown = await next_reward(kudos, "bob")
    assert shown == "**fifty** — a DM\n30/50 points ▰▰▰▰▰▰▱▱▱▱ 60%\n20 more points to go"
    for _ in range(2):
        await give_answer(kudos, "bob")
    shown = await next_reward(kudos, "bob")  # fifty earned, helper earned, weekly in its cooldown
    assert shown == "All rewards earned 🎉"
    text = "\n".join(f"{m.content} {m.embeds}" for m in kudos.member("bob").dms())
    assert "Fifty points" in text and "A great week" in text

    await kudos.advance(timedelta(days=8))  # weekly can be earned again; its window is empty now
    shown = await next_reward(kudos, "bob")
    assert shown == ("**weekly** (again) — a DM\n0/25 points within 7 days ▱▱▱▱▱▱▱▱▱▱ 0%\n"
                     "25 more points within 7 days to go")
    profiles = [e for m in kudos.member("bob").ephemerals() for e in m.embeds]
    assert profiles and not any(code in str(e) for e in profiles for code in CODES)  # never a perk code


@pytest.mark.parametrize("bot_config", [{"guilds": {"default": {
    "rewards": [{"name": "joiner", "trigger": {"event": "beta_joined"}, "dm": "Welcome"}]}}}])
async def test_no_threshold_rules_no_bar_until_one_is_added_by_command(kudos: Harness) -> None:
    await give_answer(kudos, "bob")
    assert await next_reward(kudos, "bob") is None  # only an event rule: nothing to measure
    added = await kudos.member("sam").slash("rewards rule add", name="thirty", trigger="points:30",
                                            dm="Thirty points!")
    assert "thirty" in (added.content or ""), added.content
    assert await next_reward(kudos, "bob") == "**thirty** — a DM\n10/30 points ▰▰▰▱▱▱▱▱▱▱ 33%\n20 more points to go"
    removed = await kudos.member("sam").slash("rewards rule remove", name="thirty")
    assert removed.ephemeral
    assert await next_reward(kudos, "bob") is None


@pytest.mark.parametrize("bot_config", [{"guilds": {"default": {}}}])
async def test_guild_without_rules_has_no_bar(kudos: Harness) -> None:
    await give_answer(kudos, "bob")
    assert await next_reward(kudos, "bob") is None
