"""Feedback threads end to end: the real bot on the emulator (intake, votes, statuses, notices, duplicates)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.emulator import EmulatorError
from bot.feedback import validate_draft
from bot.feedback.tables import feedback
from bot.ledger import FEEDBACK_KINDS
from bot.ledger.tables import contributions
from bot.platform.errors import InvalidInput
from bot.sandbox.harness import Harness

# The version rides on the steps' last line (a modal holds five fields: type, title, details, steps, screenshots)
BUG = {"Title": "Crash when saving", "Details": "The app closes", "Steps to reproduce": "1. Save\nVersion: 2.4.1"}


async def report(h: Harness, who: str = "alice", type_: str = "bug", values: dict[str, str] | None = None) -> Any:
    opened = await h.member(who).slash("feedback new", type=type_)
    assert opened.modal is not None, opened.content
    fields = values if values is not None else (BUG if type_ == "bug" else {"Title": "Dark mode", "Details": "Please"})
    return await h.member(who).submit_modal(opened, fields)


async def item(h: Harness, item_id: int = 1) -> Any:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return (await conn.execute(select(feedback).where(feedback.c.id == item_id))).one()


async def credits(h: Harness, who: str) -> dict[str, tuple[int, int]]:
    """``{kind: (points, ledger rows)}`` of the member's feedback credits, read from the ledger."""
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        c = contributions.c
        rows = await conn.execute(
            select(c.kind, func.sum(c.points), func.count())
            .where(c.user_id == h.members[who], c.kind.in_(FEEDBACK_KINDS)).group_by(c.kind))
        return {kind: (int(p), int(n)) for kind, p, n in rows}


def tag_names(h: Harness, thread_id: int) -> list[str]:
    thread = h.emu.state.channels[thread_id]
    forum = h.emu.state.channels[thread.parent_id]
    names = {int(t["id"]): t["name"] for t in forum.available_tags}
    return [names[t] for t in thread.applied_tags]


def starter(h: Harness, thread_id: int) -> Any:
    return h.emu.message(thread_id)


def embed_field(message: Any, name: str) -> str:
    return next(f["value"] for f in message.embeds[0]["fields"] if f["name"] == name)


def mentioned_users(message: Any) -> list[int]:
    am = message.allowed_mentions or {}
    assert "everyone" not in (am.get("parse") or []) and "roles" not in (am.get("parse") or [])
    assert "users" not in (am.get("parse") or []), am
    return sorted(int(u) for u in am.get("users") or [])


# ----------------------------------------------------------------------------------------------- intake


async def test_modal_intake_posts_in_the_forum_with_tags_embed_and_reporter_ping(kudos: Harness) -> None:
    done = await report(kudos)
    assert done.ephemeral and "posted" in (done.content or "")
    row = await item(kudos)
    assert row.status == "new" and row.type == "bug" and row.thread_id is not None
    assert tag_names(kudos, row.thread_id) == ["Bug", "New"]
    post = starter(kudos, row.thread_id)
    assert kudos.emu.state.channels[row.thread_id].name == "Crash when saving"
    assert f"<@{kudos.members['alice']}>" in post.content
    assert mentioned_users(post) == [kudos.members["alice"]]
    assert post.embeds[0]["title"] == f"#{row.id} · Crash when saving"
    assert embed_field(post, "Steps to reproduce") == "1. Save" and embed_field(post, "Version") == "2.4.1"
    assert [c["label"] for c in post.components[0]["components"]] == ["Me too", "Follow"]
    assert await credits(kudos, "alice") == {"feedback_given": (5, 1)}


async def test_one_form_with_a_type_picker(kudos: Harness) -> None:
    """Without a type, the form itself asks (a select in a Label): the member must pick one."""
    opened = await kudos.member("bob").slash("feedback new")
    assert opened.modal is not None and opened.modal["title"] == "Give feedback"
    assert [c["component"]["type"] for c in opened.modal["components"]] == [3, 4, 4, 4, 19]
    with pytest.raises(EmulatorError, match="Type"):  # a required select left empty: the client won't send it
        await kudos.member("bob").submit_modal(opened, {"Title": "Widgets", "Details": "More"})
    await kudos.member("bob").submit_modal(opened, {"Type": "Idea", "Title": "Widgets", "Details": "More"})
    assert (await item(kudos)).type == "idea"
    # /feedback new type:bug opens it with Bug picked; the member may change it
    typed = await kudos.member("bob").slash("feedback new", type="bug")
    assert typed.modal["title"] == "Report a bug"
    await kudos.member("bob").submit_modal(typed, {"Type": "Question", "Title": "How to export?", "Details": "?"})
    assert (await item(kudos, 2)).type == "question"


