"""Helpers for the privileges' end-to-end tests: credit by hand, read held privileges and the DMs about them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.platform.tables import audit_log
from bot.privileges.tables import member_privileges
from bot.sandbox.harness import Harness


async def give(kudos: Harness, name: str, points: int, kind: str = "creation") -> Any:
    """Staff (sam) credits ``name`` by hand; returns the reply."""
    inter = await kudos.member("sam").slash("contrib give", member=kudos.members[name], kind=kind,
                                            reason="hand credit for the test", points=points)
    assert not inter.failed and "Entry #" in (inter.content or ""), inter.content
    return inter


async def held(kudos: Harness, name: str) -> dict[str, tuple[bool, str]]:
    """``{privilege: (held, pin)}`` of a member, from the database."""
    assert kudos.bot is not None
    mp = member_privileges.c
    async with kudos.bot.db.connect() as conn:
        rows = await conn.execute(select(mp.privilege, mp.held, mp.pin).where(
            mp.guild_id == kudos.guild_id, mp.user_id == kudos.members[name]))
        return {str(p): (bool(h), str(pin)) for p, h, pin in rows}


def privilege_dms(kudos: Harness, name: str) -> list[str]:
    return [m.content for m in kudos.member(name).dms() if "privilege" in m.content.lower()]


async def audit_rows(kudos: Harness, prefix: str) -> list[Any]:
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        rows = await conn.execute(select(audit_log).where(audit_log.c.action.like(f"{prefix}%"))
                                  .order_by(audit_log.c.id))
        return list(rows)
