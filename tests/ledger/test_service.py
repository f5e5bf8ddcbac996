"""The contribution ledger: idempotent credits, reversals, caps, probation, seasons, queries — on both backends."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from bot.ledger import ContributionEvent, LedgerPolicy, LedgerService, Season
from bot.ledger import store as repo
from bot.ledger.tables import contributions, member_stats
from bot.platform import audit
from bot.platform.clock import FakeClock
from bot.platform.db import Database
from bot.platform.errors import InvalidInput, LimitReached, NotAllowed, NotFound
from bot.platform.tables import audit_log, guilds, members

G = 100
ASKER, HELPER, OTHER, MOD = 11, 22, 33, 99

# Policies with the anti-abuse limits switched off, so each test turns on only what it is about.
OPEN = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0)


def service(db: Database, clock: FakeClock, policy: LedgerPolicy = OPEN, on_change: Any = None) -> LedgerService:
    return LedgerService(db, clock, lambda guild_id: policy, on_change)


async def answer(svc: LedgerService, user: int, msg: int, *, actor: int = ASKER, thread: int = 500) -> Any:
    return await svc.credit(
        G, user, "answer", source_key=f"answer:{thread}:{msg}", actor_id=actor, reason="solved",
        thread_id=thread, message_id=msg,
    )


async def thanks(svc: LedgerService, giver: int, receiver: int, n: int) -> Any:
    return await svc.credit(G, receiver, "thanks", source_key=f"thanks:{giver}:{n}", actor_id=giver, reason="ty")


async def rows(db: Database, **where: Any) -> list[repo.Contribution]:
    stmt = select(contributions).order_by(contributions.c.id)
    for name, value in where.items():
        stmt = stmt.where(contributions.c[name] == value)
    async with db.connect() as conn:
        return [repo._row(r) for r in await conn.execute(stmt)]


async def stats(db: Database, user: int) -> dict[tuple[str, str], tuple[int, int]]:
    async with db.connect() as conn:
        return await repo.stats_for(conn, G, user)


# --------------------------------------------------------------------------- credit / reverse / move


async def test_credit_is_idempotent(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    first = await answer(svc, HELPER, 1)
    again = await answer(svc, HELPER, 1)
    assert (first.status, first.points) == ("credited", 10)
    assert again.status == "duplicate" and again.contribution_id == first.contribution_id
    assert "Already credited" in again.message
    assert len(await rows(db)) == 1
    assert (await stats(db, HELPER))[("answer", "")] == (10, 1)
    assert (await stats(db, HELPER))[("*", "")] == (10, 1)
    assert first.receipt and "+10 answer" in first.receipt
    assert await svc.totals_consistent(G)


async def test_reversal_appends_and_updates_aggregates(db: Database, clock: FakeClock) -> None:
    events: list[ContributionEvent] = []

    async def on_change(conn: Any, event: ContributionEvent) -> None:
        events.append(event)

    svc = service(db, clock, on_change=on_change)
    credited = await answer(svc, HELPER, 1)
    await answer(svc, HELPER, 2)
    undone = await svc.reverse(G, credited.contribution_id, actor_id=MOD, reason="copied from the docs")
    assert (undone.status, undone.points) == ("reversed", -10)
    again = await svc.reverse(G, credited.contribution_id, actor_id=MOD, reason="twice")
    assert again.status == "duplicate" and again.contribution_id == undone.contribution_id

    all_rows = await rows(db)
    assert len(all_rows) == 3  # nothing deleted
    assert all_rows[-1].reverses_id == credited.contribution_id
    assert all_rows[-1].source_key == f"rev:{credited.contribution_id}"
    assert (await stats(db, HELPER))[("answer", "")] == (10, 1)
    assert [e.action for e in events] == ["credit", "credit", "reverse"]
    assert events[-1].points == -10 and events[-1].total_points == 10

    history = await svc.history(G, HELPER)
    assert [r.status for r in history] == ["reversal", "counted", "reversed"]
    with pytest.raises(InvalidInput, match="itself a reversal"):
        await svc.reverse(G, undone.contribution_id, actor_id=MOD, reason="x")
    with pytest.raises(NotFound, match="no ledger entry #999"):
        await svc.reverse(G, 999, actor_id=MOD, reason="x")
    async with db.connect() as conn:
        logged = await audit_repo_recent(conn)
    assert logged == ["ledger.reverse"]
    assert await svc.totals_consistent(G)


async def audit_repo_recent(conn: Any) -> list[str]:
    result = await conn.execute(select(audit_log.c.action).order_by(audit_log.c.id))
    return list(result.scalars())


async def test_move_solution(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    first = await answer(svc, HELPER, 1)
    undone, moved = await svc.move_credit(
        G, first.contribution_id, OTHER, source_key="answer:500:2", actor_id=ASKER, reason="better answer",
        thread_id=500, message_id=2,
    )
    assert (undone.status, moved.status) == ("reversed", "credited")
    assert (await svc.profile(G, HELPER)).total_points == 0
    assert (await svc.profile(G, OTHER)).total_points == 10

    # replaying the same move changes nothing
    replay = await svc.move_credit(G, first.contribution_id, OTHER, source_key="answer:500:2", actor_id=ASKER)
    assert [r.status for r in replay] == ["duplicate", "duplicate"]

    # moving back to the first message credits it again
    _, back = await svc.move_credit(
        G, moved.contribution_id, HELPER, source_key="answer:500:1", actor_id=ASKER, thread_id=500, message_id=1
    )
    assert back.status == "credited"
    assert (await svc.profile(G, HELPER)).total_points == 10
    assert (await svc.profile(G, OTHER)).total_points == 0
    # a plain replay of the original event does not re-credit a reversed source
    assert (await answer(svc, OTHER, 2)).status == "duplicate"
    assert await svc.totals_consistent(G)


async def test_self_credit_refused(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    with pytest.raises(NotAllowed, match="can't thank yourself"):
        await thanks(svc, HELPER, HELPER, 1)
    result = await answer(svc, ASKER, 1, actor=ASKER)
    assert result.status == "refused" and "own question" in result.message
    with pytest.raises(NotAllowed):
        await svc.credit(G, ASKER, "answer", source_key="answer:1:1", actor_id=ASKER, strict=True)
    # kinds that are not peer-given may be recorded by the member themselves (e.g. a beta sign-up)
    assert (await svc.credit(G, HELPER, "beta", source_key="beta:1", actor_id=HELPER)).status == "credited"
    assert len(await rows(db)) == 1


async def test_unknown_kind_and_bad_input(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    with pytest.raises(InvalidInput, match="Unknown contribution kind 'karma'"):
        await svc.credit(G, HELPER, "karma", source_key="k", actor_id=None)
    with pytest.raises(InvalidInput, match="can't be negative"):
        await svc.credit(G, HELPER, "answer", source_key="k", actor_id=None, points=-3)


# --------------------------------------------------------------------------- limits


async def test_thanks_daily_cap_per_giver(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock, LedgerPolicy(thanks_given_per_day=3, thanks_pair_cooldown_hours=0, max_from_same_giver=0))
    for n, receiver in enumerate((HELPER, OTHER, MOD)):
        assert (await thanks(svc, ASKER, receiver, n)).status == "credited"
    with pytest.raises(LimitReached, match=r"all 3 thanks for today\. You can thank again <t:\d+:R>"):
        await thanks(svc, ASKER, 44, 9)
    # another giver is not affected; the cap resets at midnight UTC
    assert (await thanks(svc, HELPER, 44, 1)).status == "credited"
    await clock.advance(timedelta(hours=12))
    assert (await thanks(svc, ASKER, 44, 10)).status == "credited"


async def test_thanks_pair_cooldown(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock, LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=24, max_from_same_giver=0))
    await thanks(svc, ASKER, HELPER, 1)
    await clock.advance(timedelta(hours=23))
    with pytest.raises(LimitReached, match=rf"already thanked <@{HELPER}> recently"):
        await thanks(svc, ASKER, HELPER, 2)
    assert (await thanks(svc, ASKER, OTHER, 3)).status == "credited"
    await clock.advance(timedelta(hours=1))
    assert (await thanks(svc, ASKER, HELPER, 4)).status == "credited"


async def test_distinct_giver_rule(db: Database, clock: FakeClock) -> None:
    policy = LedgerPolicy(
        thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=2, distinct_givers_window_days=7
    )
    svc = service(db, clock, policy)
    await thanks(svc, ASKER, HELPER, 1)
    await clock.advance(timedelta(days=1))
    await thanks(svc, ASKER, HELPER, 2)
    with pytest.raises(LimitReached, match=r"already received 2 thanks credits from you in the last 7 days"):
        await thanks(svc, ASKER, HELPER, 3)
    # curation is peer-given too, but automatic: refused, not raised
    await svc.credit(G, HELPER, "curation", source_key="cur:1", actor_id=ASKER)
    await svc.credit(G, HELPER, "curation", source_key="cur:2", actor_id=ASKER)
    refused = await svc.credit(G, HELPER, "curation", source_key="cur:3", actor_id=ASKER)
    assert refused.status == "refused" and "Spread the kudos" in refused.message
    assert (await thanks(svc, OTHER, HELPER, 4)).status == "credited"
    await clock.advance(timedelta(days=6))  # the first thanks leaves the window
    assert (await thanks(svc, ASKER, HELPER, 5)).status == "credited"


async def test_daily_cap_per_kind_with_answer_exempt(db: Database, clock: FakeClock) -> None:
    policy = LedgerPolicy(
        thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0,
        daily_cap={"thanks": 5, "answer": 10},
    )
    svc = service(db, clock, policy)
    results = [await thanks(svc, giver, HELPER, 1) for giver in (1, 2, 3, 4)]
    assert [(r.status, r.points) for r in results] == [("credited", 2), ("credited", 2), ("credited", 1), ("capped", 0)]
    assert "1 of 2 points counted" in results[2].message
    assert (await stats(db, HELPER))[("thanks", "")] == (5, 3)
    capped_row = (await rows(db, id=results[3].contribution_id))[0]
    assert (capped_row.status, capped_row.points) == ("capped", 0)
    # answers are exempt even though a cap is configured
    for msg in (1, 2, 3):
        assert (await answer(svc, HELPER, msg)).points == 10
    explained = await svc.explain(G, HELPER, source_key="thanks:4:1")
    assert explained[0].startswith("0 points: daily cap for thanks reached (5/day)")
    # the cap resets the next UTC day
    await clock.advance(timedelta(hours=12))
    assert (await thanks(svc, 5, HELPER, 1)).points == 2
    assert await svc.totals_consistent(G)


# --------------------------------------------------------------------------- probation and seasons


async def test_probation_pending_then_release(db: Database, clock: FakeClock) -> None:
    events: list[ContributionEvent] = []

    async def on_change(conn: Any, event: ContributionEvent) -> None:
        events.append(event)

    svc = service(db, clock, LedgerPolicy(probation_days=7, max_from_same_giver=0), on_change)
    joined = clock.now() - timedelta(days=2)
    held = await svc.credit(
        G, HELPER, "answer", source_key="a:1", actor_id=ASKER, member_joined_at=joined, message_id=1, thread_id=5
    )
    assert held.status == "pending" and held.held_until == joined + timedelta(days=7)
    # the members table is used when the caller does not pass a join date
    async with db.begin() as conn:
        await conn.execute(insert(guilds).values(id=G, name="g", joined_at=clock.now()))
        await conn.execute(
            insert(members).values(guild_id=G, user_id=OTHER, first_seen_at=joined, joined_at=joined)
        )
    held2 = await svc.credit(G, OTHER, "answer", source_key="a:2", actor_id=ASKER)
    assert held2.status == "pending"
    undone_pending = await svc.credit(G, HELPER, "answer", source_key="a:3", actor_id=ASKER, member_joined_at=joined)
    await svc.reverse(G, undone_pending.contribution_id, actor_id=MOD, reason="spam")

    assert await stats(db, HELPER) == {}
    assert events == []
    profile = await svc.profile(G, HELPER)
    assert (profile.total_points, profile.pending_points) == (0, 10)
    assert any("Held: probation until" in s for s in await svc.explain(G, HELPER, message_id=1))

    assert await svc.release_pending(G, clock.now()) == 0
    await clock.advance(timedelta(days=5))
    assert await svc.release_pending(G, clock.now()) == 4  # HELPER's 2 answers, the reversal, OTHER's answer
    assert await svc.release_pending(G, clock.now()) == 0
    assert (await svc.profile(G, HELPER)).total_points == 10
    assert (await svc.profile(G, OTHER)).total_points == 10
    assert {e.action for e in events} == {"release"}
    assert any("counted since" in s for s in await svc.explain(G, HELPER, message_id=1))
    assert await svc.totals_consistent(G)


async def test_seasons_reset_while_all_time_stays(db: Database) -> None:
    s1 = Season("2026-S1", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    s2 = Season("2026-S2", datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))
    clock = FakeClock(datetime(2026, 3, 30, tzinfo=UTC))
    svc = service(db, clock, LedgerPolicy(seasons=(s1, s2)))
    await answer(svc, HELPER, 1)
    await answer(svc, OTHER, 2)
    p = await svc.profile(G, HELPER)
    assert (p.season, p.season_points, p.total_points) == ("2026-S1", 10, 10)

    await clock.advance(timedelta(days=3))
    p = await svc.profile(G, HELPER)
    assert (p.season, p.season_points, p.total_points) == ("2026-S2", 0, 10)
    await answer(svc, OTHER, 3)
    assert [tuple(e) for e in await svc.leaderboard(G, "season")] == [(1, OTHER, 10)]
    assert [tuple(e) for e in await svc.leaderboard(G, "all")] == [(1, OTHER, 20), (2, HELPER, 10)]
    # reversing a season-1 credit during season 2 takes it off season 1, where it was counted
    first = (await rows(db, user_id=HELPER))[0]
    await svc.reverse(G, first.id, actor_id=MOD, reason="dup")
    assert (await stats(db, HELPER))[("*", "2026-S1")] == (0, 0)
    assert await svc.totals_consistent(G)

    await clock.advance(timedelta(days=120))  # between seasons
    with pytest.raises(InvalidInput, match="No season is running"):
        await svc.leaderboard(G, "season")


# --------------------------------------------------------------------------- transaction


async def test_on_change_runs_inside_the_transaction(db: Database, clock: FakeClock) -> None:
    seen: list[int] = []

    async def writes_then_checks(conn: Any, event: ContributionEvent) -> None:
        count = (await conn.execute(select(func.count()).select_from(contributions))).scalar_one()
        seen.append(count)
        await audit.record(conn, now=event.at, action="reward.grant", guild_id=event.guild_id, target_id=event.user_id)

    svc = service(db, clock, on_change=writes_then_checks)
    await answer(svc, HELPER, 1)
    assert seen == [1]  # the ledger row is visible to on_change

    async def boom(conn: Any, event: ContributionEvent) -> None:
        await audit.record(conn, now=event.at, action="reward.grant", guild_id=event.guild_id)
        raise RuntimeError("rewards engine failed")

    failing = service(db, clock, on_change=boom)
    with pytest.raises(RuntimeError):
        await answer(failing, HELPER, 2)
    with pytest.raises(RuntimeError):
        await failing.reverse(G, 1, actor_id=MOD, reason="x")
    assert len(await rows(db)) == 1
    assert (await stats(db, HELPER))[("*", "")] == (10, 1)

    # with the caller's connection, only the ledger part rolls back (a savepoint)
    async with db.begin() as conn:
        await audit.record(conn, now=clock.now(), action="caller.work", guild_id=G)
        with pytest.raises(RuntimeError):
            await answer_in(failing, conn, 3)
        ok = await svc.credit(G, OTHER, "answer", source_key="answer:500:4", actor_id=ASKER, conn=conn)
        assert ok.status == "credited"
    async with db.connect() as conn:
        assert await audit_repo_recent(conn) == ["reward.grant", "caller.work", "reward.grant"]
    assert len(await rows(db)) == 2
    assert await svc.totals_consistent(G)


async def answer_in(svc: LedgerService, conn: Any, msg: int) -> Any:
    return await svc.credit(G, HELPER, "answer", source_key=f"answer:500:{msg}", actor_id=ASKER, conn=conn)


async def test_concurrent_credits_of_one_source_write_one_row(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    results = await asyncio.gather(*(answer(svc, HELPER, 7) for _ in range(6)))
    assert sorted(r.status for r in results) == ["credited"] + ["duplicate"] * 5
    assert len(await rows(db)) == 1
    # concurrent thanks respect the giver's daily limit
    capped = service(db, clock, LedgerPolicy(thanks_given_per_day=2, thanks_pair_cooldown_hours=0, max_from_same_giver=0))
    outcomes = await asyncio.gather(
        *(thanks(capped, ASKER, 1000 + n, n) for n in range(5)), return_exceptions=True
    )
    assert sum(1 for o in outcomes if isinstance(o, LimitReached)) == 3
    assert await svc.totals_consistent(G)


# --------------------------------------------------------------------------- queries


async def test_leaderboard_periods(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    await answer(svc, HELPER, 1)  # 40 days ago, relative to the end
    await clock.advance(timedelta(days=20))
    await answer(svc, OTHER, 2)  # 20 days ago
    await answer(svc, OTHER, 3)
    await clock.advance(timedelta(days=17))
    await answer(svc, MOD, 4)  # 3 days ago
    await thanks(svc, HELPER, MOD, 1)
    await thanks(svc, MOD, HELPER, 1)
    await clock.advance(timedelta(days=3))

    # calendar periods (UTC): now is Sat 2026-02-14; OTHER's answers were on Sun 2026-01-25
    assert clock.now().date().isoformat() == "2026-02-14"
    week = [tuple(e) for e in await svc.leaderboard(G, "week")]
    assert week == [(1, MOD, 12), (2, HELPER, 2)]
    month = [tuple(e) for e in await svc.leaderboard(G, "month")]
    assert month == [(1, MOD, 12), (2, HELPER, 2)]
    all_time = [tuple(e) for e in await svc.leaderboard(G, "all")]
    assert all_time == [(1, OTHER, 20), (2, HELPER, 12), (2, MOD, 12)]  # ties share a rank
    assert [tuple(e) for e in await svc.leaderboard(G, "all", offset=2, limit=1)] == [(2, MOD, 12)]
    assert [tuple(e) for e in await svc.leaderboard(G, "all", kind="thanks")] == [(1, HELPER, 2), (1, MOD, 2)]
    assert [tuple(e) for e in await svc.leaderboard(G, "week", kind="answer")] == [(1, MOD, 10)]
    assert await svc.leaderboard(G + 1, "all") == []
    with pytest.raises(InvalidInput, match="choose week, month, season or all"):
        await svc.leaderboard(G, "year")  # type: ignore[arg-type]
    await clock.advance(timedelta(days=2))  # Monday 2026-02-16: a new week, the same month
    assert await svc.leaderboard(G, "week") == []
    assert [tuple(e) for e in await svc.leaderboard(G, "month")] == [(1, MOD, 12), (2, HELPER, 2)]
    answer_id = next(r.id for r in await svc.history(G, MOD) if r.kind == "answer")
    await svc.reverse(G, answer_id, actor_id=HELPER, reason="wrong thread")  # counts in this week and month
    assert await svc.leaderboard(G, "week") == []
    assert [tuple(e) for e in await svc.leaderboard(G, "month")] == [(1, HELPER, 2), (1, MOD, 2)]
    await clock.advance(timedelta(days=13))  # Sunday 2026-03-01 12:00: a new month
    assert await svc.leaderboard(G, "month") == []
    assert await svc.totals_consistent(G)


async def _sqlite_plan(conn: Any, stmt: Any) -> str:
    compiled = stmt.compile(conn.sync_connection, compile_kwargs={"literal_binds": True})
    return " ".join(str(r[-1]) for r in await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


async def test_queries_use_their_indexes(db: Database, clock: FakeClock) -> None:
    if not db.is_sqlite:
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL picks plans by table size")
    now = clock.now()
    async with db.connect() as conn:
        plan = await _sqlite_plan(conn, repo.board_from_stats_sql(G, "*", "", limit=10, offset=0))
        assert "ix_member_stats_guild_id_kind_season_points" in plan
        # rows come in index order; only ties on points are sorted by user id (a partial sort, not a full one)
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan
        plan = await _sqlite_plan(conn, repo.board_from_ledger_sql(G, ["answer", "thanks"], now - timedelta(days=7), now))
        assert "ix_contributions_guild_id_kind_created_at" in plan
        for ids in ([1, 2, 3], list(range(1, 21))):  # 4+ ids once made SQLite scan the guild instead
            plan = await _sqlite_plan(conn, repo.reversals_of_sql(G, ids))
            assert "ix_contributions_reverses_id" in plan, plan


async def test_profile_ladder_and_next_stage(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    p = await svc.profile(G, HELPER)
    assert (p.stage, p.next_stage) == ("consumer", "curator")
    assert p.missing == ["1 more curation credit or 100 more points"]

    await svc.credit(G, HELPER, "curation", source_key="c:1", actor_id=ASKER)
    p = await svc.profile(G, HELPER)
    assert (p.stage, p.next_stage, p.missing) == ("curator", "creator", ["1 more creation credit"])

    await svc.credit(G, HELPER, "creation", source_key="cr:1", actor_id=MOD)
    await svc.credit(G, HELPER, "feedback_shipped", source_key="f:1", actor_id=None)
    for msg in range(3):
        await answer(svc, HELPER, msg)
    p = await svc.profile(G, HELPER)
    assert (p.stage, p.next_stage, p.missing) == ("creator", "collaborator", ["2 more answer credits"])
    for msg in range(3, 5):
        await answer(svc, HELPER, msg)
    p = await svc.profile(G, HELPER, receipts=3)
    assert (p.stage, p.next_stage, p.missing) == ("collaborator", None, [])
    assert p.points_by_kind["answer"] == 50 and p.counts_by_kind["answer"] == 5
    assert p.total_points == 3 + 8 + 10 + 50  # feedback_shipped counts for the collaborator stage
    assert [r.kind for r in p.receipts] == ["answer", "answer", "answer"]
    assert p.receipts[0].message_id == 4 and p.receipts[0].actor_id == ASKER


async def test_explain_sentences(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock, LedgerPolicy(max_from_same_giver=0, thanks_pair_cooldown_hours=0))
    credited = await svc.credit(
        G, HELPER, "answer", source_key="answer:500:1", actor_id=ASKER, reason="fixed my build",
        channel_id=400, thread_id=500, message_id=1,
    )
    [sentence] = await svc.explain(G, HELPER, message_id=1)
    assert sentence.startswith("+10 answer for message https://discord.com/channels/100/500/1")
    assert '("fixed my build")' in sentence and f"accepted as the solution by <@{ASKER}> on <t:" in sentence

    await svc.reverse(G, credited.contribution_id, actor_id=MOD, reason="answer was copied")
    lines = await svc.explain(G, HELPER, source_key="answer:500:1")
    assert len(lines) == 2
    assert lines[1].startswith(f"Reversed by <@{MOD}> on <t:") and "answer was copied (-10 answer)" in lines[1]

    [none] = await svc.explain(G, HELPER, message_id=12345)
    assert none == ("No record: this message was never credited — only replies marked as the solution "
                    "in a help forum count as answers.")
    assert "thanks command" in (await svc.explain(G, HELPER, source_key="thanks:9:9"))[0]
    # someone else's credit is not explained to this member
    await answer(svc, OTHER, 2)
    assert (await svc.explain(G, HELPER, message_id=2))[0].startswith("No record")
    # without a source: the latest entries, oldest first, reversal told with its entry
    latest = await svc.explain(G, HELPER)
    assert latest[0].startswith("+10 answer") and latest[1].startswith("Reversed by")
    assert await svc.explain(G, 777) == ["No record: nothing has been credited to you yet."]


async def test_ring_detection(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    a, b, c, d = 1, 2, 3, 4
    start = clock.now()
    for n in range(3):
        await thanks(svc, a, b, n)
        await thanks(svc, b, a, n)
    await svc.credit(G, a, "curation", source_key="cur:x", actor_id=b)
    # c thanks many people: not a ring; c and d exchange once each way: below the minimum
    for n, receiver in enumerate((a, b, d, 5, 6, 7)):
        await thanks(svc, c, receiver, 10 + n)
    await thanks(svc, d, c, 1)
    rings = await svc.rings(G, since=start)
    assert [tuple(r) for r in rings] == [(a, b, 3, 4)]
    assert await svc.rings(G, since=clock.now() + timedelta(seconds=1)) == []
    assert [tuple(r) for r in await svc.rings(G, since=start, min_exchanges=2, share=0.3)][:1] == [(a, b, 3, 4)]


async def test_totals_consistent_after_random_mix(db: Database, clock: FakeClock) -> None:
    rng = random.Random(20260105)
    policy = LedgerPolicy(
        thanks_given_per_day=4, thanks_pair_cooldown_hours=2, max_from_same_giver=3, probation_days=3,
        daily_cap={"thanks": 6, "curation": 9, "answer": 5},
        seasons=(Season("S1", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 9, tzinfo=UTC)),
                 Season("S2", datetime(2026, 1, 9, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))),
    )
    svc = service(db, clock, policy)
    users = list(range(1, 9))
    joined = {u: clock.now() - timedelta(days=rng.choice([0, 1, 10])) for u in users}
    written: list[int] = []
    for step in range(150):
        op = rng.random()
        user, actor = rng.choice(users), rng.choice(users)
        try:
            if op < 0.55:
                kind = rng.choice(["answer", "thanks", "curation", "creation", "feedback_given", "beta"])
                result = await svc.credit(
                    G, user, kind, source_key=f"{kind}:{rng.randrange(60)}", actor_id=actor,
                    member_joined_at=joined[user], points=rng.choice([None, None, 1, 7]),
                )
                if result.contribution_id and result.status != "duplicate":
                    written.append(result.contribution_id)
            elif op < 0.7 and written:
                await svc.reverse(G, rng.choice(written), actor_id=MOD, reason="random")
            elif op < 0.8 and written:
                await svc.move_credit(G, rng.choice(written), user, source_key=f"moved:{step}", actor_id=actor)
            elif op < 0.9:
                await svc.release_pending(G, clock.now())
            else:
                await clock.advance(timedelta(hours=rng.choice([1, 5, 20])))
        except (LimitReached, NotAllowed, InvalidInput):
            pass
        if step % 25 == 0:
            assert await svc.totals_consistent(G)
    assert await svc.totals_consistent(G)
    # tampering is detected
    async with db.begin() as conn:
        await conn.execute(member_stats.update().where(member_stats.c.kind == "*").values(points=member_stats.c.points + 1))
    assert not await svc.totals_consistent(G)
