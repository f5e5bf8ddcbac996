"""Discord failing under the bot: 429 storms, 5xx, 403s, things deleted behind its back.

Every scenario ends with the named invariants of :mod:`tests.hardening.invariants`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.hardening.conftest import CODES
from tests.hardening.scenario import (
    DM_ROUTE,
    MESSAGE_ROUTE,
    ROLE_ROUTE,
    announcement,
    beta_row,
    create_beta,
    credit_answers,
    feedback_rows,
    joined,
    load_codes,
    member_grants,
    report_bug,
)
from tests.hardening.support import COUNTS, HardenedHarness


def injected(h: HardenedHarness) -> int:
    n = sum(f.hits for f in h.emu.faults.active) + len(h.emu.ratelimiter.hits)
    COUNTS["faults injected"] += n
    return n


async def test_429_storm_per_route_delivers_every_reward_once(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:6])
    hk.emu.faults.add(route=ROLE_ROUTE, status=429, count=8, retry_after=0.02)
    hk.emu.faults.add(route=MESSAGE_ROUTE, status=429, count=8, retry_after=0.02)
    hk.emu.faults.add(route=DM_ROUTE, status=429, count=4, retry_after=0.02)
    names = ["alice", "bob", "m00", "m01"]
    await asyncio.gather(*(credit_answers(hk, n, 3) for n in names))
    assert injected(hk) >= 8
    await hk.assert_invariants()
    for name in names:
        assert "Helper Star" in hk.member(name).roles()
        assert len(hk.member(name).dms()) == 1


async def test_global_429_storm_and_real_rate_limits(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:6])
    hk.emu.faults.add(route=None, status=429, count=12, retry_after=0.03, is_global=True)
    limits = hk.emu.ratelimit_config  # the emulator's own buckets answer 429s too (short windows: CI time)
    limits.per_route = {route: (limit, min(per, 0.5)) for route, (limit, per) in limits.per_route.items()}
    limits.enabled = True
    await asyncio.gather(*(credit_answers(hk, f"m{i:02d}", 3) for i in range(6)))
    await hk.settle()
    assert injected(hk) >= 12
    hk.emu.ratelimit_config.enabled = False
    await hk.assert_invariants()
    assert all("Helper Star" in hk.member(f"m{i:02d}").roles() for i in range(6))


async def test_5xx_answers_are_retried_with_backoff(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    hk.emu.faults.add(route=ROLE_ROUTE, status=503, count=3)  # discord.py gives up at once: our back-off
    hk.emu.faults.add(route=DM_ROUTE, status=502, count=1)     # discord.py retries this one itself
    await credit_answers(hk, "alice", 3)
    assert injected(hk) >= 2
    await hk.assert_invariants()
    assert "Helper Star" in hk.member("alice").roles() and len(hk.member("alice").dms()) == 1
    role = next(g for g in await member_grants(hk, "alice") if g.action == "role_add")
    assert role.status == "delivered" and role.attempts >= 2


async def test_500_on_a_slash_reply_is_survived(hk: HardenedHarness) -> None:
    hk.emu.faults.add(route="POST /interactions/{interaction_id}/{interaction_token}/callback", status=500, count=1)
    reply = await hk.member("alice").slash("profile")
    assert injected(hk) == 1
    # discord.py retried the callback once; the member got an answer and nothing crashed
    assert not reply.failed and reply.content is not None or reply.embeds
    await hk.assert_invariants()


async def test_bot_role_moved_below_the_reward_role_mid_run(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    await credit_answers(hk, "alice", 3)
    assert "Helper Star" in hk.member("alice").roles()
    star = hk.role_id("Helper Star")
    await hk.move_role(star, 50)  # an admin dragged it above the Kudos role
    await credit_answers(hk, "bob", 3)
    await hk.settle()
    role = next(g for g in await member_grants(hk, "bob") if g.action == "role_add")
    assert role.status == "failed" and "above" in (role.last_error or ""), role.last_error
    staff = "\n".join(m.content or "" for m in hk.emu.messages(hk.channel_id("staff-log")))
    assert "failed" in staff and "Helper Star" not in hk.member("bob").roles()
    # the perk still went out, once
    assert len(hk.member("bob").dms()) == 1
    # staff fix the hierarchy and retry: delivered once
    await hk.move_role(star, 5)
    retry = await hk.member("sam").slash("rewards retry", grant_id=role.id)
    assert not retry.failed, retry.content
    await hk.assert_invariants()
    assert "Helper Star" in hk.member("bob").roles()


async def test_missing_permissions_403_from_discord(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    # the cache says fine, Discord says no (permissions changed a moment ago): a 403 at delivery
    hk.emu.faults.add(route=ROLE_ROUTE, status=403, count=1, code=50013)
    await credit_answers(hk, "alice", 3)
    role = next(g for g in await member_grants(hk, "alice") if g.action == "role_add")
    assert role.status == "failed" and "50013" in (role.last_error or "")
    hk.emu.faults.add(route=MESSAGE_ROUTE, status=403, count=2, code=50001, message="Missing Access")
    reply = await hk.member("bob").slash("profile")
    assert not reply.failed
    await hk.assert_invariants()


async def test_reward_role_deleted_while_rules_refer_to_it(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    await hk.delete_role(hk.role_id("Helper Star"))
    await credit_answers(hk, "alice", 3)
    role = next(g for g in await member_grants(hk, "alice") if g.action == "role_add")
    assert role.status == "failed" and "delet" in (role.last_error or "") or "exist" in (role.last_error or "")
    assert len(hk.member("alice").dms()) == 1  # the code is not held back by the broken role
    hk.check_roles = False
    await hk.assert_invariants()


async def test_staff_log_and_forum_deleted_while_config_names_them(hk: HardenedHarness) -> None:
    await hk.delete_channel(hk.channel_id("staff-log"))
    await hk.delete_channel(hk.channel_id("feedback"))
    done = await report_bug(hk)
    assert done.ephemeral and not done.failed and "forum" in (done.content or "").lower(), done.content
    assert await feedback_rows(hk) == []
    await load_codes(hk, CODES[:1])
    await credit_answers(hk, "alice", 3)
    await credit_answers(hk, "bob", 3)  # out of codes → a low-stock notice with nowhere to go
    await hk.assert_invariants()


async def test_beta_announcement_and_feedback_thread_deleted(hk: HardenedHarness) -> None:
    await create_beta(hk, capacity=2, cohort_role=hk.role_id("Photos Beta"))
    post = announcement(hk)
    await hk.member("alice").click(post.id, label="Join")
    await hk.delete_message(post.id)
    beta = await beta_row(hk)
    # the spots-left edit of the deleted announcement must not break joining through another path
    closed = await hk.member("sam").slash("beta close", name="Photos v2")
    assert not closed.failed, closed.content
    await report_bug(hk, "bob")
    item = (await feedback_rows(hk))[0]
    await hk.delete_channel(item.thread_id)
    status = await hk.member("sam").slash("feedback status", status="acknowledged", item=item.id)
    assert status.ephemeral and not status.failed, status.content
    assert len(await joined(hk, beta.id)) <= 2
    await hk.assert_invariants()


async def test_gateway_resume_replays_missed_events(hk: HardenedHarness) -> None:
    await create_beta(hk, capacity=3, cohort_role=hk.role_id("Photos Beta"))
    post = announcement(hk)
    await hk.emu.disconnect(resume=True, hold=True)
    thread, _ = await hk.emu.create_forum_post(hk.channel_id("feedback"), hk.members["bob"], "Export to PDF",
                                               "Would love it", tags=["Idea"])
    hk.emu.release_gateway()
    await hk.emu.wait_until_connected()
    await hk.settle()
    assert hk.emu.gateway.resumes >= 1
    rows = await feedback_rows(hk)
    assert [r.thread_id for r in rows] == [thread.id]  # the missed post was replayed and picked up
    joined_now = await hk.member("alice").click(post.id, label="Join")
    assert "You're in" in (joined_now.content or "")
    await hk.assert_invariants()


async def test_full_reconnect_missed_a_role_removal_reconciliation_readds(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    await credit_answers(hk, "alice", 3)
    star = hk.role_id("Helper Star")
    assert star in hk.emu.member_roles(hk.guild_id, hk.members["alice"])
    identifies = hk.emu.gateway.identifies
    await hk.emu.disconnect(resume=False, hold=True)
    # while the bot is away a moderator strips the earned role: the GUILD_MEMBER_UPDATE is lost
    await hk.emu.set_member_roles(hk.guild_id, hk.members["alice"], [])
    hk.emu.release_gateway()
    await hk.emu.wait_until_connected()
    await hk.settle()
    assert hk.emu.gateway.identifies == identifies + 1
    # the periodic reconciliation finds the gap and (reconcile = "readd") repairs it
    await hk.advance(timedelta(days=1))
    await hk.assert_invariants()
    assert star in hk.emu.member_roles(hk.guild_id, hk.members["alice"])
    staff = "\n".join(m.content or "" for m in hk.emu.messages(hk.channel_id("staff-log")))
    assert "drift" in staff
