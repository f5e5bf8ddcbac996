"""What the dashboard's overview and rewards pages list, read from the rewards service on both backends:
failed grants, the week's grants by status, and a pool's newest codes (masked)."""

from __future__ import annotations

from datetime import timedelta

from bot.ledger import LedgerPolicy
from bot.platform.clock import FakeClock
from bot.platform.db import Database
from bot.rewards import RewardsService

G, OTHER = 100, 200
ALICE = 1 << 40


async def queue(rewards: RewardsService, db: Database, guild_id: int, key: str) -> int:
    async with db.begin() as conn:
        grant_id = await rewards.queue_grant(conn, guild_id=guild_id, user_id=ALICE, action="dm",
                                             payload={"template": "hi"}, dedupe_key=key, rule_name="test")
    assert grant_id is not None
    return grant_id


async def test_failed_grants_and_counts_by_status(db: Database, clock: FakeClock) -> None:
    rewards = RewardsService(db, clock, policy_for=lambda _g: LedgerPolicy())
    old = await queue(rewards, db, G, "t:old")
    await clock.advance(timedelta(days=8))
    first, second = await queue(rewards, db, G, "t:1"), await queue(rewards, db, G, "t:2")
    await queue(rewards, db, G, "t:3")
    await queue(rewards, db, OTHER, "t:other")
    for grant in await rewards.claim(ids=[old, first, second]):
        await rewards.failed(grant, "403 Missing Access")
    assert [g.id for g in await rewards.failed_grants(G)] == [second, first, old]  # newest first
    assert [g.id for g in await rewards.failed_grants(G, limit=1)] == [second]
    assert await rewards.failed_grants(OTHER) == []
    # Pending: t:3 and the staff notice each failure queued (written now, so inside both windows).
    assert await rewards.grant_counts(G, days=7) == {"failed": 2, "pending": 4}  # t:old is older than a week
    assert await rewards.grant_counts(G, days=30) == {"failed": 3, "pending": 4}
    assert await rewards.grant_counts(OTHER, days=7) == {"pending": 1}


async def test_pool_codes_are_masked_newest_first(db: Database, clock: FakeClock) -> None:
    rewards = RewardsService(db, clock, policy_for=lambda _g: LedgerPolicy())
    pool = await rewards.create_pool(G, "storage", actor_id=None)
    _, added = await rewards.add_codes(G, "storage", b"ACME-STORAGE-0001\nACME-STORAGE-0002\n", "c.txt",
                                       actor_id=None)
    assert added == 2
    shown = await rewards.pool_codes(pool.id, limit=10)
    assert len(shown) == 2 and shown[0]["id"] > shown[1]["id"]
    assert all("ACME-STORAGE" not in row["code"] for row in shown)
    assert {"assigned_to", "assigned_at", "expires_at", "voided_at"} <= set(shown[0])
    assert len(await rewards.pool_codes(pool.id, limit=1)) == 1