async def test_bug_with_a_screenshot_posts_the_image_in_the_thread(kudos: Harness) -> None:
    """The form's File Upload: the image is downloaded from the attachment URL (the emulator's CDN route) and
    posted in the new thread by a durable job; the version is the steps' last line."""
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    await report(kudos, values=BUG | {"Screenshots": [("crash.png", png, "image/png")]})
    row = await item(kudos)
    assert row.steps == "1. Save" and row.version == "2.4.1"
    posted = [m for m in kudos.emu.messages(row.thread_id) if m.files]
    assert len(posted) == 1 and posted[0].content == f"📎 Screenshot from <@{kudos.members['alice']}>"
    assert [a["filename"] for a in posted[0].attachments] == ["crash.png"]
    assert posted[0].files == [("crash.png", png)]
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:  # the links are not kept once posted
        from bot.feedback.tables import feedback_screenshots
        assert (await conn.execute(select(func.count()).select_from(feedback_screenshots))).scalar_one() == 0
    # not an image, or more than three: refused, nothing written
    text = await report(kudos, "bob", values=BUG | {"Title": "Other", "Screenshots": [("notes.txt", b"hi")]})
    assert "must be images" in (text.content or "")
    assert len(kudos.emu.threads(kudos.channel_id("feedback"))) == 1


async def test_bad_input_gets_a_clear_reply_and_writes_nothing(kudos: Harness) -> None:
    missing_version = await report(kudos, values={"Title": "Crash", "Details": "d", "Steps to reproduce": "1"})
    assert missing_version.ephemeral and "Version: 2.4.1" in (missing_version.content or "")
    blank = await report(kudos, type_="idea", values={"Title": "   ", "Details": "d"})
    assert "title is empty" in (blank.content or "")
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(feedback))).scalar_one() == 0
    assert kudos.emu.threads(kudos.channel_id("feedback")) == []


async def test_missing_forum_is_explained(kudos: Harness) -> None:
    forum = kudos.emu.state.channels[kudos.channel_id("feedback")]
    forum.name = "old-feedback"  # the config names "feedback"
    assert kudos.bot is not None
    guild = kudos.bot.get_guild(kudos.guild_id)
    assert guild is not None
    kudos.bot.resolved[kudos.guild_id].channels["feedback_forum"] = None
    done = await report(kudos, type_="idea")
    assert done.ephemeral and "feedback forum is missing" in (done.content or "")


async def test_direct_forum_post_is_picked_up(kudos: Harness) -> None:
    thread, _ = await kudos.member("bob").post("Export to PDF", in_="feedback", content="Would love it",
                                               tags=["Idea"])
    row = await item(kudos)
    assert (row.thread_id, row.reporter_id, row.type, row.details) == (
        thread.id, kudos.members["bob"], "idea", "Would love it")
    assert tag_names(kudos, thread.id) == ["Idea", "New"]
    bot_msgs = [m for m in kudos.emu.messages(thread.id) if m.author_id == kudos.emu.bot_user_id]
    assert len(bot_msgs) == 1 and bot_msgs[0].id == row.status_message_id
    assert bot_msgs[0].embeds[0]["title"].startswith(f"#{row.id}")
    assert await credits(kudos, "bob") == {"feedback_given": (5, 1)}


async def test_mentions_in_user_text_never_ping(kudos: Harness) -> None:
    staff = kudos.role_id("Staff")
    nasty = f"@everyone @here <@&{staff}> <@{kudos.members['bob']}>"
    await report(kudos, type_="idea", values={"Title": f"Hi {nasty}"[:100], "Details": nasty * 3})
    row = await item(kudos)
    await kudos.member("bob").click(row.thread_id, label="Me too")
    await kudos.member("sam").slash("feedback status", status="declined", note=nasty, item=row.id)
    for message in kudos.emu.messages(row.thread_id):
        if message.author_id == kudos.emu.bot_user_id:
            assert mentioned_users(message) in ([], [kudos.members["alice"]])
            assert "@everyone" not in message.content and f"<@&{staff}>" not in message.content


