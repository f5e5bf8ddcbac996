"""Which words a look-up asks the index for (bot/search/plan.py): FTS5's stems, the document counts on both
databases, common words left out so the look-up ranks few rows, and the duplicate still found."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.platform.db import Database
from bot.search import engine, index, plan
from bot.search.porter import porter

G = 7
NOW = datetime(2026, 12, 1, tzinfo=UTC)
OPEN = ("new", "acknowledged", "planned", "in_progress")


def test_porter_stems_as_fts5_does() -> None:
    """Every word of the labelled set (and some of the suffix rules' cases) stemmed by SQLite's own tokenizer."""
    text = (Path(__file__).parents[2] / "bench" / "similar_pairs.py").read_text()
    words = set(re.findall(r"[a-z]+", text.lower())) | {
        "caresses", "ponies", "agreed", "plastered", "motoring", "conflated", "troubled", "sized", "hopping",
        "falling", "hissing", "failing", "filing", "happy", "relational", "conditional", "rational", "valenci",
        "digitizer", "conformabli", "radicalli", "differentli", "vileli", "analogousli", "vietnamization",
        "predication", "operator", "feudalism", "decisiveness", "hopefulness", "callousness", "formaliti",
        "sensitiviti", "sensibiliti", "triplicate", "formative", "formalize", "electriciti", "electrical",
        "hopeful", "goodness", "revival", "allowance", "inference", "airliner", "gyroscopic", "adjustable",
        "defensible", "irritant", "replacement", "adjustment", "dependent", "adoption", "homologou",
        "communism", "activate", "angulariti", "homologous", "effective", "bowdlerize", "probate", "rate",
        "cease", "controll", "roll", "generalization", "oscillators", "archaeology", "sky", "day", "toy",
    }
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61 remove_diacritics 2')")
    con.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    differ = []
    for word in sorted(words):
        con.execute("DELETE FROM t")
        con.execute("INSERT INTO t(x) VALUES (?)", (word,))
        (fts5,) = con.execute("SELECT term FROM v").fetchone()
        if porter(word) != fts5:
            differ.append((word, fts5, porter(word)))
    assert len(words) > 500 and differ == []


def _part(word: str, docs: float, *, title: bool = True, prefix: bool = False) -> plan.Part:
    return plan.Part(word, prefix, title, docs)


def test_choose_takes_rare_words_within_the_budget() -> None:
    parts = [_part("sync", 900), _part("huge", 3), _part("projects", 5, title=False), _part("pro", 950, prefix=True)]
    assert plan.fts5_expression(plan.choose(parts, 10_000, budget=100)) == '"huge" OR "projects"'
    assert plan.tsquery_expression(plan.choose(parts, 10_000, budget=100)) == "huge | projects"
    everything = plan.choose(parts, 10_000, budget=10_000)
    assert plan.fts5_expression(everything) == '"huge" OR "projects" OR "sync" OR "pro"*'


def test_choose_with_only_common_words_asks_for_them_together() -> None:
    parts = [_part("dark", 5000), _part("mode", 4000), _part("app", 9000, title=False)]
    assert plan.fts5_expression(plan.choose(parts, 10_000, budget=100)) == '("mode" AND "dark")'
    assert plan.tsquery_expression(plan.choose(parts, 10_000, budget=100)) == "(mode & dark)"
    assert plan.fts5_expression(plan.choose([_part("app", 9000, title=False)], 10_000, budget=100)) == '"app"'


async def _fill(db: Database, n: int) -> None:
    async with db.begin() as conn:
        for ref in range(1, n + 1):
            await index.put(conn, guild_id=G, kind="feedback", ref_id=1000 + ref, title=f"Sync is slow number {ref}",
                            body="sync slow again", status="new", now=NOW)
        await index.put(conn, guild_id=G, kind="feedback", ref_id=1, title="Sync takes minutes on huge projects",
                        body="Projects with 5000 files take minutes to sync.", status="new", now=NOW)
    if not db.is_sqlite:  # the lexeme statistics plan.py reads
        async with db.begin() as conn:
            await conn.execute(sa.text("ANALYZE search_docs"))


async def test_common_words_are_left_out_and_the_duplicate_is_found(db: Database,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "BUDGET", 40)
    monkeypatch.setattr(plan, "SCAN", 40)
    plan.clear_cache()
    await _fill(db, 120)
    title, body = "Sync is slow for huge projects", "syncing a project takes minutes"
    async with db.connect() as conn:
        parts, total = await plan.counted(conn, engine.query_parts(title, body))
        docs = {(p.word, p.prefix): p.docs for p in parts}
        assert docs[("sync", False)] >= 100 and docs[("slow", False)] >= 100 and docs[("huge", False)] <= 2
        assert total >= 100
        expression, _seqscan = await plan.plan(conn, engine.query_parts(title, body))
        assert "huge" in expression and "sync" not in expression and "slow" not in expression
        found = await engine.similar(conn, guild_id=G, kind="feedback", title=title, body=body, statuses=OPEN)
    assert [m.ref_id for m in found][:1] == [1]
    plan.clear_cache()


async def test_only_common_words_still_ranks_at_most_scan_rows(db: Database,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "BUDGET", 40)
    monkeypatch.setattr(plan, "SCAN", 40)
    plan.clear_cache()
    await _fill(db, 120)
    async with db.connect() as conn:
        expression, _seqscan = await plan.plan(conn, engine.query_parts("Sync slow", ""))
        assert expression in ('("slow" AND "sync")', '("sync" AND "slow")', "(slow & sync)", "(sync & slow)")
        rows = await engine.candidates(conn, guild_id=G, kind="feedback", title="Sync slow", body="",
                                       statuses=OPEN, limit=1000)
    assert 0 < len(rows) <= 40
    # the newest matches are the ones ranked
    assert min(int(r.ref_id) for r in rows) > 1000 + 120 - 40 - 1
    plan.clear_cache()


async def test_sqlite_counts_are_remembered_for_common_words_only(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL reads its statistics every time (nothing is remembered)")
    monkeypatch.setattr(plan, "CACHE_MIN_DOCS", 50)
    plan.clear_cache()
    await _fill(db, 60)
    async with db.connect() as conn:
        await plan.counted(conn, engine.query_parts("Sync is slow for huge projects", ""))
    remembered = {word for (_db, word, _prefix) in plan._cache}
    assert {"sync", "slow"} <= remembered and "huge" not in remembered and "projects" not in remembered
    plan.clear_cache()


async def test_postgres_lookup_leaves_enable_seqscan_as_it_was(db: Database) -> None:
    """The count statement turns sequential scans off for the look-up's plan; the look-up puts it back."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    await _fill(db, 5)
    async with db.begin() as conn:
        await engine.similar(conn, guild_id=G, kind="feedback", title="Sync takes minutes", body="", statuses=OPEN)
        assert (await conn.execute(sa.text("SHOW enable_seqscan"))).scalar_one() == "on"
        await conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        await engine.similar(conn, guild_id=G, kind="feedback", title="Sync takes minutes", body="", statuses=OPEN)
        assert (await conn.execute(sa.text("SHOW enable_seqscan"))).scalar_one() == "off"
