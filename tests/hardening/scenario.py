"""Small building blocks the fault scenarios and the soak run share: load codes, earn rewards, run a beta."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.betas.tables import beta_participants, betas
from bot.feedback.tables import feedback
from bot.rewards.tables import grants
from bot.sandbox.harness import Harness

ROLE_ROUTE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"
DM_ROUTE = "POST /users/@me/channels"


async def load_codes(h: Harness, codes: list[str]) -> None:
    reply = await h.member("sam").slash("perks add-codes", pool="storage", codes=" ".join(codes))
    assert "Added" in (reply.content or ""), reply.content


async def credit_answers(h: Harness, name: str, n: int, start: int = 0) -> None:
    """``n`` accepted answers for ``name`` (what 'Mark as solution' records), through the ledger service."""
    assert h.bot is not None
    for i in range(start, start + n):
        await h.bot.app.ledger.credit(h.guild_id, h.members[name], "answer",
                                           source_key=f"answer:{name}:{i}", actor_id=None)
    await h.settle()


async def rows(h: Harness, table: Any, *where: Any) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(table).where(*where)))


async def member_grants(h: Harness, name: str) -> list[Any]:
    return await rows(h, grants, grants.c.user_id == h.members[name])


async def create_beta(h: Harness, name: str = "Photos v2", **options: Any) -> Any:
    opened = await h.member("sam").slash("beta create", name=name, **options)
    assert opened.modal is not None, opened.content
    return await h.member("sam").submit_modal(opened, {"Description": f"Try {name}."})


def announcement(h: Harness, name: str = "Photos v2") -> Any:
    msgs = [m for m in h.emu.messages(h.channel_id("announcements"))
            if m.author_id == h.emu.bot_user_id and m.embeds and m.embeds[0]["title"].startswith(f"Beta: {name}")]
    assert msgs, "no announcement posted"
    return msgs[-1]


async def beta_row(h: Harness, name: str = "Photos v2") -> Any:
    return (await rows(h, betas, betas.c.name == name))[0]


async def joined(h: Harness, beta_id: int) -> list[int]:
    found = await rows(h, beta_participants, beta_participants.c.beta_id == beta_id,
                       beta_participants.c.status == "joined")
    return [r.user_id for r in found]


async def report_bug(h: Harness, who: str = "alice", title: str = "Crash when saving") -> Any:
    opened = await h.member(who).slash("feedback new", type="bug")
    assert opened.modal is not None, opened.content
    return await h.member(who).submit_modal(opened, {"Title": title, "Details": "The app closes",
                                                     "Steps to reproduce": "1. Save\nVersion: 2.4.1"})


async def feedback_rows(h: Harness) -> list[Any]:
    return await rows(h, feedback, feedback.c.id > 0)
