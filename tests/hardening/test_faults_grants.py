"""Reward grants on the one classification of failed Discord calls (``bot.core.effect_errors.end_job``).

Each class of failure, injected through the emulator's faults, on SQLite and PostgreSQL:

- 5xx: retried with the shared back-off (``bot.platform.jobs.claims.retry_at``), delivered once, or failed
  once ``max_attempts`` are used;
- 50007 / 50278 (DMs closed, no mutual guild): the perk's fallback, the code waits in ``/perks mine``;
- 10007 (unknown member): dropped with a ``reward.dropped`` audit line, the role grant revoked so it can be
  earned again;
- 50013 (missing permissions): failed, and the staff log names the permission.

Codes: https://github.com/discord/discord-api-docs docs/topics/Opcodes_and_Status_Codes.md ("JSON Error Codes":
10007 Unknown member, 50007 Cannot send messages to this user, 50013 You lack permissions to perform that
action, 50278 Cannot send messages to this user (no mutual guild); "HTTP Response Codes": 502/503 gateway
unavailable, retry).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.platform.tables import audit_log
from tests.hardening.conftest import CODES
from tests.hardening.scenario import MESSAGE_ROUTE, ROLE_ROUTE, credit_answers, load_codes, member_grants
from tests.hardening.support import COUNTS, HardenedHarness


def _grant(grants: list, action: str):  # type: ignore[no-untyped-def,type-arg]
    return next(g for g in grants if g.action == action)


async def _audit(h: HardenedHarness, action: str) -> list:  # type: ignore[type-arg]
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(audit_log).where(audit_log.c.action == action)))


def _staff_log(h: HardenedHarness) -> str:
    return "\n".join(m.content or "" for m in h.emu.messages(h.channel_id("staff-log")))


async def test_a_burst_of_503s_is_retried_with_the_shared_backoff_and_delivered_once(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    fault = hk.emu.faults.add(route=ROLE_ROUTE, status=503, count=4)  # discord.py does not retry a 503 itself
    await credit_answers(hk, "alice", 3)
    role = _grant(await member_grants(hk, "alice"), "role_add")
    assert role.status == "pending" and "Discord unavailable (HTTP 503" in (role.last_error or ""), role.last_error
    # the first back-off is the shared one: retry_base_seconds (30 s) after the first try
    assert role.next_attempt_at is not None
    assert role.next_attempt_at - hk.clock.now() <= timedelta(seconds=30)
    assert "Helper Star" not in hk.member("alice").roles()
    for _ in range(4):
        await hk.advance(timedelta(minutes=5))
    COUNTS["faults injected"] += fault.hits
    assert fault.hits == 4
    role = _grant(await member_grants(hk, "alice"), "role_add")
    assert role.status == "delivered" and role.attempts == 5, (role.status, role.attempts, role.last_error)
    assert "Helper Star" in hk.member("alice").roles()
    assert len(hk.member("alice").dms()) == 1  # the perk went out once, not held back by the role
    await hk.assert_invariants()


async def test_5xx_past_max_attempts_fails_once_and_tells_staff(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    fault = hk.emu.faults.add(route=ROLE_ROUTE, status=503, count=5)
    await credit_answers(hk, "alice", 3)
    for _ in range(5):
        await hk.advance(timedelta(minutes=10))
    COUNTS["faults injected"] += fault.hits
    role = _grant(await member_grants(hk, "alice"), "role_add")
    assert role.status == "failed" and "gave up after 5 attempts" in (role.last_error or ""), role.last_error
    assert fault.hits == 5
    assert "failed" in _staff_log(hk) and "gave up" in _staff_log(hk)
    assert len(await _audit(hk, "reward.failed")) == 1
    await hk.assert_invariants()


async def test_closed_dms_50007_keep_the_perk_code_for_perks_mine(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    await credit_answers(hk, "dave", 3)  # dave's DMs are closed: the emulator answers 50007, as Discord does
    perk = _grant(await member_grants(hk, "dave"), "perk")
    assert perk.status == "delivered" and perk.message_id is None
    assert (perk.last_error or "").startswith("DMs closed") and "perks mine" in perk.last_error
    mine = await hk.member("dave").slash("perks mine")
    assert mine.ephemeral and any(c in (mine.content or "") for c in CODES[:3])
    assert "Helper Star" in hk.member("dave").roles()
    await hk.assert_invariants()


async def test_no_mutual_guild_50278_keeps_the_perk_code_and_is_not_retried(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    fault = hk.emu.faults.add(route=MESSAGE_ROUTE, status=400, code=50278, count=1,
                              message="Cannot send messages to this user")
    await credit_answers(hk, "alice", 3)
    COUNTS["faults injected"] += fault.hits
    assert fault.hits == 1
    perk = _grant(await member_grants(hk, "alice"), "perk")
    assert perk.status == "delivered" and perk.attempts == 1 and "perks mine" in (perk.last_error or "")
    assert hk.member("alice").dms() == []
    mine = await hk.member("alice").slash("perks mine")
    assert mine.ephemeral and any(c in (mine.content or "") for c in CODES[:3])
    await hk.assert_invariants()


async def test_unknown_member_10007_drops_the_role_with_an_audit_line_and_it_can_be_earned_again(
        hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    fault = hk.emu.faults.add(route=ROLE_ROUTE, status=404, code=10007, count=1, message="Unknown Member")
    await credit_answers(hk, "alice", 3)
    COUNTS["faults injected"] += fault.hits
    assert fault.hits == 1
    grants = await member_grants(hk, "alice")
    role = _grant(grants, "role_add")
    assert role.status == "revoked" and role.attempts == 1, (role.status, role.attempts)
    assert (role.last_error or "").startswith("dropped: the member is no longer in the server"), role.last_error
    dropped = await _audit(hk, "reward.dropped")
    assert [(d.target_id, d.details["grant"]) for d in dropped] == [(hk.members["alice"], role.id)]
    assert len(await _audit(hk, "reward.failed")) == 0  # nothing for staff to fix: no failure, no page
    assert "failed" not in _staff_log(hk)
    assert "Helper Star" not in hk.member("alice").roles()
    # the next contribution earns the role again; the perk code is not handed out twice
    await credit_answers(hk, "alice", 1, start=3)
    grants = await member_grants(hk, "alice")
    roles = [g for g in grants if g.action == "role_add"]
    assert [g.status for g in roles] == ["revoked", "delivered"]
    assert [g.action for g in grants].count("perk") == 1
    assert "Helper Star" in hk.member("alice").roles() and len(hk.member("alice").dms()) == 1
    await hk.assert_invariants()


async def test_missing_permissions_50013_fails_and_the_staff_log_names_the_permission(hk: HardenedHarness) -> None:
    await load_codes(hk, CODES[:3])
    fault = hk.emu.faults.add(route=ROLE_ROUTE, status=403, code=50013, count=1)
    await credit_answers(hk, "alice", 3)
    COUNTS["faults injected"] += fault.hits
    role = _grant(await member_grants(hk, "alice"), "role_add")
    assert role.status == "failed" and role.attempts == 1, (role.status, role.attempts)  # not retried
    assert "50013" in (role.last_error or "") and "Manage Roles" in (role.last_error or ""), role.last_error
    staff = _staff_log(hk)
    assert "failed" in staff and "Manage Roles" in staff, staff
    assert "Helper Star" not in hk.member("alice").roles()
    # staff give the permission back and retry: delivered once
    retry = await hk.member("sam").slash("rewards retry", grant_id=role.id)
    assert not retry.failed, retry.content
    await hk.assert_invariants()
    assert "Helper Star" in hk.member("alice").roles()