# ----------------------------------------------------------------------------------------------- votes


async def test_vote_once_self_vote_not_counted_and_count_on_embed(kudos: Harness) -> None:
    await report(kudos)
    row = await item(kudos)
    first = await kudos.member("bob").click(row.thread_id, label="Me too")
    assert first.ephemeral and "Counted" in (first.content or "")
    again = await kudos.member("bob").click(row.thread_id, label="Me too")
    assert "already" in (again.content or "")
    own = await kudos.member("alice").click(row.thread_id, label="Me too")
    assert "your own report" in (own.content or "")
    assert (await item(kudos)).vote_count == 1
    assert embed_field(starter(kudos, row.thread_id), "Votes") == "1"


async def test_top_board(kudos: Harness) -> None:
    await report(kudos, "alice", "idea", {"Title": "Dark mode", "Details": "d"})
    await report(kudos, "bob", "bug")
    bug = await item(kudos, 2)
    await kudos.member("carol").click(bug.thread_id, label="Me too")
    board = await kudos.member("carol").slash("feedback top")
    lines = board.embeds[0]["description"].splitlines()
    assert "Crash when saving" in lines[0] and "1 vote" in lines[0] and "Dark mode" in lines[1]
    ideas = await kudos.member("carol").slash("feedback top", type="idea")
    assert "Crash" not in ideas.embeds[0]["description"]


# ----------------------------------------------------------------------------------------------- statuses


async def test_status_change_updates_tag_embed_and_tells_everyone(kudos: Harness) -> None:
    await report(kudos)
    row = await item(kudos)
    await kudos.member("bob").click(row.thread_id, label="Me too")
    await kudos.member("carol").click(row.thread_id, label="Follow")
    done = await kudos.member("sam").slash("feedback status", status="acknowledged", note="Looking into it",
                                           channel_=None, item=row.id)
    assert done.ephemeral and "Acknowledged" in (done.content or ""), done.content
    assert tag_names(kudos, row.thread_id) == ["Bug", "Acknowledged"]
    assert "Acknowledged" in embed_field(starter(kudos, row.thread_id), "Status")
    for who in ("alice", "bob", "carol"):
        dms = kudos.member(who).dms()
        assert dms and "Acknowledged" in dms[-1].content and "Looking into it" in dms[-1].content, who
    assert not kudos.member("sam").dms()
    assert (await item(kudos)).first_staff_response_at is not None
    assert await credits(kudos, "alice") == {"feedback_given": (5, 1), "feedback_acknowledged": (3, 1)}
    assert await credits(kudos, "bob") == {}  # voters are told, not credited


async def test_every_transition_notifies_including_closed_dms(kudos: Harness) -> None:
    kudos.emu.set_dms_open(kudos.members["bob"], False)
    await report(kudos)
    row = await item(kudos)
    await kudos.member("bob").click(row.thread_id, label="Me too")
    for status, extra in (("acknowledged", {}), ("planned", {}), ("in_progress", {}),
                          ("shipped", {"version": "2.5.0"})):
        before = len(kudos.emu.messages(row.thread_id))
        await kudos.member("sam").slash("feedback status", status=status, item=row.id, **extra)
        assert (await item(kudos)).status == status
        assert status.replace("_", " ") in kudos.member("alice").dms()[-1].content.lower()
        new = kudos.emu.messages(row.thread_id)[before:]
        pings = [m for m in new if m.allowed_mentions and m.allowed_mentions.get("users")]
        # bob's closed DMs: one ping in the thread, at the first change; the status lines tell him the rest
        assert len(pings) == (1 if status == "acknowledged" else 0), [m.content for m in new]
        if pings:
            assert mentioned_users(pings[0]) == [kudos.members["bob"]]
            assert f"<@{kudos.members['bob']}>" in pings[0].content
    assert "2.5.0" in kudos.member("alice").dms()[-1].content
    assert tag_names(kudos, row.thread_id) == ["Bug", "Shipped"]
    # acknowledged, planned and in progress: feedback_acknowledged once; shipped: feedback_shipped
    assert await credits(kudos, "alice") == {"feedback_given": (5, 1), "feedback_acknowledged": (3, 1),
                                             "feedback_shipped": (10, 1)}


