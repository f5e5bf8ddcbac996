"""Member text never becomes a link, a ping or markup in the bot's voice (issue #19, item A).

A table of hostile strings goes through every place the bot echoes member text (feedback posts, status DMs,
the thread fallback post, ``/feedback top``, the staff digest, thanks receipts, ``/profile``, nicknames in
embed titles). Each echo must still read as the member wrote it, carry no live markup, and be sent with
allowed_mentions that ping nobody it shouldn't."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.sandbox.harness import Harness, MemberSpec, WorldSpec

STRANGER = 424242424242424242

HOSTILE = [
    "x](https://evil.example/phish) [y",
    "[Claim your Nitro gift](https://evil.example/nitro)",
    "@everyone free stuff @here",
    f"<@{STRANGER}> says hi",
    "**bold** and __under__ ~~gone~~",
    "`tick` and ```fence```",
    "||spoiler||",
    "# Big heading",
    "-# small print",
    "> quoted",
    "ok\n# Injected heading\n-# injected small",
]

# Markup that would be live in what the bot sent (escaped text never matches these).
LIVE = {
    "masked link": re.compile(r"(?<!\\)\]\((?!https://discord\.com/channels/)"),
    "mass mention": re.compile(r"@(everyone|here)"),
    "user mention": re.compile(rf"(?<!\\)<@!?{STRANGER}>"),
    "bold": re.compile(re.escape("**bold**")),
    "underline": re.compile(re.escape("__under__")),
    "strike": re.compile(re.escape("~~gone~~")),
    "code": re.compile(re.escape("`tick`")),
    "fence": re.compile(re.escape("```fence```")),
    "spoiler": re.compile(re.escape("||spoiler||")),
    "heading": re.compile(r"(?m)^\s*(#{1,3}|-#) "),
    "quote": re.compile(r"(?m)^\s*>{1,3} "),
}


def rendered(message: Any) -> list[str]:
    """The parts of a message Discord renders as markdown (footers, authors and thread names it doesn't)."""
    parts = [message.content or ""]
    for embed in message.embeds or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        for f in embed.get("fields") or []:
            parts += [f["name"], f["value"]]
    return parts


def visible(text: str) -> str:
    """What a reader sees: backslash escapes and zero-width spaces gone, whitespace collapsed."""
    return " ".join(re.sub(r"\\(.)", r"\1", text).replace("\u200b", "").split())


def assert_inert(message: Any, payloads: list[str], *, may_ping: tuple[int, ...] = ()) -> None:
    """Every payload is echoed (reads the same), nothing in the message is live markup, nobody is pinged but
    ``may_ping``."""
    parts = rendered(message)
    seen = visible(" ".join(parts))
    for payload in payloads:
        assert " ".join(payload.split()) in seen, (payload, parts)
    for part in parts:
        for what, pattern in LIVE.items():
            assert not pattern.search(part), (what, part)
    am = message.allowed_mentions
    assert am is not None, parts  # without it Discord parses every mention
    assert not (am.get("parse") or []), am
    assert {int(u) for u in am.get("users") or []} <= set(may_ping), am
    assert not am.get("roles"), am


def bot_messages(h: Harness, channel_id: int) -> list[Any]:
    return [m for m in h.emu.messages(channel_id) if m.author_id == h.emu.bot_user_id]


async def report_all(h: Harness, who: str = "alice") -> list[tuple[int, str]]:
    """One idea per hostile string (its title and details); returns ``[(feedback id, payload)]``."""
    out = []
    for n, payload in enumerate(HOSTILE, start=1):
        opened = await h.member(who).slash("feedback new", type="idea")
        done = await h.member(who).submit_modal(opened, {"Title": payload, "Details": payload})
        assert "posted" in (done.content or ""), done.content
        out.append((n, payload))
    return out


async def thread_of(h: Harness, item_id: int) -> int:
    from sqlalchemy import select

    from bot.feedback.tables import feedback

    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return (await conn.execute(select(feedback.c.thread_id).where(feedback.c.id == item_id))).scalar_one()


async def test_feedback_posts_and_status_dms_echo_member_text_inert(kudos: Harness) -> None:
    items = await report_all(kudos)
    for item_id, payload in items:
        [post] = bot_messages(kudos, await thread_of(kudos, item_id))
        assert_inert(post, [payload], may_ping=(kudos.members["alice"],))
    for item_id, _ in items:
        await kudos.member("sam").slash("feedback status", status="planned", item=item_id)
    dms = [m for m in kudos.member("alice").dms() if "Planned" in m.content]
    assert len(dms) == len(items)
    for dm, (_, payload) in zip(dms, items, strict=True):
        assert_inert(dm, [payload])


async def test_thread_fallback_post_echoes_member_text_inert(kudos: Harness) -> None:
    items = await report_all(kudos)
    kudos.emu.set_dms_open(kudos.members["alice"], False)
    for item_id, payload in items:
        await kudos.member("sam").slash("feedback status", status="acknowledged", item=item_id)
        [fallback] = [m for m in bot_messages(kudos, await thread_of(kudos, item_id))
                      if "couldn't DM you" in m.content]
        assert_inert(fallback, [payload], may_ping=(kudos.members["alice"],))


async def test_board_and_staff_digest_echo_member_text_inert(kudos: Harness) -> None:
    items = await report_all(kudos)
    board = await kudos.member("bob").slash("feedback top")
    [shown] = [m for m in kudos.member("bob").ephemerals() if m.embeds and "Most-wanted" in m.embeds[0]["title"]]
    assert shown.embeds == board.embeds
    assert_inert(shown, [p for _, p in items[:10]])  # the board shows the top ten
    assert kudos.bot is not None
    await kudos.bot.effects.feedback._on_digest_timer({"days": 7}, None)  # type: ignore[attr-defined]
    await kudos.bot.scheduler.run_due()  # the digest post job it wrote for the guild
    [digest] = bot_messages(kudos, kudos.channel_id("staff-log"))
    assert_inert(digest, [p for _, p in items[:5]])  # each section is cut at 1024 characters


@pytest.fixture
def world() -> WorldSpec:
    spec = WorldSpec.default()
    spec.members += [MemberSpec(name) for name in ("dan", "erin", "fay", "gus")]
    return spec


@pytest.fixture
def bot_config() -> dict[str, Any]:
    # One member files one report per hostile string: more than feedback.reports_per_day (5) allows.
    return {"guilds": {"default": {"ledger": {"receipts": "dm"}, "feedback": {"reports_per_day": 0},
                                   "caps": {"thanks_given_per_day": 100, "thanks_pair_cooldown_hours": 0}}}}


async def test_thanks_reasons_are_inert_in_receipts_and_profile(kudos: Harness) -> None:
    givers = ["alice", "carol", "dan", "sam", "mia", "erin", "fay", "gus"]  # a pair thanks twice a week at most
    sent = []
    for n, payload in enumerate(HOSTILE):
        reason = payload[:200]
        done = await kudos.member(givers[n % len(givers)]).slash("thanks", member=kudos.members["bob"],
                                                                   reason=reason)
        assert "Thanks sent" in (done.content or ""), done.content
        sent.append(reason)
    receipts = [m for m in kudos.member("bob").dms() if "kudos" in m.content]
    assert len(receipts) == len(sent)
    for dm, reason in zip(receipts, sent, strict=True):
        assert_inert(dm, [reason])
    profile = await kudos.member("bob").slash("profile")
    [shown] = [m for m in kudos.member("bob").ephemerals() if m.embeds and m.embeds == profile.embeds]
    assert_inert(shown, sent[-5:])  # the five latest receipts


async def test_nicknames_are_inert_in_embed_titles(kudos: Harness) -> None:
    nick = "**Admin** [Support](https://evil.example/help)"
    eve = kudos.emu.add_member(kudos.guild_id, "eve", nick=nick)
    await kudos.settle()
    await kudos.member("alice").slash("profile", member=eve.user_id)
    [shown] = [m for m in kudos.member("alice").ephemerals() if m.embeds and "kudos" in m.embeds[0]["title"]]
    assert_inert(shown, [f"{nick}'s kudos"])
