"""Input hygiene (issue #19, item 6): hostile text and numbers get a clear refusal, and nothing is written.

A table of hostile inputs goes through the real bot on the emulator, on SQLite and PostgreSQL (the ``kudos``
fixture runs both): NUL characters in slash options and modal fields (PostgreSQL can't store them: the driver
raised ``CharacterNotInRepertoireError`` and the member read "Something went wrong"), titles and reasons made
only of invisible characters, dates and durations past what ``datetime`` holds (an ``OverflowError``), numbers
beyond what the columns hold or a slash option's range allows (a scripted call skips Discord's range check),
bidi controls in titles (stripped), and a nick that matplotlib would read as mathtext (``/stats member``).

What Discord sends is what it allows: a string option or a text input may carry any Unicode character,
including U+0000 (Discord's docs: interactions/application-commands.md, "Application Command Option Type":
STRING is any string, checked only against ``min_length``/``max_length``); an INTEGER option without
``max_value`` takes "Any integer between -2^53+1 and 2^53-1" (same page). Options with a ``max_value``
(``/contrib give points``) are not sent out of range through the emulator: that case calls the app the way a
web route or a script would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.announcements.tables import announcements
from bot.betas.tables import betas
from bot.feedback.tables import feedback
from bot.ledger.tables import contributions
from bot.platform.errors import InvalidInput
from bot.rewards.tables import perk_pools, reward_rules
from bot.sandbox.harness import Harness, WorldSpec

TABLES = {"contributions": contributions, "feedback": feedback, "announcements": announcements,
          "betas": betas, "perk_pools": perk_pools, "reward_rules": reward_rules}
UNEXPECTED = "Something went wrong"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff \u00a0"


@pytest.fixture
def world() -> WorldSpec:
    return WorldSpec.default()


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {"caps": {"thanks_pair_cooldown_hours": 0}}}}


async def counts(h: Harness) -> dict[str, int]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return {name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                for name, t in TABLES.items()}


@dataclass(frozen=True)
class Case:
    """``who`` runs ``/command`` with ``options``; with ``modal`` the form that opens is submitted with it.
    The reply must contain every string of ``says``."""

    name: str
    who: str
    command: str
    options: dict[str, Any] = field(default_factory=dict)
    modal: dict[str, str] | None = None
    says: tuple[str, ...] = ()


CASES = [
    # NUL, in a slash option (the central check names the option) and in a modal field (it names the label)
    Case("nul-thanks-reason", "alice", "thanks", {"member": "bob", "reason": "great\x00help"},
         says=("option “reason”", "NUL")),
    Case("nul-give-reason", "sam", "contrib give", {"member": "alice", "kind": "answer", "reason": "x\x00"},
         says=("option “reason”", "NUL")),
    Case("nul-beta-name", "sam", "beta create", {"name": "Photos\x00"}, says=("option “name”", "NUL")),
    Case("nul-pool-description", "sam", "perks pool create", {"name": "storage", "description": "a\x00b"},
         says=("option “description”", "NUL")),
    Case("nul-feedback-title", "alice", "feedback new", {"type": "idea"},
         modal={"Title": "Dark\x00mode", "Details": "Please"}, says=("field “Title”", "NUL")),
    Case("nul-feedback-details", "alice", "feedback new", {"type": "idea"},
         modal={"Title": "Dark mode", "Details": "Please\x00"}, says=("field “Details”", "NUL")),
    Case("nul-announcement-body", "sam", "announce post", {}, modal={"Text": "Hello\x00world"},
         says=("field “Text”", "NUL")),
    # only invisible characters where text is required
    Case("invisible-feedback-title", "alice", "feedback new", {"type": "idea"},
         modal={"Title": ZERO_WIDTH, "Details": "Please"}, says=("title is empty",)),
    Case("invisible-feedback-details", "alice", "feedback new", {"type": "idea"},
         modal={"Title": "Dark mode", "Details": ZERO_WIDTH}, says=("details are empty",)),
    Case("invisible-give-reason", "sam", "contrib give", {"member": "alice", "kind": "answer", "reason": ZERO_WIDTH},
         says=("Give a reason",)),
    Case("invisible-beta-name", "sam", "beta create", {"name": "\u200b\u2060\u202e"}, says=("needs a name",)),
    Case("invisible-announcement", "sam", "announce post", {}, modal={"Text": ZERO_WIDTH},
         says=("needs some text",)),
    Case("invisible-rule-name", "sam", "rewards rule add", {"name": "\u200b\u200b", "trigger": "points:10",
                                                              "bonus_points": 1}, says=("name", "empty")),
    # dates and durations past what a datetime holds, or absurdly far ahead
    Case("date-year-9999", "sam", "announce post", {"at": "9999-12-31T23:59"}, says=("too far ahead", "`at`")),
    Case("duration-99999999d", "sam", "announce post", {"at": "99999999d"}, says=("too far ahead", "`at`")),
    Case("duration-huge", "sam", "announce post", {"at": "9" * 40 + "w"}, says=("too far ahead", "`at`")),
    Case("offset-out-of-range", "sam", "announce post", {"at": "0001-01-01T00:00+05:00"},
         says=("can't read the time", "`at`")),
    Case("beta-ends-9999", "sam", "beta create", {"name": "Photos", "ends": "9999-12-31"},
         says=("too far ahead", "`ends`")),
    # numbers Discord lets through (no max_value on the option) but the columns or timedelta can't hold
    Case("beta-capacity-huge", "sam", "beta create", {"name": "Photos", "capacity": 2**40},
         says=("capacity", "between 1 and")),
    Case("beta-account-age-huge", "sam", "beta create", {"name": "Photos", "account_age_days": 2**52},
         says=("account_age_days", "between 0 and")),
    Case("pool-limit-huge", "sam", "perks pool create", {"name": "storage", "per_member_limit": 2**40},
         says=("per_member_limit", "between 0 and")),
    Case("rule-role-days-huge", "sam", "rewards rule add", {"name": "vip", "trigger": "points:10",
                                                              "role": "Helper", "role_duration_days": 2**53 - 1},
         says=("role_duration_days", "less than or equal")),
]


def _options(h: Harness, options: dict[str, Any]) -> dict[str, Any]:
    out = dict(options)
    for key in ("member",):
        if isinstance(out.get(key), str):
            out[key] = h.members[out[key]]
    if isinstance(out.get("role"), str):
        out["role"] = h.role_id(out["role"])
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_hostile_input_is_refused_clearly_and_nothing_is_written(kudos: Harness, case: Case) -> None:
    before = await counts(kudos)
    actor = kudos.member(case.who)
    reply = await actor.slash(case.command, **_options(kudos, case.options))
    if case.modal is not None:
        assert reply.modal is not None, reply.content
        reply = await actor.submit_modal(reply, case.modal)
    else:
        assert reply.modal is None, f"a form opened for {case.name}"
    text = reply.content or ""
    assert UNEXPECTED not in text, text
    for expected in case.says:
        assert expected in text, (case.name, text)
    assert reply.ephemeral, text
    assert await counts(kudos) == before
    forum = kudos.channel_id("feedback")
    assert not [c for c in kudos.emu.state.channels.values() if getattr(c, "parent_id", None) == forum]


async def test_nul_in_autocomplete_gets_no_suggestions_and_no_error(kudos: Harness) -> None:
    """Without the central check the beta-name lookup passed the NUL to PostgreSQL, which raised; discord.py
    logged the traceback and the autocomplete went unanswered (SQLite happens to cope)."""
    rec = await kudos.emu.run_autocomplete(kudos.guild_id, kudos.channel_id("general"), kudos.members["sam"],
                                           "beta info", "name", {"name": "Pho\x00"})
    assert rec.choices == []


async def test_bidi_controls_are_stripped_from_titles(kudos: Harness) -> None:
    """``\\u202e`` (RIGHT-TO-LEFT OVERRIDE) would make a title read backwards in every echo: stripped."""
    alice = kudos.member("alice")
    opened = await alice.slash("feedback new", type="idea")
    done = await alice.submit_modal(opened, {"Title": "Dark \u202eedom\u202c mode\u2066\u200f", "Details": "Please"})
    assert "posted" in (done.content or ""), done.content
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        title, thread_id = (await conn.execute(select(feedback.c.title, feedback.c.thread_id))).one()
    assert title == "Dark edom mode"
    assert kudos.emu.state.channels[thread_id].name.startswith("Dark edom mode")


async def test_out_of_range_points_are_refused_by_the_service(kudos: Harness) -> None:
    """``/contrib give points`` has ``max_value`` 1000, so Discord never sends more; the same service is called
    by routes and scripts, which Discord doesn't check: it refuses too, and nothing is written."""
    assert kudos.bot is not None
    before = await counts(kudos)
    for points in (1001, -1, 2**63):
        with pytest.raises(InvalidInput, match="points must be between 0 and 1000"):
            await kudos.bot.app.contributions.give(
                guild_id=kudos.guild_id, actor_id=kudos.members["sam"], user_id=kudos.members["alice"],
                kind="answer", points=points, reason="scripted", source_key=f"script:{points}", joined_at=None)
    with pytest.raises(InvalidInput, match="entry must be between 1 and"):
        await kudos.bot.app.contributions.revoke(guild_id=kudos.guild_id, actor_id=kudos.members["sam"],
                                                 contribution_id=2**63, reason="scripted")
    assert await counts(kudos) == before
    ok = await kudos.member("sam").slash("contrib give", member=kudos.members["alice"], kind="answer",
                                         reason="helped", points=1000)
    assert "Entry #" in (ok.content or ""), ok.content


