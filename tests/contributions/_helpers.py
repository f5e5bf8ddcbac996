"""Helpers for the contribution end-to-end tests: read the ledger and the emulator's forum state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.contributions.tables import featured_posts, solutions
from bot.ledger.tables import contributions
from bot.platform.events import DomainEvent
from bot.sandbox.harness import Harness


async def post_with_reply(kudos: Harness, asker: str, helper: str, title: str = "sync fails",
                          text: str = "Restart the sync service, then log in again.") -> tuple[Any, Any]:
    thread, _ = await kudos.member(asker).post(title, in_="help", content="My sync fails with error 42")
    kudos.labels[title] = thread.id
    reply = await kudos.member(helper).say(text, in_=title)
    return thread, reply


def tag_names(kudos: Harness, thread_id: int) -> list[str]:
    thread = kudos.emu.state.channels[thread_id]
    parent = kudos.emu.state.channels[thread.parent_id]
    names = {int(t["id"]): t["name"] for t in parent.available_tags}
    return [names[t] for t in thread.applied_tags]


async def ledger_rows(kudos: Harness, name: str | None = None) -> list[Any]:
    assert kudos.bot is not None
    stmt = select(contributions).where(contributions.c.guild_id == kudos.guild_id).order_by(contributions.c.id)
    if name is not None:
        stmt = stmt.where(contributions.c.user_id == kudos.members[name])
    async with kudos.bot.db.connect() as conn:
        return list(await conn.execute(stmt))


async def points(kudos: Harness, name: str, kind: str | None = None) -> int:
    assert kudos.bot is not None
    profile = await kudos.bot.app.ledger.profile(kudos.guild_id, kudos.members[name], receipts=0)
    return profile.total_points if kind is None else profile.points_by_kind[kind]


async def solution_rows(kudos: Harness, thread_id: int) -> list[Any]:
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        return list(await conn.execute(select(solutions).where(solutions.c.thread_id == thread_id)
                                       .order_by(solutions.c.id)))


async def featured_rows(kudos: Harness) -> list[Any]:
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        return list(await conn.execute(select(featured_posts).order_by(featured_posts.c.id)))


def capture_events(kudos: Harness) -> list[Any]:
    """Domain events emitted from now on (the hook runs inside the emitting transaction)."""
    assert kudos.bot is not None
    seen: list[Any] = []

    async def hook(conn: Any, event: Any) -> None:
        seen.append(event)

    kudos.bot.app.bus.subscribe(DomainEvent, hook)
    return seen


def reply_text(inter: Any) -> str:
    return inter.content or ""
