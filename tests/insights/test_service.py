"""Insights on a seeded database (both backends): every /stats number asserted exactly; charts are PNGs of the
expected size; exports mask codes and fit attachments."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from bot.betas.tables import beta_participants, betas
from bot.contributions.tables import help_posts, solutions
from bot.feedback.tables import feedback
from bot.insights import InsightsService, package
from bot.insights import charts as ch
from bot.insights.models import KindSeries, Window
from bot.ledger import LedgerPolicy, LedgerService
from bot.platform.clock import FakeClock
from bot.platform.db import Database
from bot.platform.errors import InvalidInput
from bot.platform.tables import guilds, members
from bot.rewards.tables import grants, perk_codes, perk_pools

G = 100
A, B, C, D, E = (310000000000000001, 310000000000000002, 310000000000000003, 310000000000000004,
                 310000000000000005)
STAFF = 310000000000000009
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
OPEN = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0)


def ago(days: float, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days) + timedelta(hours=hours)


async def seed(db: Database) -> FakeClock:
    """The community described in the test docstrings; returns a clock standing at NOW."""
    clock = FakeClock(ago(60))
    ledger = LedgerService(db, clock, lambda _g: OPEN)
    async with db.begin() as conn:
        await conn.execute(insert(guilds).values(id=G, name="g", joined_at=ago(100)))
        await conn.execute(insert(members).values(guild_id=G, user_id=E, display_name="Erin", first_seen_at=ago(50)))
    # before the 30-day window: A curates (curator), B answers twice (consumer, 20 points)
    await ledger.credit(G, A, "curation", source_key="cur:1", actor_id=STAFF)
    await ledger.credit(G, B, "answer", source_key="ans:1", actor_id=None, thread_id=1)
    await ledger.credit(G, B, "answer", source_key="ans:2", actor_id=None, thread_id=2)
    await clock.advance(timedelta(days=50))  # day -10
    await ledger.credit(G, A, "creation", source_key="cre:1", actor_id=None)  # A: creator
    await ledger.credit(G, C, "thanks", source_key="thx:1", actor_id=B, reason="thanks for the help")
    await clock.advance(timedelta(days=5))  # day -5
    await ledger.credit(G, B, "answer", source_key="ans:3", actor_id=None, thread_id=3)
    await ledger.credit(G, D, "curation", source_key="cur:2", actor_id=STAFF)  # D: curator
    await clock.advance(timedelta(days=3))  # day -2
    made = await ledger.credit(G, D, "creation", source_key="cre:2", actor_id=None)
    await clock.advance(timedelta(days=1))  # day -1
    assert made.contribution_id is not None
    await ledger.reverse(G, made.contribution_id, actor_id=STAFF, reason="not original")
    await clock.advance(timedelta(days=1))
    assert clock.now() == NOW

    async with db.begin() as conn:
        beta_rows = [
            {"id": 1, "name": "Alpha", "status": "open", "starts_at": ago(20)},
            {"id": 2, "name": "Old", "status": "closed", "starts_at": ago(90)},
            {"id": 3, "name": "Draft", "status": "draft", "starts_at": None},
        ]
        for row in beta_rows:
            await conn.execute(insert(betas).values(guild_id=G, eligibility={}, created_by=STAFF, created_at=ago(25),
                                                    **row))
        for user, status in ((A, "joined"), (B, "joined"), (C, "waitlisted"), (D, "left")):
            await conn.execute(insert(beta_participants).values(beta_id=1, user_id=user, status=status,
                                                                joined_at=ago(19)))
        await conn.execute(insert(beta_participants).values(beta_id=2, user_id=A, status="joined", joined_at=ago(89)))
        items = [
            # (reporter, beta, status, created days ago, first staff answer after hours)
            (A, 1, "shipped", 15, 2.0),
            (B, 1, "new", 12, 4.0),
            (C, 1, "new", 11, None),
            (A, None, "acknowledged", 40, 1.0),
            (D, None, "pending_review", 3, None),
        ]
        for i, (reporter, beta, status, days, answer) in enumerate(items, start=1):
            await conn.execute(insert(feedback).values(
                id=i, guild_id=G, beta_id=beta, reporter_id=reporter, type="bug", title=f"Item {i}",
                details="It crashes when I click" if reporter == A else "", status=status, created_at=ago(days),
                updated_at=ago(days), first_staff_response_at=None if answer is None else ago(days, answer)))
        for thread, days in ((11, 20), (12, 15), (13, 8), (14, 40)):
            await conn.execute(insert(help_posts).values(guild_id=G, thread_id=thread, forum_id=5,
                                                         created_at=ago(days)))
        for thread, message, days, hours, active in ((11, 1, 20, 1, True), (12, 2, 15, 5, False),
                                                      (12, 3, 15, 7, True), (14, 4, 40, 1, True)):
            await conn.execute(insert(solutions).values(guild_id=G, thread_id=thread, message_id=message,
                                                        answerer_id=B, accepted_by=A, created_at=ago(days, hours),
                                                        active=active))
        pool = await conn.execute(insert(perk_pools).values(guild_id=G, name="storage", created_at=ago(30))
                                  .returning(perk_pools.c.id))
        pool_id = pool.scalar_one()
        grant = await conn.execute(insert(grants).values(
            guild_id=G, user_id=A, rule_name="beta:Alpha", action="perk", payload={"pool": "storage"},
            status="delivered", dedupe_key=f"beta:1:{A}:perk", created_at=ago(19), delivered_at=ago(19))
            .returning(grants.c.id))
        await conn.execute(insert(perk_codes).values(pool_id=pool_id, code="ACME-SECRET-0001", assigned_to=A,
                                                     grant_id=grant.scalar_one(), assigned_at=ago(19),
                                                     created_at=ago(30)))
    return clock


@pytest.fixture
async def seeded(db: Database) -> tuple[InsightsService, FakeClock]:
    clock = await seed(db)
    return InsightsService(db, clock, lambda _g: OPEN), clock


async def test_overview_numbers_are_exact(seeded: tuple[InsightsService, FakeClock]) -> None:
    svc, _ = seeded
    ov = await svc.overview(G, "30d")
    win = ov.window
    assert (win.start, win.end, win.bucket) == (ago(30), NOW, "day")

    # contributions by kind: the reversed creation of D is left out; 31 daily bars
    assert len(ov.kinds.buckets) == 31 and ov.kinds.buckets[0] == date(2026, 5, 16)
    assert ov.kinds.totals == {"answer": 1, "curation": 1, "creation": 1, "thanks": 1, "feedback_given": 0,
                               "feedback_acknowledged": 0, "feedback_shipped": 0, "beta": 0}
    day = {d: i for i, d in enumerate(ov.kinds.buckets)}
    assert ov.kinds.counts["creation"][day[date(2026, 6, 5)]] == 1
    assert ov.kinds.counts["answer"][day[date(2026, 6, 10)]] == 1

    # ladder: now A creator, D curator, B C E consumers; at the start A curator, the rest consumers
    lad = ov.ladder
    assert lad.now == {"consumer": 3, "curator": 1, "creator": 1, "collaborator": 0}
    assert lad.start == {"consumer": 4, "curator": 1, "creator": 0, "collaborator": 0}
    assert [(c.stage, c.moved, c.base) for c in lad.conversions] == [
        ("consumer", 1, 4), ("curator", 1, 1), ("creator", 0, 0)]

    # beta funnel: Alpha only; A, B, D joined (C waitlisted); A and B gave feedback; A's shipped
    assert (ov.betas.announced, ov.betas.joined, ov.betas.gave_feedback, ov.betas.shipped) == (1, 3, 2, 1)

    # feedback created in the window by status; answered after 2 h and 4 h → median 3 h
    assert ov.feedback.by_status == {"pending_review": 1, "new": 2, "shipped": 1}
    assert ov.feedback.answered == 2 and ov.feedback.median_first_answer == timedelta(hours=3)

    # help posts 11, 12, 13 in the window; 11 solved after 1 h, 12 first accepted after 5 h (then moved)
    assert (ov.help.posts, ov.help.solved) == (3, 2)
    assert ov.help.rate == pytest.approx(2 / 3)
    assert ov.help.median_time_to_solution == timedelta(hours=3)


async def test_all_time_window_and_weekly_buckets(seeded: tuple[InsightsService, FakeClock]) -> None:
    svc, _ = seeded
    ov = await svc.overview(G, "all")
    # "all" starts on the day of the earliest record of any kind: the old beta, 90 days ago
    assert ov.window.start == datetime(2026, 3, 17, tzinfo=UTC) and ov.window.bucket == "week"
    assert ov.kinds.total == 7  # the three older credits too
    assert ov.ladder.start == {"consumer": 5, "curator": 0, "creator": 0, "collaborator": 0}
    assert [(c.moved, c.base) for c in ov.ladder.conversions] == [(2, 5), (0, 0), (0, 0)]
    assert ov.help.posts == 4 and ov.feedback.answered == 3
    quarter = await svc.overview(G, "90d")
    assert quarter.betas.announced == 2 and quarter.betas.joined == 4


async def test_member_timeline(seeded: tuple[InsightsService, FakeClock]) -> None:
    svc, _ = seeded
    tl = await svc.member_timeline(G, A)
    assert [(p.at, p.kind, p.total) for p in tl.points] == [(ago(60), "curation", 3), (ago(10), "creation", 11)]
    assert tl.stage_changes == [(ago(60), "curator"), (ago(10), "creator")]
    assert (tl.feedback, tl.betas, tl.rewards) == (2, 2, 1)
    d = await svc.member_timeline(G, D)
    assert [p.total for p in d.points] == [3, 11, 3]
    assert d.stage_changes == [(ago(5), "curator"), (ago(2), "creator"), (ago(1), "curator")]  # reversal: back down


async def test_empty_guild_and_bad_period(db: Database) -> None:
    svc = InsightsService(db, FakeClock(NOW), lambda _g: OPEN)
    ov = await svc.overview(G, "7d")
    assert ov.kinds.total == 0 and ov.ladder.members == 0 and ov.help.rate is None
    assert ov.feedback.median_first_answer is None
    charts = ch.render_overview(ov)
    assert all("no data yet" in c.summary.lower() for c in charts)
    assert all(ch.png_size(c.png) == (ch.WIDTH, ch.HEIGHT) for c in charts)
    with pytest.raises(InvalidInput, match="Unknown period"):
        await svc.overview(G, "fortnight")


async def test_charts_are_pngs_of_the_expected_size(seeded: tuple[InsightsService, FakeClock]) -> None:
    from PIL import Image

    svc, _ = seeded
    charts = ch.render_overview(await svc.overview(G, "30d"))
    charts.append(ch.timeline_chart(await svc.member_timeline(G, A), "alice"))
    assert [c.name for c in charts] == ["contributions", "ladder", "betas", "feedback", "help", "timeline"]
    for chart in charts:
        assert chart.png.startswith(ch.PNG_SIGNATURE)
        assert ch.png_size(chart.png) == (800, 450)
        with Image.open(io.BytesIO(chart.png)) as image:
            assert image.size == (800, 450) and image.format == "PNG"
            lo, hi = image.convert("L").getextrema()
            assert hi - lo > 100  # something was drawn
    assert charts[0].summary.startswith("Contributions, the last 30 days: 4 in total")
    assert "consumer → higher: 1 of 4 (25%)" in charts[1].summary
    assert charts[4].summary == ("Help posts, the last 30 days: 2 of 3 have an accepted solution (67%); "
                                 "median time to solution: 3 h.")


def test_the_contributions_chart_stacks_each_kind_on_the_ones_below() -> None:
    """The stacked bars are one collection per kind (not a patch per bar): check the rectangles' geometry, the
    legend, the limits, and that each kind's colour is on the image, with the bars standing on the x axis."""
    from matplotlib.colors import to_rgb
    from PIL import Image

    fig, ax = ch._figure()
    totals = ch._stacked_bars(ax, {"answer": ([3, 0, 1], "#4C72B0"), "beta": ([0, 0, 0], "#937860"),
                                   "thanks": ([2, 5, 0], "#C44E52")})
    assert totals == [5, 5, 1]
    layers = ax.collections
    assert [c.get_label() for c in layers] == ["answer", "thanks"]  # the empty kind is left out
    boxes = [[tuple(map(float, p.vertices[:4].min(0))) + tuple(map(float, p.vertices[:4].max(0)))
              for p in layer.get_paths()] for layer in layers]
    assert boxes[0] == [(-0.425, 0.0, 0.425, 3.0), (1.575, 0.0, 2.425, 1.0)]  # no rectangle for a zero
    assert boxes[1] == [(-0.425, 3.0, 0.425, 5.0), (0.575, 0.0, 1.425, 5.0)]  # on top of what is below
    assert ax.get_ylim() == (0.0, 5.25) and ax.get_xlim()[0] < -0.425 and ax.get_xlim()[1] > 2.425
    ax.legend()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["answer", "thanks"]

    window = Window("30d", datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 31, tzinfo=UTC), "day")
    series = KindSeries(window, [date(2026, 5, day) for day in (1, 2, 3)],
                           {"answer": [3, 0, 1], "thanks": [2, 5, 0], "beta": [0, 0, 0]})
    chart = ch.contributions_chart(series)
    with Image.open(io.BytesIO(chart.png)) as image:
        colours = {colour for _, colour in image.convert("RGB").getcolors(800 * 450)}
    for hex_colour in ("#4C72B0", "#C44E52"):
        assert tuple(round(c * 255) for c in to_rgb(hex_colour)) in colours
    assert tuple(round(c * 255) for c in to_rgb("#937860")) not in colours
    assert chart.summary.startswith("Contributions, the last 30 days: 11 in total (thanks 7, answer 4).")


