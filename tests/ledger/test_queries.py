"""The ledger's reads for other features (bot.ledger.queries), in the caller's transaction, on both backends."""

from __future__ import annotations

from datetime import timedelta

from bot.ledger import LedgerPolicy, LedgerService, queries
from bot.platform import guilds as guild_repo
from bot.platform.clock import FakeClock
from bot.platform.db import Database

G = 100
ALICE, BOB, CAROL = 11, 22, 33
OPEN = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0)


async def test_reads_see_the_callers_uncommitted_writes(db: Database, clock: FakeClock) -> None:
    ledger = LedgerService(db, clock, lambda _g: OPEN)
    await ledger.credit(G, BOB, "answer", source_key="a:old", actor_id=None)
    await clock.advance(timedelta(days=10))
    async with db.begin() as conn:
        await ledger.credit(G, ALICE, "answer", source_key="a:1", actor_id=None, conn=conn)
        await ledger.credit(G, ALICE, "thanks", source_key="t:1", actor_id=BOB, strict=False, conn=conn)
        await ledger.credit(G, BOB, "answer", source_key="a:2", actor_id=None, conn=conn)
        answer, thanks = OPEN.points_for("answer"), OPEN.points_for("thanks")
        assert await queries.total_points(conn, G, ALICE) == answer + thanks
        assert await queries.total_points(conn, G, CAROL) == 0
        stats = await queries.stats_for(conn, G, ALICE, (queries.ALL_TIME,))
        assert stats[("answer", queries.ALL_TIME)] == (answer, 1)
        assert stats[(queries.ALL_KINDS, queries.ALL_TIME)] == (answer + thanks, 2)
        assert set(await queries.stats_for(conn, G, ALICE)) >= set(stats)  # every season without a filter
        assert await queries.counted_points_since(conn, G, BOB, clock.now() - timedelta(days=1)) == answer
        assert await queries.members_with_stats(conn, G) == [ALICE, BOB]


async def test_member_joined_at_reads_the_members_row(db: Database, clock: FakeClock) -> None:
    joined = clock.now() - timedelta(days=3)
    async with db.begin() as conn:
        assert await guild_repo.member_joined_at(conn, G, ALICE) is None
        await guild_repo.seen_guild(conn, G, "g", now=clock.now())
        await guild_repo.seen_member(conn, G, ALICE, display_name="alice", joined_at=joined, now=clock.now())
        assert await guild_repo.member_joined_at(conn, G, ALICE) == joined
