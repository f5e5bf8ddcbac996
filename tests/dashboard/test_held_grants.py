"""Grants held over a pool's budget, approved or denied from the dashboard: the same service call as the staff
log's Approve / Reject buttons, so an approved code reaches the member's DMs through the dispatcher."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.platform.tables import audit_log
from bot.rewards.tables import grants
from bot.sandbox.harness import Harness
from tests.dashboard.conftest import csrf_of, get, log_in, post, refused_for_non_staff, refused_without_csrf

CODES = ["ACME-BETA-0001", "ACME-BETA-0002", "ACME-BETA-0003", "ACME-BETA-0004"]


@pytest.fixture
def dash_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "budget": 1, "budget_period_days": 30, "low_stock_warning": 0}],
        "rewards": [{"name": "helper", "trigger": {"kind": "answer", "count": 1}, "perk_pool": "storage"}],
    }}}


async def earn(h: Harness, name: str) -> None:
    assert h.bot is not None
    await h.bot.app.ledger.credit(h.guild_id, h.members[name], "answer", source_key=f"answer:{name}", actor_id=None)
    await h.settle()


async def perk_grant(h: Harness, name: str) -> Any:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        rows = list(await conn.execute(select(grants).where(grants.c.user_id == h.members[name],
                                                            grants.c.action == "perk")))
    assert len(rows) == 1
    return rows[0]


def codes_in(h: Harness, name: str) -> list[str]:
    text = " ".join((m.content or "") + " ".join(e.get("description") or "" for e in m.embeds)
                    for m in h.member(name).dms())
    return [c for c in CODES if c in text]


async def held_setup(h: Harness) -> tuple[int, int]:
    added = await h.member("sam").slash("perks add-codes", pool="storage", codes=" ".join(CODES))
    assert "Added 4" in (added.content or "")
    await earn(h, "alice")  # within the budget
    assert len(codes_in(h, "alice")) == 1
    await earn(h, "bob")
    await earn(h, "carol")
    bob, carol = await perk_grant(h, "bob"), await perk_grant(h, "carol")
    assert bob.hold == "approval" and carol.hold == "approval"
    return bob.id, carol.id


async def test_approve_and_deny_a_held_grant_from_the_page(dash: Harness, http) -> None:
    bob_grant, carol_grant = await held_setup(dash)
    base = await log_in(dash, http)
    status, page = await get(http, base + "/rewards")
    assert status == 200 and "Waiting for approval" in page
    assert f'/rewards/grants/{bob_grant}/approve"' in page and f'/rewards/grants/{carol_grant}/deny"' in page
    assert all(c not in page for c in CODES)  # never a code on the page
    csrf = await csrf_of(http, base + "/rewards")

    status, page = await post(http, base + f"/rewards/grants/{bob_grant}/approve", {"csrf": csrf})
    assert status == 200 and f"Approved grant #{bob_grant}" in page, page
    await dash.settle()
    assert len(codes_in(dash, "bob")) == 1  # the dispatcher delivered it by DM
    assert (await perk_grant(dash, "bob")).status == "delivered"

    status, page = await post(http, base + f"/rewards/grants/{carol_grant}/deny", {"csrf": csrf})
    assert status == 200 and f"Denied grant #{carol_grant}" in page
    await dash.settle()
    carol = await perk_grant(dash, "carol")
    assert carol.status == "revoked" and carol.hold is None and codes_in(dash, "carol") == []
    assert f'/rewards/grants/{carol_grant}/deny"' not in page  # gone from the list

    # Decided already (here, or by the staff log's buttons): the service's refusal, nothing changes.
    status, page = await post(http, base + f"/rewards/grants/{carol_grant}/approve", {"csrf": csrf})
    assert status == 409 and "not waiting for approval" in page
    assert (await perk_grant(dash, "carol")).status == "revoked"
    assert dash.bot is not None
    async with dash.bot.db.connect() as conn:
        actions = [r.action for r in await conn.execute(
            select(audit_log).where(audit_log.c.actor_id == dash.members["sam"]))]
    assert "reward.approved" in actions and "reward.revoked" in actions


async def test_deciding_needs_csrf_and_a_current_staff_member(dash: Harness, http) -> None:
    bob_grant, _ = await held_setup(dash)
    base = await log_in(dash, http)
    for verb in ("approve", "deny"):
        await refused_without_csrf(http, base + f"/rewards/grants/{bob_grant}/{verb}", {})
        await refused_for_non_staff(dash, f"/rewards/grants/{bob_grant}/{verb}", {})
    bob = await perk_grant(dash, "bob")
    assert bob.status == "pending" and bob.hold == "approval" and codes_in(dash, "bob") == []
    # Another guild's (or no) grant: not found.
    csrf = await csrf_of(http, base + "/rewards")
    status, page = await post(http, base + "/rewards/grants/999999/approve", {"csrf": csrf})
    assert status == 404 and "no grant #999999" in page