async def test_invalid_transitions_and_unknown_items_get_clear_errors(kudos: Harness) -> None:
    await report(kudos)
    row = await item(kudos)
    no_version = await kudos.member("sam").slash("feedback status", status="shipped", item=row.id)
    assert no_version.ephemeral and "version" in (no_version.content or "")
    unknown = await kudos.member("sam").slash("feedback status", status="planned", item=999)
    assert "no feedback #999" in (unknown.content or "")
    await kudos.member("sam").slash("feedback status", status="shipped", item=row.id, version="1.0")
    back = await kudos.member("sam").slash("feedback status", status="planned", item=row.id)
    assert "final" in (back.content or "")
    outside = await kudos.member("sam").slash("feedback status", status="planned")
    assert "inside a feedback thread" in (outside.content or "")
    member = await kudos.member("bob").slash("feedback status", status="planned", item=row.id)
    assert member.ephemeral and "Only staff" in (member.content or "")
    assert (await item(kudos)).status == "shipped"


async def test_status_inside_the_thread(kudos: Harness) -> None:
    await report(kudos, type_="idea")
    row = await item(kudos)
    kudos.labels["thread"] = row.thread_id
    done = await kudos.member("sam").slash("feedback status", status="planned", channel_="thread")
    assert "Planned" in (done.content or "")


async def test_archived_thread_is_reopened(kudos: Harness) -> None:
    await report(kudos, type_="idea")
    row = await item(kudos)
    kudos.emu.state.channels[row.thread_id].archived = True
    await kudos.member("sam").slash("feedback status", status="acknowledged", item=row.id)
    assert not kudos.emu.state.channels[row.thread_id].archived
    assert (await item(kudos)).status == "acknowledged"


# ----------------------------------------------------------------------------------------------- duplicates


async def test_duplicate_merge_moves_votes_and_closes_the_duplicate(kudos: Harness) -> None:
    await report(kudos, "alice", "idea", {"Title": "Dark mode", "Details": "d"})
    await report(kudos, "bob", "idea", {"Title": "Night theme", "Details": "d"})
    original, dup = await item(kudos, 1), await item(kudos, 2)
    await kudos.member("carol").click(dup.thread_id, label="Me too")
    await kudos.member("mia").click(dup.thread_id, label="Me too")
    own = await kudos.member("sam").slash("feedback status", status="duplicate", of=dup.id, item=dup.id)
    assert "itself" in (own.content or "")
    done = await kudos.member("sam").slash("feedback status", status="duplicate", of=original.id, item=dup.id)
    assert "Merged into" in (done.content or ""), done.content
    original, dup = await item(kudos, 1), await item(kudos, 2)
    assert original.vote_count == 3 and dup.vote_count == 0  # carol, mia and bob (co-reporter)
    thread = kudos.emu.state.channels[dup.thread_id]
    assert thread.archived and thread.locked
    assert tag_names(kudos, dup.thread_id) == ["Idea", "Duplicate"]
    assert any("Merged into" in m.content for m in kudos.emu.messages(dup.thread_id))
    assert embed_field(starter(kudos, original.thread_id), "Votes") == "3"
    assert "merged into" in kudos.member("carol").dms()[-1].content
    cycle = await kudos.member("sam").slash("feedback status", status="duplicate", of=dup.id, item=original.id)
    assert "cycle" in (cycle.content or "")


# ----------------------------------------------------------------------------------------------- persistence


async def test_buttons_work_after_restart(kudos: Harness) -> None:
    await report(kudos)
    row = await item(kudos)
    await kudos.restart()
    vote = await kudos.member("bob").click(row.thread_id, label="Me too")
    assert "Counted" in (vote.content or "")
    follow = await kudos.member("carol").click(row.thread_id, label="Follow")
    assert "Following" in (follow.content or "")
    assert (await item(kudos)).vote_count == 1


async def test_export_is_a_csv(kudos: Harness) -> None:
    await report(kudos, type_="idea", values={"Title": "=HYPERLINK(1)", "Details": "d"})
    done = await kudos.member("sam").slash("feedback export")
    assert done.followups and done.followups[0].ephemeral
    name, data = done.followups[0].files[0]
    assert name == "feedback.csv"
    lines = data.decode().splitlines()
    assert lines[0].startswith("id,type,status,title") and "'=HYPERLINK(1)" in lines[1]
    denied = await kudos.member("bob").slash("feedback export")
    assert "Only staff" in (denied.content or "")


