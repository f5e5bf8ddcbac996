"""``/profile``'s ledger reads are one statement (``bot.ledger.profile_store``) and give exactly what the
separate reads gave: aggregates of the wanted seasons, held points, the stored stage, the newest receipts with
their reversed flags and a reversal's original title (also when the original is off the page). On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from bot.ledger import LedgerPolicy, LedgerService, Season
from bot.ledger import stages_store as stages_repo
from bot.ledger import store as repo
from bot.ledger.profile_store import profile_data
from bot.platform.clock import FakeClock
from bot.platform.db import Database

G = 300
A, B, STAFF = 330000000000000001, 330000000000000002, 330000000000000009
NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)
SEASON = Season("s1", NOW - timedelta(days=5), NOW + timedelta(days=30))
POLICY = LedgerPolicy(seasons=(SEASON,), probation_days=7, thanks_given_per_day=0, thanks_pair_cooldown_hours=0,
                      max_from_same_giver=0)


async def _seed(db: Database) -> LedgerService:
    clock = FakeClock(NOW - timedelta(days=20))
    ledger = LedgerService(db, clock, lambda _g: POLICY)
    old = NOW - timedelta(days=60)  # joined long ago: counted; B joined yesterday: on probation
    first = await ledger.credit(G, A, "creation", source_key="cre:1", actor_id=None, reason="My guide",
                                member_joined_at=old)
    for i in range(8):
        await ledger.credit(G, A, "answer", source_key=f"ans:{i}", actor_id=None, member_joined_at=old)
        await clock.advance(timedelta(days=2))
    assert first.contribution_id is not None
    await ledger.reverse(G, first.contribution_id, actor_id=STAFF, reason="copied")  # original off the page
    recent = await ledger.credit(G, A, "curation", source_key="cur:1", actor_id=STAFF, reason="Nice post",
                                 member_joined_at=old)
    assert recent.contribution_id is not None
    await ledger.reverse(G, recent.contribution_id, actor_id=STAFF, reason="oops")  # on the page
    await ledger.credit(G, B, "answer", source_key="b:1", actor_id=None, member_joined_at=clock.now() - timedelta(days=1))
    return ledger


async def _separately(db: Database, user: int, receipts: int) -> tuple:  # type: ignore[type-arg]
    """What the five to six statements read before."""
    seasons = ("", SEASON.id)
    async with db.connect() as c:
        stats = await repo.stats_for(c, G, user, seasons)
        pending = await repo.pending_points(c, G, user)
        stage = await stages_repo.stage_since(c, G, user)
        rows = await repo.history(c, G, user, limit=receipts)
        reversed_ids = set(await repo.reversals_of(c, G, [r.id for r in rows if not r.is_reversal]))
        originals = {}
        for r in rows:
            if r.reverses_id is not None:
                o = await repo.get(c, G, r.reverses_id)
                originals[r.id] = (o.kind, o.reason) if o is not None else None
    return stats, pending, stage, [(r, r.id in reversed_ids, originals.get(r.id)) for r in rows]


async def test_one_statement_reads_what_the_separate_reads_did(db: Database) -> None:
    await _seed(db)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    for user, receipts in ((A, 5), (A, 100), (A, 0), (B, 5), (330000000000000077, 5)):
        want = await _separately(db, user, receipts)
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            async with db.connect() as c:
                got = await profile_data(c, G, user, ("", SEASON.id), receipts=receipts)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        assert len(statements) == 1, statements
        statements.clear()
        assert got.stats == want[0]
        assert got.pending == want[1]
        assert got.stage == want[2]
        assert [(r.entry, r.reversed, r.original) for r in got.receipts] == want[3]
    a = await _separately(db, A, 100)
    assert a[0] and a[2] is not None and any(flag for _, flag, _ in a[3])
    assert any(o == ("creation", "My guide") for _, _, o in a[3])  # the reversal whose original is off page 1
    assert (await _separately(db, B, 5))[1] > 0  # B's points are held


async def test_profile_keeps_the_reversal_titles(db: Database) -> None:
    ledger = await _seed(db)
    p = await ledger.profile(G, A, receipts=3)
    assert [r.status for r in p.receipts] == ["reversal", "reversed", "reversal"]
    assert [r.title for r in p.receipts] == ["Nice post", "Nice post", "My guide"]
