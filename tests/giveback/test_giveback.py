"""The give-back ledger end to end (issue #26): a delivered perk, a shipped report, a staff answer and staff thanks
are recorded where they happen and listed in /profile ("What <brand> gave you"); /stats giveback shows the
monthly balance and the "people to thank" (many contributions, nothing back; staff left out)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.giveback.tables import giveback
from bot.sandbox.harness import Harness
from tests.contributions._helpers import post_with_reply
from tests.hardening.scenario import credit_answers, load_codes, report_bug

CODES = ["STORE-AAAA-1111", "STORE-BBBB-2222"]


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "description": "500 MB"}],
        "rewards": [{"name": "helper", "trigger": {"kind": "answer", "count": 3}, "perk_pool": "storage",
                     "dm": "Thanks for helping! Your storage code: {code}"}],
        "giveback": {"thank_min_contributions": 5},
    }}}


async def given(kudos: Harness, name: str) -> list[tuple[str, str]]:
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        rows = await conn.execute(select(giveback.c.kind, giveback.c.detail).where(
            giveback.c.user_id == kudos.members[name]).order_by(giveback.c.id))
        return [(str(k), str(d)) for k, d in rows]


def field(inter: Any, starts: str) -> str:
    return next(f["value"] for f in inter.embeds[0]["fields"] if f["name"].startswith(starts))


async def credit(kudos: Harness, name: str, n: int, kind: str = "creation") -> None:
    assert kudos.bot is not None
    for i in range(n):
        await kudos.bot.app.ledger.credit(kudos.guild_id, kudos.members[name], kind,
                                          source_key=f"{kind}:{name}:{i}", actor_id=None)
    await kudos.settle()


async def test_perk_and_shipped_report_are_listed_and_people_to_thank(kudos: Harness) -> None:
    await load_codes(kudos, CODES)
    await credit_answers(kudos, "bob", 6)  # earns the helper perk (a code by DM)
    dms = kudos.member("bob").dms()
    assert len(dms) == 1 and any(c in dms[0].embeds[0]["description"] for c in CODES)  # delivered
    assert await given(kudos, "bob") == [("perk", "helper")]

    await report_bug(kudos, "alice", "Crash when saving")
    assert kudos.bot is not None
    items = await kudos.bot.app.feedback.page(kudos.guild_id, status=None, type_=None, beta_id=None,
                                              offset=0, limit=5)
    row_id = items.items[0].id
    shipped = await kudos.member("sam").slash("feedback status", status="shipped", item=row_id, version="2.5.0")
    assert not shipped.failed, shipped.content
    assert await given(kudos, "alice") == [("shipped", f"#{row_id} Crash when saving")]

    # a staff answer to alice's help post, and thanks from staff to bob
    _, reply = await post_with_reply(kudos, "alice", "sam", title="export fails")
    marked = await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    assert "Marked" in (marked.content or "")
    await kudos.member("sam").slash("thanks", member=kudos.members["bob"], reason="great write-up")
    await kudos.member("carol").slash("thanks", member=kudos.members["alice"])  # not staff: nothing given
    assert [k for k, _ in await given(kudos, "alice")] == ["shipped", "staff_answer"]
    assert await given(kudos, "bob") == [("perk", "helper"), ("staff_thanks", "great write-up")]

    bob = await kudos.member("bob").slash("profile")
    text = field(bob, "What Acme Community gave you")
    assert "perk code: **1**" in text and "thanks from staff: **1**" in text and "helper" in text
    assert all(code not in text for code in CODES)  # never the code itself
    alice = await kudos.member("alice").slash("profile")
    text = field(alice, "What Acme Community gave you")
    assert "report shipped: **1**" in text and "Crash when saving" in text and "staff answer: **1**" in text
    assert field(await kudos.member("carol").slash("profile"), "What Acme") == "Nothing yet."

    # people to thank: carol (6 creations, nothing back) is listed; bob (a perk) and sam (staff) are not
    await credit(kudos, "carol", 6)
    await credit(kudos, "sam", 6)
    refused = await kudos.member("carol").slash("stats giveback")
    assert refused.failed or "staff" in (refused.content or "").lower()
    stats = await kudos.member("sam").slash("stats giveback")
    people = field(stats, "People to thank")
    assert f"<@{kudos.members['carol']}>: 6 contributions" in people
    assert f"<@{kudos.members['bob']}>" not in people and f"<@{kudos.members['sam']}>" not in people
    balance = field(stats, "Per month")
    month = kudos.clock.now().strftime("%Y-%m")
    line = next(x for x in balance.splitlines() if month in x)
    # given back this month: bob's perk and thanks, alice's shipped report and staff answer
    assert line.startswith(f"`{month}` 4 · ")
    assert int(line.rsplit(" ", 1)[1]) >= 6 + 1 + 6 + 6  # bob's answers, alice's report, carol's and sam's
