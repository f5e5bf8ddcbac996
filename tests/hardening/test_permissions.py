"""The permission matrix, generated from the bot's own command tree so a new command cannot escape it.

- every command guarded by ``require(level)`` is refused at run time to a plain member (the emulator, like a
  server whose admin changed the command's default permissions, lets the member invoke it);
- a command hidden by default permissions always has the runtime check too;
- ids from another guild are refused (a crafted custom id for a button that is not on the message never
  reaches the bot: Discord, like the emulator, only sends clicks of components the message has);
- buttons on one member's private messages refuse other members (also with a crafted custom id).
"""

from __future__ import annotations

from typing import Any

import discord
import pytest
from sqlalchemy import func, select

from bot.core.checks import required_level
from bot.feedback.tables import feedback
from bot.ledger.tables import contributions
from bot.platform.tables import audit_log
from bot.rewards.tables import grants, perk_codes, reward_rules
from tests.hardening.conftest import CODES
from tests.hardening.scenario import credit_answers, feedback_rows, load_codes, member_grants, report_bug
from tests.hardening.support import COUNTS, HardenedHarness

WRITES = (audit_log, contributions, feedback, grants, perk_codes, reward_rules)


def guarded_commands(h: HardenedHarness) -> list[tuple[str, str]]:
    assert h.bot is not None
    out = []
    for cmd in h.bot.tree.walk_commands():
        if isinstance(cmd, discord.app_commands.Command):
            level = required_level(cmd)
            if level is not None:
                out.append((cmd.qualified_name, level))
    return sorted(out)


def option_defs(h: HardenedHarness, qualified: str) -> list[dict[str, Any]]:
    parts = qualified.split()
    cmd = next(c for c in h.emu.commands(h.guild_id) if c["name"] == parts[0] and int(c.get("type") or 1) == 1)
    defs = cmd.get("options") or []
    for part in parts[1:]:
        defs = next(o for o in defs if o["name"] == part).get("options") or []
    return defs


def minimal_options(h: HardenedHarness, qualified: str) -> dict[str, Any]:
    """A value for every required option, of the right type (choices: the first)."""
    values: dict[str, Any] = {}
    for d in option_defs(h, qualified):
        if not d.get("required"):
            continue
        otype = int(d["type"])
        if d.get("choices"):
            values[d["name"]] = d["choices"][0]["value"]
        elif otype == 3:
            values[d["name"]] = "x"
        elif otype in (4, 10):
            values[d["name"]] = max(1, int(d.get("min_value") or 1))
        elif otype == 5:
            values[d["name"]] = True
        elif otype in (6, 9):
            values[d["name"]] = h.members["alice"]
        elif otype == 7:
            values[d["name"]] = h.channel_id("general")
        elif otype == 8:
            values[d["name"]] = h.role_id("Helper Star")
        elif otype == 11:  # an attachment: (filename, bytes), served by the emulator's CDN
            values[d["name"]] = ("x.toml", b"[points]\nanswer = 1\n")
        else:
            pytest.fail(f"/{qualified}: option {d['name']!r} of type {otype} has no generated value")
    return values


async def write_counts(h: HardenedHarness) -> list[int]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return [int((await conn.execute(select(func.count()).select_from(t))).scalar_one()) for t in WRITES]


async def test_every_guarded_command_refuses_a_plain_member_at_run_time(hk: HardenedHarness) -> None:
    matrix = guarded_commands(hk)
    assert len(matrix) >= 20, matrix  # the tree is really enumerated
    before = await write_counts(hk)
    refused = []
    for name, level in matrix:
        reply = await hk.member("bob").slash(name, **minimal_options(hk, name))
        COUNTS["permission checks"] += 1
        text = reply.content or ""
        assert not reply.failed and reply.ephemeral, f"/{name}: {text!r}"
        assert f"Only {level} members" in text, f"/{name} was not refused to a plain member: {text!r}"
        assert reply.modal is None, f"/{name} opened a form for a plain member"
        refused.append(name)
    assert await write_counts(hk) == before  # nothing written for any of them
    # and staff pass the same check (the matrix is not refusing everyone)
    ok = await hk.member("sam").slash("rewards rule list")
    assert "Only staff" not in (ok.content or "")


