"""Perk pools end to end: staff create a pool and import codes from attachments, also two at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.platform.db import Database
from bot.platform.tables import audit_log
from bot.rewards.tables import perk_codes
from bot.sandbox.harness import Harness, MemberSpec, WorldSpec
from tests.platform.races import until_waiting


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.members += [MemberSpec("erin", roles=["Staff"])]
    return w


async def stored_codes(h: Harness) -> list[str]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return sorted(r[0] for r in await conn.execute(select(perk_codes.c.code)))


async def test_two_staff_importing_overlapping_files_at_once(kudos: Harness) -> None:
    """Both imports check for duplicates before either writes (forced on PostgreSQL, where nothing else
    serializes them): the overlapping code is imported once, and the later import's staff member sees the
    duplicates report (masked), not a generic error; nothing of that file is imported."""
    h = kudos
    sam, erin = h.member("sam"), h.member("erin")
    created = await sam.slash("perks pool create", name="storage", low_stock_warning=0)
    assert "Created perk pool" in (created.content or ""), created.content
    again = await erin.slash("perks pool create", name="storage", per_member_limit=3)
    assert "exists already" in (again.content or ""), again.content

    files = {"sam": ("a.txt", b"ACME-STORAGE-0001\nACME-STORAGE-0002\n"),
             "erin": ("b.csv", b"code,expires\nACME-STORAGE-0002,2031-01-31\nACME-STORAGE-0003\n")}

    def upload(who: Any) -> Any:
        return asyncio.create_task(who.slash("perks add-codes", pool="storage", file=files[who.name]))

    if h.database_url.startswith("postgresql"):
        blocker = Database(h.database_url)
        try:
            async with blocker.begin() as conn:
                await conn.execute(text("LOCK TABLE perk_codes IN EXCLUSIVE MODE"))
                tasks = [upload(sam)]
                await until_waiting(conn, 1, tasks)
                tasks.append(upload(erin))
                await until_waiting(conn, 2, tasks)
        finally:
            await blocker.close()
    else:
        tasks = [upload(sam), upload(erin)]
    replies = {who: (await task).content or "" for who, task in zip(("sam", "erin"), tasks, strict=True)}
    await h.settle()

    winner = "sam" if replies["sam"].startswith("Added") else "erin"
    loser = "erin" if winner == "sam" else "sam"
    assert replies[winner] == "Added 2 codes to **storage**.", replies
    assert replies[loser].startswith("Nothing was imported (1 problem;"), replies
    assert "already in storage" in replies[loser] and "ACME-STORAGE-0002" not in replies[loser]  # masked
    assert await stored_codes(h) == (["ACME-STORAGE-0001", "ACME-STORAGE-0002"] if winner == "sam"
                                     else ["ACME-STORAGE-0002", "ACME-STORAGE-0003"])
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        actions = [r[0] for r in await conn.execute(select(audit_log.c.action).where(
            audit_log.c.action.like("perk.%")).order_by(audit_log.c.id))]
    assert actions == ["perk.pool_created", "perk.codes_added"]