# Twelve alike reports ("Idea 1", "Idea 2", ...) would be stopped by "Is it one of these?" (its own tests are in
# tests/feedback/test_similar_e2e.py); these tests are about what gets posted.
NO_SUGGESTIONS = {"guilds": {"default": {"search": {"suggest": False}}}}


@pytest.mark.parametrize("bot_config", [NO_SUGGESTIONS])
async def test_list_is_paginated(kudos: Harness) -> None:
    for n in range(12):  # from three members: one may open 5 reports a day (feedback.reports_per_day)
        await report(kudos, ("alice", "bob", "carol")[n % 3], "idea", {"Title": f"Idea {n}", "Details": "d"})
    first = await kudos.member("sam").slash("feedback list")
    assert first.message is not None and "Page 1 of 2" in first.embeds[0]["footer"]["text"]
    nxt = await kudos.member("sam").click(first.message.id, label="Next")
    assert not nxt.failed
    assert "Page 2 of 2" in kudos.emu.message(first.message.id).embeds[0]["footer"]["text"]


async def test_modal_limits_are_enforced(kudos: Harness) -> None:
    """The form caps the title at 100 characters, which Discord's client enforces (interactions docs: a text
    input's ``max_length``; the emulator refuses longer input as Discord would); the service refuses it too,
    for any other way in."""
    opened = await kudos.member("alice").slash("feedback new", type="idea")
    assert opened.modal is not None
    inputs = [c for row in opened.modal["components"] for c in (row.get("components") or [row.get("component")])
              if c and c.get("type") == 4]
    title = next(c for c in inputs if c.get("label") == "Title" or c.get("custom_id", "").endswith("title"))
    assert title["max_length"] == 100
    with pytest.raises(EmulatorError, match="0-100 characters"):
        await kudos.member("alice").submit_modal(opened, {"Title": "x" * 101, "Details": "d"})
    with pytest.raises(InvalidInput, match="keep it to 100"):
        validate_draft("idea", "x" * 101, "d")


async def test_first_staff_response_is_recorded_from_a_reply(kudos: Harness) -> None:
    await report(kudos, type_="idea")
    row = await item(kudos)
    kudos.labels["t"] = row.thread_id
    await kudos.member("bob").say("same here", in_="t")
    assert (await item(kudos)).first_staff_response_at is None
    await kudos.member("sam").say("Thanks, we're on it", in_="t")
    assert (await item(kudos)).first_staff_response_at == kudos.clock.now()


async def test_unknown_type_of_direct_post_defaults_to_idea_and_bug_tag_is_kept(kudos: Harness) -> None:
    thread, _ = await kudos.member("bob").post("App freezes", in_="feedback", content="On launch", tags=["Bug"])
    row = await item(kudos)
    assert row.type == "bug" and tag_names(kudos, thread.id) == ["Bug", "New"]
    await kudos.member("carol").post("Nice work", in_="feedback", content="Love it")
    assert (await item(kudos, 2)).type == "idea"


def _nasty(h: Harness, seed: int) -> str:
    import random

    rng = random.Random(seed)
    pieces = ["@everyone", "@here", f"<@&{h.role_id('Staff')}>", f"<@&{h.guild_id}>", f"<@{h.members['bob']}>",
              f"<@!{h.members['carol']}>", "＠everyone", "@\u200beveryone", "**bold**", "`code`", "<#1>", "text"]
    return " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))


@pytest.mark.parametrize("bot_config", [NO_SUGGESTIONS])
async def test_fuzzed_mentions_in_user_text_never_ping(kudos: Harness) -> None:
    alice, bob = kudos.members["alice"], kudos.members["bob"]
    for seed in range(4):
        text = _nasty(kudos, seed)
        await report(kudos, "alice", "bug", {"Title": text[:100], "Details": text,
                                             "Steps to reproduce": f"{text}\nVersion: {text[:40]}"})
        await kudos.member("bob").post(text[:100], in_="feedback", content=text)
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        rows = (await conn.execute(select(feedback))).all()
    assert len(rows) == 8
    for row in rows:
        await kudos.member("carol").click(row.status_message_id, label="Me too")
        await kudos.member("sam").slash("feedback status", status="declined", note=_nasty(kudos, row.id), item=row.id)
    checked = 0
    for state in list(kudos.emu.state.all_messages.values()):
        if state.author_id != kudos.emu.bot_user_id:
            continue
        if state.content:
            # Discord parses every mention when allowed_mentions is absent
            assert state.allowed_mentions is not None, state.content
        users = mentioned_users(state)  # also asserts: no @everyone, no roles
        assert set(users) <= {alice, bob}, state.content
        checked += 1
    assert checked > 20