async def test_every_command_hidden_by_default_permissions_also_checks_at_run_time(hk: HardenedHarness) -> None:
    assert hk.bot is not None
    holes = []
    for cmd in hk.bot.tree.walk_commands():
        if not isinstance(cmd, discord.app_commands.Command):
            continue
        hidden = cmd.default_permissions is not None or (cmd.parent is not None and (
            cmd.parent.default_permissions is not None
            or (cmd.parent.parent is not None and cmd.parent.parent.default_permissions is not None)))
        if hidden and required_level(cmd) is None:
            holes.append(cmd.qualified_name)
    assert holes == [], f"hidden only by default permissions (an admin can unhide them): {holes}"


async def test_staff_context_menu_refuses_a_plain_member(hk: HardenedHarness) -> None:
    msg = await hk.member("alice").say("How to set up the app: step 1 …", in_="showcase")
    reply = await hk.member("bob").context_menu("Approve guide", message_id=msg.id)
    COUNTS["permission checks"] += 1
    assert reply.ephemeral and "staff" in (reply.content or "").lower(), reply.content


async def test_ids_from_another_guild_are_refused(hk: HardenedHarness) -> None:
    other = hk.emu.create_guild("Other Community")
    hk.emu.create_channel(other.id, "feedback", "forum", tags=["Bug", "Idea", "New", "Acknowledged"])
    await hk.settle()
    await hk.emu.wait_until_connected()
    # an item and a grant in the first guild
    await load_codes(hk, CODES[:3])
    await report_bug(hk, "alice")
    await credit_answers(hk, "alice", 3)
    item = (await feedback_rows(hk))[0]
    grant = (await member_grants(hk, "alice"))[0]
    # staff of the other guild (an administrator there) use those ids
    boss = hk.emu.add_member(other.id, "otherboss")
    admin_role = hk.emu.create_role(other.id, "Admins", permissions=1 << 3)
    boss.roles.append(admin_role.id)
    await hk.settle()
    channel = hk.emu.channel_by_name(other.id, "general")
    assert channel is not None
    attempts = {
        "feedback status": {"status": "declined", "item": item.id},
        "rewards retry": {"grant_id": grant.id},
    }
    for command, options in attempts.items():
        reply = await hk.emu.run_slash(other.id, channel.id, boss.user_id, command, options)
        await hk.settle()
        COUNTS["permission checks"] += 1
        assert reply.ephemeral and not reply.failed, (command, reply.content)
        assert any(w in (reply.content or "").lower() for w in ("no ", "not ", "unknown", "doesn't")), \
            (command, reply.content)
    assert (await feedback_rows(hk))[0].status == item.status
    await hk.assert_invariants()


async def test_buttons_on_a_members_private_message_refuse_other_members(hk: HardenedHarness) -> None:
    await credit_answers(hk, "alice", 1)
    opened = await hk.member("alice").slash("mydata forget")
    private = next(m for m in reversed(hk.member("alice").ephemerals()) if m.components)
    buttons = [c for c in hk.emu._walk_components(private.components) if c.get("type") == 2]
    assert buttons, "no confirm button"
    before = await write_counts(hk)
    for button in buttons:
        # bob clicks alice's private confirm button (a client that replays her custom id)
        click = await hk.emu._interact(3, {"custom_id": button["custom_id"], "component_type": 2}, hk.guild_id,
                                       opened.channel_id, hk.members["bob"], source=private)
        await hk.settle()
        COUNTS["permission checks"] += 1
        assert click.ephemeral and not click.failed, click.content
    assert await write_counts(hk) == before
    # staff-only buttons on a staff member's private preview
    await credit_answers(hk, "bob", 3)
    await hk.member("sam").slash("rewards rule add", name="pass", trigger="kind:answer:1",
                                 role=hk.role_id("Week Pass"))
    preview = await hk.member("sam").slash("rewards sync", rule="pass")
    assert preview.message is not None
    apply = await hk.member("bob").click(preview.message.id, label="Apply")
    COUNTS["permission checks"] += 1
    assert apply.ephemeral and "Week Pass" not in hk.member("bob").roles(), apply.content
