"""Staff in their own language (docs/languages.md, issue #27): a German staff member's `/feedback status` reply
is German while the server is French, and the staff log speaks the French server's language (a notice queued
when the reward was decided keeps its message and values, and is translated when it is posted). End to end on
the emulator, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.harness import Harness, MemberSpec, WorldSpec
from tests.feedback.test_e2e import item, report

CODES = ["LANG-CODE-0001", "LANG-CODE-0002", "LANG-CODE-0003"]


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.locale = "fr"  # the server's preferred locale
    w.members += [MemberSpec("greta", roles=["Staff"], locale="de")]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "low_stock_warning": 2}],
        "rewards": [{"name": "first-answer", "trigger": {"kind": "answer", "count": 1}, "perk_pool": "storage"}],
    }}}


def staff_log(h: Harness) -> list[str]:
    return [m.content or "" for m in h.emu.messages(h.channel_id("staff-log"))]


async def test_a_german_staff_member_gets_a_german_status_reply_in_a_french_server(kudos: Harness) -> None:
    await report(kudos)  # alice, an English client
    row = await item(kudos)
    await kudos.member("bob").click(row.thread_id, label="Moi aussi")  # the public post speaks French

    done = await kudos.member("greta").slash("feedback status", status="planned", item=row.id)

    assert done.ephemeral
    text = done.content or ""
    assert text.startswith(f"Feedback #{row.id} ist jetzt **Geplant**."), text
    assert "2 Mitglieder werden benachrichtigt; die Statuszeile des Threads ist unterwegs." in text, text
    # the same command from an English client stays English
    again = await kudos.member("sam").slash("feedback status", status="in_progress", item=row.id)
    assert (again.content or "").startswith(f"Feedback #{row.id} is now **In progress**."), again.content
    assert "2 members will be told" in (again.content or "")


async def test_the_french_server_gets_its_staff_log_notice_in_french(kudos: Harness) -> None:
    assert kudos.bot is not None
    reply = await kudos.member("sam").slash("perks add-codes", pool="storage", codes=" ".join(CODES[:2]))
    assert reply.content
    await kudos.bot.app.ledger.credit(kudos.guild_id, kudos.members["alice"], "answer", source_key="answer:alice",
                                      actor_id=None)
    await kudos.settle()  # 1 code left < 2: the pool runs low, and the staff log is told in French
    low = [t for t in staff_log(kudos) if "storage" in t]
    assert low == ["Le pool d’avantages **storage** s’épuise (codes restants : 1 ; membres en attente d’un "
                   "code : 0)."], staff_log(kudos)
