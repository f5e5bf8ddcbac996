"""/announce end to end: posts with a discussion thread, image, scheduling, edit/cancel, the shared broadcast
budget, role pings, refusals, reply counts for staff, and a closed beta's "what we changed" post."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.announcements.tables import announcements
from bot.betas.tables import betas
from bot.emulator import rules as R
from bot.feedback.tables import feedback
from bot.sandbox.harness import Harness, MemberSpec, RoleSpec, WorldSpec

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.roles += [RoleSpec("Launch News"), RoleSpec("Announcer", permissions=R.MENTION_EVERYONE)]
    w.members += [MemberSpec("ann", roles=["Staff", "Announcer"])]
    return w


def posts(h: Harness) -> list[Any]:
    return [m for m in h.emu.messages(h.channel_id("announcements")) if m.author_id == h.emu.bot_user_id]


def pings(message: Any) -> dict[str, Any]:
    """Who the message was allowed to ping (replied_user aside)."""
    return {k: v for k, v in (message.allowed_mentions or {}).items() if k != "replied_user" and v is not False}


async def rows(h: Harness, table: Any, *where: Any) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(table).where(*where)))


async def announce(h: Harness, text: str = "Dark mode is here.", title: str = "Dark mode", who: str = "sam",
                   **options: Any) -> Any:
    opened = await h.member(who).slash("announce post", **options)
    assert opened.modal is not None, opened.content
    return await h.member(who).submit_modal(opened, {"Title (optional)": title, "Text": text})


async def test_post_with_image_opens_a_thread_and_staff_get_the_reply_count(kudos: Harness) -> None:
    done = await announce(kudos, image=("launch.png", PNG))
    assert done.ephemeral and "is posted in" in (done.content or ""), done.content
    (post,) = posts(kudos)
    assert post.embeds[0]["title"] == "Dark mode" and post.embeds[0]["description"] == "Dark mode is here."
    assert post.embeds[0]["image"]["url"] == "attachment://launch.png"
    assert [(a["filename"], a["size"]) for a in post.attachments] == [("launch.png", len(PNG))]
    assert post.content in ("", None) and post.allowed_mentions == {"parse": []}  # no ping unless chosen
    thread = kudos.emu.state.channels[post.id]
    assert thread.parent_id == kudos.channel_id("announcements")
    (row,) = await rows(kudos, announcements)
    assert row.subject == "news" and row.thread_id == thread.id and row.image is None  # bytes dropped once out
    for name, text in (("alice", "Finally!"), ("bob", "Looks great"), ("alice", "Also on mobile?")):
        await kudos.emu.send_message(thread.id, kudos.members[name], text)
    await kudos.advance(timedelta(hours=24, minutes=1))
    log_lines = [m.content or "" for m in kudos.emu.messages(kudos.channel_id("staff-log"))]
    assert any("Members who replied: 2**" in line and "Dark mode" in line for line in log_lines), log_lines
    listing = await kudos.member("sam").slash("announce list")
    assert "2 members replied" in (listing.content or "")


async def test_scheduled_post_can_be_edited_cancelled_and_goes_out_after_advance(kudos: Harness) -> None:
    sam = kudos.member("sam")
    kudos.emu.state.guilds[kudos.guild_id].roles[kudos.role_id("Launch News")].mentionable = True
    done = await announce(kudos, text="Coming soon", title="Teaser", at="2h", ping=kudos.role_id("Launch News"),
                          who="ann")
    assert "goes out" in (done.content or "") and posts(kudos) == []
    other = await announce(kudos, text="Never mind", title="Oops", at="1h")
    (a, b) = sorted(r.id for r in await rows(kudos, announcements))
    assert f"#{b}" in (other.content or "")
    listing = await sam.slash("announce list")
    assert "Teaser" in (listing.content or "") and "Oops" in (listing.content or "")
    opened = await sam.slash("announce edit", id=a, at="3h", no_ping=True)
    assert opened.modal is not None, opened.content
    edited = await sam.submit_modal(opened, {"Title (optional)": "Teaser v2", "Text": "Coming very soon"})
    assert "is updated" in (edited.content or ""), edited.content
    cancelled = await sam.slash("announce cancel", id=b)
    assert "cancelled" in (cancelled.content or "")
    again = await sam.slash("announce cancel", id=b)
    assert "only one that hasn't gone out" in (again.content or "")
    await kudos.restart()
    await kudos.advance(timedelta(hours=2, minutes=5))
    assert posts(kudos) == []  # moved to 3 h; the cancelled one never goes out
    await kudos.advance(timedelta(hours=1))
    (post,) = posts(kudos)
    assert post.embeds[0]["title"] == "Teaser v2" and post.embeds[0]["description"] == "Coming very soon"
    assert post.id in kudos.emu.state.channels  # its discussion thread
    assert post.allowed_mentions == {"parse": []}
    late = await sam.slash("announce edit", id=a)
    assert "posted already" in (late.content or "")


async def test_role_ping_only_for_roles_the_staff_member_could_mention(kudos: Harness) -> None:
    news_role = kudos.role_id("Launch News")
    refused = await kudos.member("sam").slash("announce post", ping=news_role)
    assert refused.modal is None and "can't mention" in (refused.content or "") and "Mention Everyone" in (
        refused.content or "")
    # ann may mention everything, but the bot can't ping a role that isn't mentionable either
    bot_cant = await kudos.member("ann").slash("announce post", ping=news_role)
    assert "I lack **Mention Everyone**" in (bot_cant.content or "")
    everyone = await kudos.member("ann").slash("announce post", ping=kudos.guild_id)
    assert "don't ping @everyone" in (everyone.content or "")
    kudos.emu.state.guilds[kudos.guild_id].roles[news_role].mentionable = True
    await announce(kudos, who="sam", ping=news_role)
    (post,) = posts(kudos)
    assert post.content == f"<@&{news_role}>"
    assert pings(post) == {"parse": [], "roles": [news_role]}
    assert await rows(kudos, announcements, announcements.c.status != "posted") == []


async def test_budget_is_shared_with_betas_and_says_when_the_next_slot_opens(kudos: Harness) -> None:
    opened = await kudos.member("sam").slash("beta create", name="Photos v2")
    await kudos.member("sam").submit_modal(opened, {"Description": "Try it"})
    await announce(kudos)
    refused = await kudos.member("sam").slash("announce post")
    assert refused.modal is None and "broadcast budget" in (refused.content or "")
    assert "next slot opens <t:" in (refused.content or "")
    later = await announce(kudos, at="1d")  # tomorrow has room
    assert "goes out" in (later.content or "")
    assert len(await rows(kudos, announcements)) == 3


async def test_bad_input_is_refused_and_nothing_is_created(kudos: Harness) -> None:
    sam = kudos.member("sam")
    past = await sam.slash("announce post", at="2020-01-01")
    assert "in the past" in (past.content or "")
    unreadable = await sam.slash("announce post", at="next tuesday")
    assert "can't read the time" in (unreadable.content or "")
    not_image = await sam.slash("announce post", image=("notes.txt", b"hello", "text/plain"))
    assert "isn't an image" in (not_image.content or "")
    member = await kudos.member("bob").slash("announce post")
    assert "Only staff" in (member.content or "")
    showcase = kudos.channel_id("showcase")
    assert kudos.bot is not None
    me = kudos.bot.get_guild(kudos.guild_id).me
    await kudos.bot.get_channel(showcase).set_permissions(me, create_public_threads=False)
    await kudos.settle()
    no_perms = await sam.slash("announce post", channel=showcase)
    assert "I'm missing **Create Public Threads**" in (no_perms.content or "")
    opened = await sam.slash("announce post")
    assert opened.modal is not None
    await kudos.bot.get_channel(kudos.channel_id("announcements")).delete()
    await kudos.settle()
    gone = await sam.submit_modal(opened, {"Text": "hello"})
    assert "doesn't exist" in (gone.content or "") or "no announcement channel" in (gone.content or ""), gone.content
    again = await sam.slash("announce post")
    assert "no announcement channel" in (again.content or "") or "doesn't exist" in (again.content or "")
    assert await rows(kudos, announcements) == []


async def test_changes_post_mentions_exactly_the_members_whose_feedback_shipped(kudos: Harness) -> None:
    sam = kudos.member("sam")
    opened = await sam.slash("beta create", name="Photos v2")
    await sam.submit_modal(opened, {"Description": "Try it"})
    (beta,) = await rows(kudos, betas)
    alice, bob, carol = (kudos.members[n] for n in ("alice", "bob", "carol"))
    now = kudos.clock.now()
    assert kudos.bot is not None
    async with kudos.bot.db.begin() as conn:
        for reporter, status, title in ((alice, "shipped", "Bulk upload"), (bob, "planned", "Albums"),
                                        (carol, "shipped", "Faster thumbnails")):
            await conn.execute(feedback.insert().values(guild_id=kudos.guild_id, beta_id=beta.id,
                                                        reporter_id=reporter, type="idea", title=title,
                                                        status=status, created_at=now, updated_at=now))
    early = await sam.slash("announce changes", beta="Photos v2")
    assert "close it first" in (early.content or "")
    await sam.slash("beta close", name="Photos v2")
    preview = await sam.slash("announce changes", beta="Photos v2")
    assert preview.ephemeral and "Preview" in (preview.content or "") and "exactly these 2 members" in (
        preview.content or "")
    assert "Bulk upload" in (preview.content or "") and "Albums" not in (preview.content or "")
    before = len(posts(kudos))
    done = await sam.click(preview.message.id, label="Post it")
    assert "mentioning 2 members" in (done.content or ""), done.content
    post = posts(kudos)[before]
    assert pings(post) == {"parse": [], "users": [alice, carol]}
    assert f"<@{bob}>" not in (post.content or "") and "what we changed" in post.embeds[0]["description"].lower()
    assert post.id in kudos.emu.state.channels  # a discussion thread, like every announcement
    again = await sam.click(preview.message.id, label="Post it")
    assert "out already" in (again.content or "")
    twice = await sam.slash("announce changes", beta="Photos v2")
    assert "out already" in (twice.content or "")
