""""Maybe already answered:" and "This solved it" in the help forum (issue #23), end to end on the emulator,
on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.ledger.tables import contributions
from bot.sandbox.harness import Harness
from bot.search.tables import search_helped


def tag_names(h: Harness, thread_id: int) -> list[str]:
    thread = h.emu.state.channels[thread_id]
    names = {int(t["id"]): t["name"] for t in h.emu.state.channels[thread.parent_id].available_tags}
    return [names[t] for t in thread.applied_tags]


async def curation_rows(h: Harness, who: str) -> list[Any]:
    assert h.bot is not None
    c = contributions.c
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(contributions).where(
            c.user_id == h.members[who], c.kind == "curation").order_by(c.id)))


async def solved_post(h: Harness) -> tuple[Any, Any]:
    """alice asks, bob answers, alice marks bob's reply as the solution."""
    thread, _ = await h.member("alice").post("Sync fails with error 42", in_="help",
                                             content="Every sync stops with error 42 after the update")
    h.labels["first"] = thread.id
    reply = await h.member("bob").say("Sign out, clear the *cache* in Settings > Storage, then sign in again.\n"
                                      "That resets the token.", in_="first")
    done = await h.member("alice").context_menu("Mark as solution", message_id=reply.id)
    assert not done.failed and "Marked" in (done.content or "")
    return thread, reply


def suggestions(h: Harness, thread_id: int) -> list[Any]:
    return [m for m in h.emu.messages(thread_id) if m.author_id == h.emu.bot_user_id
            and "Maybe already answered:" in m.content]


async def test_new_post_gets_the_solved_post_and_this_solved_it_credits_once(kudos: Harness) -> None:
    first, _reply = await solved_post(kudos)
    thread, _ = await kudos.member("sam").post("error 42 when syncing", in_="help",
                                               content="Sync keeps failing with error 42 since yesterday")
    found = suggestions(kudos, thread.id)
    assert len(found) == 1
    text = found[0].content
    assert f"[Sync fails with error 42](https://discord.com/channels/{kudos.guild_id}/{first.id})" in text
    assert "Sign out, clear the \\*cache\\* in Settings > Storage, then sign in again." in text
    assert "That resets the token" not in text  # the answer's first line only
    assert (found[0].allowed_mentions or {}).get("parse") == []
    assert [c["label"] for row in found[0].components for c in row["components"]] == ["This solved it"]
    assert tag_names(kudos, thread.id) == []

    stranger = await kudos.member("bob").click(found[0].id, label="This solved it")
    assert "Only the member who asked" in (stranger.content or "")
    assert await curation_rows(kudos, "bob") == []

    done = await kudos.member("sam").click(found[0].id, label="This solved it")
    assert not done.failed, done.content
    assert "helped again" in (done.content or "") and f"<@{kudos.members['bob']}>" in (done.content or "")
    assert tag_names(kudos, thread.id) == ["Solved"]
    rows = await curation_rows(kudos, "bob")
    assert [(r.kind, r.source_key, r.thread_id, r.actor_id) for r in rows] == [
        ("curation", f"helped:{thread.id}", first.id, kudos.members["sam"])]
    assert rows[0].points > 0

    again = await kudos.member("sam").click(found[0].id, label="This solved it")
    assert "already marked" in (again.content or "")
    assert len(await curation_rows(kudos, "bob")) == 1  # credited once

    await kudos.restart()  # the button is persistent; its record is durable
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        helped = (await conn.execute(select(search_helped))).one()
    assert (helped.thread_id, helped.original_thread_id, helped.credited) == (thread.id, first.id, 1)


async def test_own_answer_earns_nothing_and_unrelated_post_gets_no_message(kudos: Harness) -> None:
    await solved_post(kudos)
    other, _ = await kudos.member("sam").post("How do I change my avatar?", in_="help", content="Where is it?")
    assert suggestions(kudos, other.id) == []
    # bob, who wrote the accepted answer, asks the same thing himself: it solves it, but earns him nothing
    mine, _ = await kudos.member("bob").post("sync error 42 fails", in_="help", content="error 42 on sync")
    found = suggestions(kudos, mine.id)
    assert len(found) == 1
    done = await kudos.member("bob").click(found[0].id, label="This solved it")
    assert "your own" in (done.content or "")
    assert tag_names(kudos, mine.id) == ["Solved"]
    assert await curation_rows(kudos, "bob") == []