def _rows(data: bytes) -> list[dict[str, Any]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


async def test_exports(seeded: tuple[InsightsService, FakeClock]) -> None:
    svc, _ = seeded
    contrib = await svc.export(G, "contributions", "all")
    rows = _rows(contrib.data)
    assert contrib.rows == len(rows) == 9  # 8 credits + 1 reversal
    assert rows[0]["member"] == str(A) and rows[0]["kind"] == "curation"
    thanks = next(r for r in rows if r["kind"] == "thanks")
    assert thanks["reason"] == "thanks for the help" and thanks["actor"] == str(B)
    fb = _rows((await svc.export(G, "feedback", "30d")).data)
    assert [r["id"] for r in fb] == ["1", "2", "3", "5"]
    bt = (await svc.export(G, "betas", "90d")).data
    assert b"ACME-SECRET-0001" not in bt
    alpha_a = next(r for r in _rows(bt) if r["beta"] == "Alpha" and r["member"] == str(A))
    assert alpha_a["perk_codes"] == ch_mask("ACME-SECRET-0001")
    with pytest.raises(InvalidInput):
        await svc.export(G, "members", "30d")


def ch_mask(code: str) -> str:
    from bot.rewards.codes import mask_code

    return mask_code(code)


def test_package_gzips_then_splits() -> None:
    data = ("id,text\n" + "".join(f"{i},{'x' * 50}{i * 7919 % 10007}\n" for i in range(20000))).encode()
    assert package("a.csv", data, len(data)) == [("a.csv", data)]
    gz = package("a.csv", data, len(data) // 3)
    assert [n for n, _ in gz] == ["a.csv.gz"] and gzip.decompress(gz[0][1]) == data
    limit = len(gzip.compress(data)) // 3
    parts = package("a.csv", data, limit)
    assert len(parts) >= 3 and all(len(p) <= limit for _, p in parts)
    assert parts[0][0] == f"a.part1of{len(parts)}.csv.gz"
    lines = []
    for _, part in parts:
        text = gzip.decompress(part).decode().splitlines()
        assert text[0] == "id,text"
        lines += text[1:]
    assert lines == data.decode().splitlines()[1:]


def test_formula_cells_are_defused() -> None:
    from bot.insights.service import _csv

    data, _ = _csv(("a",), [("=HYPERLINK(1)",), ("-5",), (-5,)])
    assert data.decode().splitlines() == ["a", "'=HYPERLINK(1)", "'-5", "-5"]


async def test_the_member_timeline_chart_speaks_the_readers_language(seeded) -> None:  # type: ignore[no-untyped-def]
    svc, _ = seeded
    timeline = await svc.member_timeline(G, A)
    german = ch.timeline_chart(timeline, "alice", "svg", "de")
    assert german.title == "alice: Punkte im Zeitverlauf"
    assert "Erreichte Stufen:" in german.summary and "Punkte aus" in german.summary
    assert "points over time" not in german.summary and "ledger entries" not in german.summary
    english = ch.timeline_chart(timeline, "alice", "svg")
    assert english.title == "alice: points over time" and "Stages reached:" in english.summary


async def test_the_overview_is_drawn_concurrently_in_chart_processes(seeded: tuple[InsightsService, FakeClock]) -> None:
    """``ChartRenderer.draw_overview`` gives what ``render_overview`` gives, in the same order, each chart drawn in
    one of two chart processes at a lower priority than the bot (docs/scaling.md, "/stats")."""
    import os

    from bot.insights.renderer import CHILD_NICENESS, ChartRenderer

    svc, _ = seeded
    numbers = await svc.overview(G, "30d")
    renderer = ChartRenderer(workers=2)
    try:
        drawn = await renderer.draw_overview(numbers, "svg", "de")
        want = ch.render_overview(numbers, "svg", "de")
        assert [(c.name, c.title, c.summary) for c in drawn] == [(c.name, c.title, c.summary) for c in want]
        assert all(b"<svg" in c.data[:1000] for c in drawn)
        pool = await renderer._started()
        assert len(pool._processes) == 2  # five charts submitted at once: a second process was started for them
        loop = asyncio.get_running_loop()
        assert os.getpid() != await loop.run_in_executor(pool, os.getpid)
        niceness = await loop.run_in_executor(pool, os.nice, 0)
        assert niceness == os.nice(0) + CHILD_NICENESS
    finally:
        await renderer.close()