async def test_status_of_an_item_whose_thread_was_deleted_is_refused(kudos: Harness) -> None:
    await report(kudos, type_="idea")
    row = await item(kudos)
    del kudos.emu.state.channels[row.thread_id]
    done = await kudos.member("sam").slash("feedback status", status="planned", item=row.id)
    assert done.ephemeral and "was deleted" in (done.content or "")
    assert (await item(kudos)).status == "new"


# ----------------------------------------------------------------------------------------------- credit


async def test_each_stage_is_its_own_kind_in_profile_leaderboard_explain_stats_and_export(kudos: Harness) -> None:
    import csv
    import io

    await report(kudos)
    row = await item(kudos)
    for status in ("planned", "acknowledged"):  # planned first, then back: still one feedback_acknowledged
        await kudos.member("sam").slash("feedback status", status=status, item=row.id)
    await kudos.member("sam").slash("feedback status", status="shipped", item=row.id, version="2.5.0")
    await report(kudos, "bob", "idea", {"Title": "Dark mode", "Details": "d"})
    assert await credits(kudos, "alice") == {"feedback_given": (5, 1), "feedback_acknowledged": (3, 1),
                                             "feedback_shipped": (10, 1)}

    profile = await kudos.member("alice").slash("profile")
    by_kind = embed_field(profile, "By kind").splitlines()
    assert by_kind == ["feedback_given: **5** (1)", "feedback_acknowledged: **3** (1)",
                       "feedback_shipped: **10** (1)"]
    assert "collaborator" not in embed_field(profile, "Stage").splitlines()[0]  # no answers yet

    shipped_board = await kudos.member("bob").slash("leaderboard", kind="feedback_shipped")
    assert shipped_board.embeds[0]["title"].endswith("· feedback_shipped")
    board = shipped_board.embeds[0]["description"]
    assert f"<@{kudos.members['alice']}>" in board and f"<@{kudos.members['bob']}>" not in board
    given_board = (await kudos.member("bob").slash("leaderboard", kind="feedback_given")).embeds[0]["description"]
    assert f"<@{kudos.members['alice']}>" in given_board and f"<@{kudos.members['bob']}>" in given_board

    explained = await kudos.member("sam").slash("contrib explain", member=kudos.members["alice"])
    text = explained.embeds[0]["description"]
    assert "+5 feedback_given" in text and "+3 feedback_acknowledged" in text and "+10 feedback_shipped" in text
    assert f"shipped by <@{kudos.members['sam']}>" in text

    overview = await kudos.member("sam").slash("stats overview", period="30d")
    assert "feedback_given 2" in (overview.content or "") and "feedback_shipped 1" in (overview.content or "")
    exported = await kudos.member("sam").slash("export", what="contributions")
    [(_, data)] = [f for msg in exported.followups for f in msg.files]
    kinds = sorted(r["kind"] for r in csv.DictReader(io.StringIO(data.decode())))
    assert kinds == ["feedback_acknowledged", "feedback_given", "feedback_given", "feedback_shipped"]


async def test_co_reporters_of_a_merged_duplicate_get_the_stage_kinds(kudos: Harness) -> None:
    await report(kudos, "alice", "idea", {"Title": "Dark mode", "Details": "d"})
    await report(kudos, "bob", "idea", {"Title": "Night theme", "Details": "d"})
    await kudos.member("sam").slash("feedback status", status="duplicate", of=1, item=2)
    await kudos.member("sam").slash("feedback status", status="in_progress", item=1)
    await kudos.member("sam").slash("feedback status", status="shipped", item=1, version="3.0")
    both = {"feedback_given": (5, 1), "feedback_acknowledged": (3, 1), "feedback_shipped": (10, 1)}
    assert await credits(kudos, "alice") == both and await credits(kudos, "bob") == both