async def test_mathtext_in_a_nick_does_not_break_the_member_chart(kudos: Harness) -> None:
    """matplotlib reads ``$…$`` as mathtext; ``$\\frac{$`` raised ValueError and ``/stats member`` failed."""
    assert kudos.bot is not None
    alice = kudos.members["alice"]
    await kudos.emu.set_member_nick(kudos.guild_id, alice, "$\\frac{$ al^ice_")
    await kudos.bot.app.ledger.credit(kudos.guild_id, alice, "answer", source_key="ans:1", actor_id=None,
                                      reason="", strict=False)
    await kudos.emu.set_member_nick(kudos.guild_id, kudos.members["bob"], "$x^{$")
    await kudos.advance(timedelta(hours=1))
    for who in (alice, kudos.members["bob"]):  # a chart with data points, and the empty chart
        reply = await kudos.member("sam").slash("stats member", member=who)
        assert UNEXPECTED not in (reply.content or ""), reply.content
        [(name, png)] = [f for msg in reply.followups for f in msg.files]
        assert name == "timeline.png" and png.startswith(b"\x89PNG")
        assert "points" in (reply.content or "") or "no data yet" in (reply.content or ""), reply.content


async def test_a_nick_in_the_member_chart_summary_is_inert(kudos: Harness) -> None:
    """The summary of ``/stats member`` starts with the member's display name: member text, escaped like every
    echo (a nick ``[Nitro](https://evil.example)`` must not become a masked link in the bot's voice)."""
    alice = kudos.members["alice"]
    await kudos.emu.set_member_nick(kudos.guild_id, alice, "[Nitro](https://evil.example) **al**")
    reply = await kudos.member("sam").slash("stats member", member=alice)
    text = "".join(m.content or "" for m in reply.followups) or (reply.content or "")
    assert "\\[Nitro\\]\\(https://evil.example\\) \\*\\*al\\*\\*" in text, text
