"""Betas end to end: the real bot on the emulator announces, members join and leave, the beta closes."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.betas.tables import beta_participants, betas
from bot.ledger.tables import contributions
from bot.rewards.tables import grants
from bot.sandbox.harness import Harness, MemberSpec, RoleSpec, WorldSpec

MANY = 50


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.roles += [RoleSpec("Photos Beta"), RoleSpec("Beta Alumni"), RoleSpec("Week Pass")]
    w.members += [MemberSpec("dave", dms_open=False), MemberSpec("newbie", account_age_days=3)]
    w.members += [MemberSpec(f"m{i:02d}") for i in range(MANY)]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "betas": {"announcement_debounce_seconds": 0.3, "alumni_role": "Beta Alumni"},
        "rewards": [{"name": "joiner", "trigger": {"event": "beta_joined"}, "role": "Week Pass",
                     "role_duration_days": 7}],
    }}}


async def create(h: Harness, name: str = "Photos v2", description: str = "Try the new photo uploader.",
                 **options: Any) -> Any:
    opened = await h.member("sam").slash("beta create", name=name, **options)
    assert opened.modal is not None, opened.content
    return await h.member("sam").submit_modal(opened, {"Description": description})


def announcement(h: Harness, name: str = "Photos v2") -> Any:
    msgs = [m for m in h.emu.messages(h.channel_id("announcements"))
            if m.author_id == h.emu.bot_user_id and m.embeds and m.embeds[0]["title"].startswith(f"Beta: {name}")]
    assert msgs, "no announcement posted"
    return msgs[-1]


def field(message: Any, name: str) -> str:
    return next(f["value"] for f in message.embeds[0]["fields"] if f["name"] == name)


async def rows(h: Harness, table: Any, *where: Any) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(table).where(*where)))


def patches_of(h: Harness, message_id: int) -> int:
    return sum(1 for r in h.emu.request_log if r.method == "PATCH" and r.path.endswith(f"/messages/{message_id}"))


async def test_create_announces_with_buttons_and_discussion_thread(kudos: Harness) -> None:
    done = await create(kudos, capacity=10, incentive="Upload 500 MB of photos, get 500 MB free", ends="14d",
                        cohort_role=kudos.role_id("Photos Beta"))
    assert done.ephemeral and "is announced" in (done.content or ""), done.content
    post = announcement(kudos)
    assert post.embeds[0]["description"] == "Try the new photo uploader."
    assert field(post, "What you get") == "Upload 500 MB of photos, get 500 MB free"
    assert "**10** of 10 spots left" in field(post, "Spots")
    ids = [c["custom_id"] for c in post.components[0]["components"]]
    beta = (await rows(kudos, betas))[0]
    # the Join button says the beta has no terms (":n"): its click is deferred at once
    assert ids == [f"beta:join:{beta.id}:n", f"beta:leave:{beta.id}", f"beta:feedback:{beta.id}"]
    assert beta.status == "open" and beta.announcement_message_id == post.id and beta.thread_id is not None
    assert kudos.emu.state.channels[beta.thread_id].parent_id == kudos.channel_id("announcements")


async def test_join_with_terms_gives_role_credit_and_participation_reward(kudos: Harness) -> None:
    await create(kudos, cohort_role=kudos.role_id("Photos Beta"), terms="Keep screenshots private")
    post = announcement(kudos)
    alice = kudos.member("alice")
    form = await alice.click(post.id, label="Join")
    assert form.modal is not None  # the join form: the terms, and a Checkbox (components/reference.mdx, type 23)
    assert "Keep screenshots private" in form.modal["components"][0]["content"]
    assert form.modal["components"][1]["component"]["type"] == 23
    assert "Photos Beta" not in alice.roles()
    joined = await alice.submit_modal(form, {"I accept the terms": True})
    assert joined.ephemeral and "You're in" in (joined.content or "")
    assert "Photos Beta" in alice.roles() and "Week Pass" in alice.roles()
    credit = await rows(kudos, contributions, contributions.c.user_id == kudos.members["alice"])
    assert [(c.kind, c.points) for c in credit] == [("beta", 5)]
    again = await alice.click(post.id, label="Join")
    assert "already in" in (again.content or "")
    assert len(await rows(kudos, contributions)) == 1
    left = await alice.click(post.id, label="Leave")
    assert "left" in (left.content or "") and "Photos Beta" not in alice.roles()


async def test_eligibility_refusals_are_ephemeral_with_the_reason(kudos: Harness) -> None:
    await create(kudos, min_points=20)
    post = announcement(kudos)
    refused = await kudos.member("bob").click(post.id, label="Join")
    assert refused.ephemeral and "at least 20 points; you have 0" in (refused.content or "")
    await create(kudos, name="Old accounts", account_age_days=30)
    young = await kudos.member("newbie").click(announcement(kudos, "Old accounts").id, label="Join")
    assert young.ephemeral and "at least 30 days old" in (young.content or "")
    assert await rows(kudos, beta_participants) == []


async def test_fifty_concurrent_clicks_on_ten_spots_then_a_leave_promotes(kudos: Harness) -> None:
    await create(kudos, capacity=10, cohort_role=kudos.role_id("Photos Beta"))
    post = announcement(kudos)
    before = patches_of(kudos, post.id)
    names = [f"m{i:02d}" for i in range(MANY)]
    replies = await asyncio.gather(*(kudos.member(n).click(post.id, label="Join") for n in names))
    await kudos.settle()
    assert sum("You're in" in (r.content or "") for r in replies) == 10
    assert sum("waitlist" in (r.content or "") for r in replies) == 40
    people = await rows(kudos, beta_participants)
    assert sum(p.status == "joined" for p in people) == 10
    assert sum(p.status == "waitlisted" for p in people) == 40
    in_role = [n for n in names if "Photos Beta" in kudos.member(n).roles()]
    assert len(in_role) == 10
    # the burst became (nearly) one edit of the announcement, which shows the final count
    assert 1 <= patches_of(kudos, post.id) - before <= 3
    assert "Full (10 of 10) · 40 on the waitlist" in field(kudos.emu.message(post.id), "Spots")
    first_waiting = min((p for p in people if p.status == "waitlisted"), key=lambda p: p.seq)
    leaver = next(n for n in in_role)
    await kudos.member(leaver).click(post.id, label="Leave")
    await asyncio.sleep(0.4)
    await kudos.settle()
    promoted = next(n for n, uid in kudos.members.items() if uid == first_waiting.user_id)
    assert "Photos Beta" in kudos.member(promoted).roles()
    assert "Photos Beta" not in kudos.member(leaver).roles()
    assert any("spot opened up" in (d.embeds[0]["description"] if d.embeds else d.content or "")
               for d in kudos.member(promoted).dms())


async def test_the_terms_checkbox_gates_joining(kudos: Harness) -> None:
    """Joining a beta with terms takes the ticked box: left unticked, the member is told and not joined; a
    ticked one joins."""
    await create(kudos, cohort_role=kudos.role_id("Photos Beta"), terms="Keep screenshots private")
    post = announcement(kudos)
    bob = kudos.member("bob")
    form = await bob.click(post.id, label="Join")
    refused = await bob.submit_modal(form, {})  # the box left unticked
    assert refused.ephemeral and "didn't tick" in (refused.content or "") and "Photos v2" in (refused.content or "")
    assert await rows(kudos, beta_participants) == [] and "Photos Beta" not in bob.roles()
    unticked = await bob.submit_modal(await bob.click(post.id, label="Join"), {"I accept the terms": False})
    assert "didn't tick" in (unticked.content or "")
    assert await rows(kudos, beta_participants) == []
    joined = await bob.submit_modal(await bob.click(post.id, label="Join"), {"I accept the terms": True})
    assert "You're in" in (joined.content or "") and "Photos Beta" in bob.roles()
    (row,) = await rows(kudos, beta_participants)
    assert row.user_id == kudos.members["bob"] and row.terms_accepted_at is not None
    again = await bob.click(post.id, label="Join")  # already in: no form, the answer says so
    assert again.modal is None and "already in" in (again.content or "")


async def test_buttons_work_after_a_restart(kudos: Harness) -> None:
    await create(kudos, capacity=2)
    post = announcement(kudos)
    await kudos.restart()
    reply = await kudos.member("alice").click(post.id, label="Join")
    assert "You're in" in (reply.content or "")
    opened = await kudos.member("bob").click(post.id, label="Give feedback")
    assert opened.modal is not None  # the feedback form for this beta (it asks for the type)


async def test_scheduled_announcement_appears_after_advance(kudos: Harness) -> None:
    done = await create(kudos, starts="2d", ends="9d")
    assert "goes out" in (done.content or "")
    assert not [m for m in kudos.emu.messages(kudos.channel_id("announcements")) if m.embeds]
    assert (await rows(kudos, betas))[0].status == "scheduled"
    await kudos.restart()
    await kudos.advance(timedelta(days=2, minutes=1))
    post = announcement(kudos)
    beta = (await rows(kudos, betas))[0]
    assert beta.status == "open" and beta.announcement_message_id == post.id and beta.thread_id is not None


async def test_budget_refusal_says_when_the_next_slot_opens(kudos: Harness) -> None:
    await create(kudos, name="one")
    await create(kudos, name="two")
    refused = await kudos.member("sam").slash("beta create", name="three")
    assert refused.modal is None and refused.ephemeral
    assert "broadcast budget" in (refused.content or "") and "next slot opens <t:" in (refused.content or "")
    assert len(await rows(kudos, betas)) == 2


async def test_bad_input_is_refused_and_nothing_is_created(kudos: Harness) -> None:
    sam = kudos.member("sam")
    zero = await sam.slash("beta create", name="x", capacity=0)
    assert "capacity must be at least 1" in (zero.content or "")
    past = await sam.slash("beta create", name="x", ends="2020-01-01")
    assert "end date is in the past" in (past.content or "")
    order = await sam.slash("beta create", name="x", starts="3d", ends="2d")
    assert "after the start date" in (order.content or "")
    await create(kudos, name="dup")
    dup = await sam.slash("beta create", name="DUP")
    assert "already exists" in (dup.content or "")
    member = await kudos.member("bob").slash("beta create", name="mine")
    assert "Only staff" in (member.content or "")
    assert [b.name for b in await rows(kudos, betas)] == ["dup"]


async def test_close_thanks_swaps_roles_and_reports_to_staff(kudos: Harness) -> None:
    await create(kudos, cohort_role=kudos.role_id("Photos Beta"), ends="7d")
    post = announcement(kudos)
    for name in ("alice", "dave"):
        await kudos.member(name).click(post.id, label="Join")
    assert "Photos Beta" in kudos.member("dave").roles()
    closed = await kudos.member("sam").slash("beta close", name="Photos v2")
    assert "2 participant" in (closed.content or "")
    for name in ("alice", "dave"):
        roles = kudos.member(name).roles()
        assert "Photos Beta" not in roles and "Beta Alumni" in roles
    thanks = kudos.member("alice").dms()
    assert any("Thank you for taking part in the Photos v2 beta" in (d.embeds[0]["description"]) for d in thanks)
    assert kudos.member("dave").dms() == []  # DMs closed: the grant records why
    dave_dm = await rows(kudos, grants, grants.c.user_id == kudos.members["dave"], grants.c.action == "dm")
    assert dave_dm[0].status == "failed" and "DMs are closed" in dave_dm[0].last_error
    staff_log = kudos.emu.messages(kudos.channel_id("staff-log"))
    assert any("Beta Photos v2 closed" in (m.content or "") for m in staff_log)
    await asyncio.sleep(0.4)
    await kudos.settle()
    updated = kudos.emu.message(post.id)
    assert updated.embeds[0]["title"].endswith("(closed)")
    buttons = {c["label"]: c.get("disabled", False) for c in updated.components[0]["components"]}
    assert buttons == {"Join": True, "Leave": True, "Give feedback": False}


async def test_close_tells_feedback_givers_other_participants_and_the_waitlist_each_their_own(
        kudos: Harness) -> None:
    """At close: who gave feedback hears it shapes what comes next; who took part without feedback is thanked for
    taking part (not told their feedback shapes anything); who waited on the waitlist hears it closed."""
    await create(kudos, capacity=2)
    post = announcement(kudos)
    for name in ("alice", "bob", "carol"):
        await kudos.member(name).click(post.id, label="Join")
    opened = await kudos.member("alice").click(post.id, label="Give feedback")
    await kudos.member("alice").submit_modal(opened, {"Type": "Bug", "Title": "Upload stalls", "Details": "At 99 %",
                                                      "Steps to reproduce": "1. Upload\nVersion: 2.4.1"})
    assert any("Upload stalls" in (m.content or "") + "".join(e.get("title") or "" for e in m.embeds)
               for m in kudos.emu.messages(kudos.channel_id("feedback")) + [
                   m for t in kudos.emu.threads(kudos.channel_id("feedback")) for m in kudos.emu.messages(t.id)])
    closed = await kudos.member("sam").slash("beta close", name="Photos v2")
    assert "2 participants get a thank-you. 1 member on the waitlist hears that it closed." in (
        closed.content or "")

    def closing_dms(name: str) -> list[str]:
        texts = [(d.content or "") + "".join(e.get("description") or "" for e in d.embeds)
                 for d in kudos.member(name).dms()]
        return [t for t in texts if "Photos v2 beta" in t and ("closed" in t or "Thank you" in t)]

    assert closing_dms("alice") == [
        "Thank you for taking part in the Photos v2 beta! Your feedback shapes what we build next."]
    bob = closing_dms("bob")
    assert len(bob) == 1 and "Thank you for taking part in the Photos v2 beta!" in bob[0]
    assert "feedback" not in bob[0].lower() and "ready for everyone" in bob[0]
    carol = closing_dms("carol")
    assert len(carol) == 1 and "closed before a spot opened up for you" in carol[0], carol
    assert "Thank you for taking part" not in carol[0]


async def test_end_date_closes_and_reminder_fires_once(kudos: Harness) -> None:
    await create(kudos, ends="3d")
    post = announcement(kudos)
    await kudos.member("alice").click(post.id, label="Join")
    await kudos.member("bob").click(post.id, label="Join")
    muted = await kudos.member("bob").slash("beta mute", name="Photos v2")
    assert "No more reminders" in (muted.content or "")
    await kudos.advance(timedelta(days=2, hours=1))  # 23 h before the end
    reminders = [d for d in kudos.member("alice").dms() if "ends" in d.embeds[0]["description"]]
    assert len(reminders) == 1 and kudos.member("bob").dms() == []
    assert "`/beta mute name:Photos v2` to stop these reminders" in reminders[0].embeds[0]["description"]
    await kudos.restart()
    await kudos.advance(timedelta(hours=24))
    assert len([d for d in kudos.member("alice").dms() if "ends" in d.embeds[0]["description"]]) == 1
    assert (await rows(kudos, betas))[0].status == "closed"
    assert any("Thank you" in d.embeds[0]["description"] for d in kudos.member("alice").dms())


async def test_export_is_a_csv_attachment(kudos: Harness) -> None:
    await create(kudos, capacity=1)
    post = announcement(kudos)
    await kudos.member("alice").click(post.id, label="Join")
    await kudos.member("bob").click(post.id, label="Join")
    reply = await kudos.member("sam").slash("beta export", name="Photos v2")
    assert reply.ephemeral and reply.message is not None
    (filename, data), = reply.message.files
    assert filename == "beta-photos-v2.csv"
    table = list(csv.DictReader(io.StringIO(data.decode())))
    assert [(r["name"], r["status"]) for r in table] == [("alice", "joined"), ("bob", "waitlisted")]
    listing = await kudos.member("sam").slash("beta participants", name="Photos v2")
    assert "1 in of 1, 1 waiting" in (listing.content or "")


SLOW_DEBOUNCE = {"guilds": {"default": {"betas": {"announcement_debounce_seconds": 2.0}}}}


@pytest.mark.parametrize("bot_config", [SLOW_DEBOUNCE])
async def test_debounced_count_edits(kudos: Harness) -> None:
    # A 2 s debounce, so the twelve clicks land within it even on a loaded machine (at 0.3 s, twelve concurrent
    # clicks on PostgreSQL under load spread over more than one window and made 3-6 edits).
    await create(kudos, capacity=30)
    post = announcement(kudos)
    before = patches_of(kudos, post.id)
    await asyncio.gather(*(kudos.member(f"m{i:02d}").click(post.id, label="Join") for i in range(12)))
    await asyncio.sleep(2.2)
    await kudos.settle()
    assert patches_of(kudos, post.id) - before <= 2
    assert "**18** of 30 spots left" in field(kudos.emu.message(post.id), "Spots")


async def test_private_channel_opens_with_the_cohort_role(kudos: Harness) -> None:
    from bot.emulator import rules as R

    g, bot_id = kudos.guild_id, kudos.emu.bot_user_id
    private = kudos.emu.create_channel(g, "photos-beta", overwrites=[
        {"id": g, "type": 0, "allow": 0, "deny": R.VIEW_CHANNEL},
        {"id": bot_id, "type": 1, "allow": R.VIEW_CHANNEL, "deny": 0}])
    await kudos.settle()
    sam = kudos.member("sam")
    no_role = await sam.slash("beta create", name="x", private_channel=private.id)
    assert "needs a cohort role" in (no_role.content or "")
    public = await sam.slash("beta create", name="x", private_channel=kudos.channel_id("showcase"),
                             cohort_role=kudos.role_id("Photos Beta"))
    assert "visible to everyone" in (public.content or "")
    done = await create(kudos, cohort_role=kudos.role_id("Photos Beta"), private_channel=private.id)
    assert f"<#{private.id}>" in (done.content or "")
    beta = (await rows(kudos, betas))[0]
    assert beta.private_channel_id == private.id
    alice_id, bob_id = kudos.members["alice"], kudos.members["bob"]
    assert not kudos.emu.member_permissions(private.id, alice_id) & R.VIEW_CHANNEL
    joined = await kudos.member("alice").click(announcement(kudos).id, label="Join")
    assert f"private channel <#{private.id}>" in (joined.content or "")
    assert kudos.emu.member_permissions(private.id, alice_id) & R.VIEW_CHANNEL
    assert not kudos.emu.member_permissions(private.id, bob_id) & R.VIEW_CHANNEL
    await kudos.member("alice").click(announcement(kudos).id, label="Leave")
    assert not kudos.emu.member_permissions(private.id, alice_id) & R.VIEW_CHANNEL


async def test_rejoining_right_after_leaving_is_refused_until_the_cooldown_is_over(kudos: Harness) -> None:
    await create(kudos, cohort_role=kudos.role_id("Photos Beta"))
    post = announcement(kudos)
    alice = kudos.member("alice")
    assert "You're in" in ((await alice.click(post.id, label="Join")).content or "")
    assert "left" in ((await alice.click(post.id, label="Leave")).content or "")
    role_calls = sum(1 for r in kudos.emu.request_log if "/roles/" in r.path)
    refused = await alice.click(post.id, label="Join")
    assert refused.ephemeral and "You left the **Photos v2** beta a moment ago" in (refused.content or "")
    assert "You can join again <t:" in (refused.content or "")
    await kudos.settle()
    assert "Photos Beta" not in alice.roles()
    assert sum(1 for r in kudos.emu.request_log if "/roles/" in r.path) == role_calls  # no role change
    (me,) = await rows(kudos, beta_participants)
    assert me.status == "left"
    await kudos.advance(timedelta(seconds=300))  # betas.rejoin_cooldown_seconds, as shipped
    assert "You're in" in ((await alice.click(post.id, label="Join")).content or "")
    assert "Photos Beta" in alice.roles()
