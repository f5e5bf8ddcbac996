""""Is it one of these?": quality on a labelled set and suggestion latency at 100,000 items (issue #23).

Quality (``bench/similar_pairs.py``: 60 items on file, 127 duplicate and 75 distinct new texts): the pairs are
split in two (alternate rows); the score's title weight and the threshold are tuned on split A (the highest
recall@3 with at most 10% false suggestions) and reported on split B, on SQLite and on PostgreSQL.

- recall@3: the share of duplicates whose original is among the (at most 3) suggestions shown;
- false-suggestion rate: the share of distinct texts for which anything is suggested.

Latency: 100,000 synthetic feedback items (plus the set) in one guild; p95 of one suggestion look-up
(``bot.search.engine.similar``: the document counts, the full-text query and the scoring), over every text of
the set, against ``SELECT 1`` p95 on the same connection in the same run; once as the bot runs (counts of common
words remembered) and once with nothing remembered. The labelled set is also scored among the 100,000 items
(the synthetic items share many words with it): recall@3 and false suggestions at that size.
"""

from __future__ import annotations

import itertools
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import Result, percentile
from bench.similar_pairs import DISTINCT, DUPLICATES, ORIGINALS
from bot.platform.db import Database, migrate
from bot.search import engine, index, plan

GUILD = 1
FILLER = 100_000
NOW = datetime(2026, 12, 1, tzinfo=UTC)
OPEN = ("new", "acknowledged", "planned", "in_progress")
MAX_FALSE = 0.10


def _refs() -> dict[str, int]:
    return {key: n for n, (key, *_rest) in enumerate(ORIGINALS, start=1)}


async def _load_set(db: Database) -> None:
    refs = _refs()
    async with db.begin() as conn:
        for key, kind, title, body, answer in ORIGINALS:
            await index.put(conn, guild_id=GUILD, kind=kind, ref_id=refs[key], title=title, body=body,
                            status="new" if kind == "feedback" else "open", thread_id=refs[key], author_id=9, now=NOW)
            if kind == "help":
                await index.set_answer(conn, "help", refs[key], answer=answer, answerer_id=8, message_id=1,
                                       status="solved", now=NOW)


def _queries() -> list[tuple[str, str, str, int | None]]:
    """(kind, title, body, expected ref or None)."""
    refs = _refs()
    kinds = {key: kind for key, kind, *_rest in ORIGINALS}
    out: list[tuple[str, str, str, int | None]] = [(kinds[k], t, b, refs[k]) for t, b, k in DUPLICATES]
    out += [(kind, t, b, None) for t, b, kind in DISTINCT]
    return out


async def _candidates(db: Database, queries: list[tuple[str, str, str, int | None]]) -> list[list[Any]]:
    out = []
    async with db.connect() as conn:
        for kind, title, body, _expected in queries:
            statuses = OPEN if kind == "feedback" else ("solved",)
            out.append(await engine.candidates(conn, guild_id=GUILD, kind=kind, title=title, body=body,
                                               statuses=statuses))
    return out


def _evaluate(queries: list[tuple[str, str, str, int | None]], cands: list[list[Any]], rows: list[int],
              weights: engine.Weights) -> tuple[float, float]:
    hits = dups = false = distinct = 0
    for i in rows:
        _kind, title, body, expected = queries[i]
        scored = sorted(((engine.score(title, body, r.title, f"{r.body} {r.answer}", status=r.status,
                                       votes=int(r.votes), weights=weights), int(r.ref_id)) for r in cands[i]),
                        reverse=True)
        shown = [ref for s, ref in scored if s >= weights.threshold][:3]
        if expected is None:
            distinct += 1
            false += bool(shown)
        else:
            dups += 1
            hits += expected in shown
    return hits / max(dups, 1), false / max(distinct, 1)


def _tune(queries: list[Any], cands: list[list[Any]], rows: list[int]) -> engine.Weights:
    best: tuple[float, float, engine.Weights] | None = None
    for t10, th in itertools.product(range(30, 85, 5), range(30, 76, 2)):
        w = engine.Weights(title=t10 / 100, overlap=1 - t10 / 100, threshold=th / 100)
        recall, false = _evaluate(queries, cands, rows, w)
        if false <= MAX_FALSE and (best is None or (recall, -false) > (best[0], -best[1])):
            best = (recall, false, w)
    assert best is not None
    return best[2]


async def _quality(db: Database, label: str) -> list[Result]:
    await _load_set(db)
    queries = _queries()
    cands = await _candidates(db, queries)
    split_a = [i for i in range(len(queries)) if i % 2 == 0]
    split_b = [i for i in range(len(queries)) if i % 2 == 1]
    tuned = _tune(queries, cands, split_a)
    recall_a, false_a = _evaluate(queries, cands, split_a, tuned)
    recall_b, false_b = _evaluate(queries, cands, split_b, tuned)
    shipped_b = _evaluate(queries, cands, split_b, engine.DEFAULT)
    print(f"similar {label}: tuned on A title={tuned.title:.2f} threshold={tuned.threshold:.2f} "
          f"(A: recall@3 {recall_a:.3f}, false {false_a:.3f}); shipped weights title={engine.DEFAULT.title:.2f} "
          f"threshold={engine.DEFAULT.threshold:.2f} on B: recall@3 {shipped_b[0]:.3f}, false {shipped_b[1]:.3f}",
          file=sys.stderr)
    return [
        Result(f"{label}: similar recall@3 (split B)", recall_b, 0.8, "ratio", "goal recall@3", goal=">= 1.00x",
               higher_is_better=True),
        Result(f"{label}: similar false rate (split B)", false_b, 0.10, "ratio", "goal false-suggestion rate",
               goal="<= 1.00x"),
    ]


_WHAT = ["sync", "export", "login", "upload", "search", "notifications", "calendar", "editor", "chat", "invites",
         "avatar", "backup", "webhook", "tags", "comments", "attachments", "dashboard", "reports", "billing",
         "settings", "widgets", "themes", "permissions", "roles", "threads", "reactions", "files", "links",
         "previews", "shortcuts", "templates", "filters", "labels", "reminders", "payments", "profiles"]
_HOW = ["fails", "is slow", "crashes", "shows the wrong date", "is missing", "freezes", "duplicates items",
        "loses changes", "needs an option", "looks broken", "times out", "ignores my setting", "should be faster",
        "is confusing", "flickers", "stops working"]
_WHERE = ["on Android", "on iOS", "on Windows", "on macOS", "in Firefox", "after the update", "for admins",
          "in dark mode", "on tablets", "with many items", "for new members", "in the web app", "offline",
          "at startup", "when logged out", "in Spanish"]


def _filler(n: int, seed: int = 23) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    words = _WHAT + [w for h in _HOW for w in h.split()] + [w for h in _WHERE for w in h.split()]
    return [(f"{rng.choice(_WHAT).capitalize()} {rng.choice(_HOW)} {rng.choice(_WHERE)}"[:100],
             " ".join(rng.choice(words) for _ in range(rng.randrange(8, 30)))) for _ in range(n)]


async def _latency(db: Database, label: str, rounds: int = 3) -> list[Result]:
    """p95 of a look-up as the bot makes it (the document counts of common words remembered across look-ups,
    bot/search/plan.py), a p95 with nothing remembered (each look-up counts every word), and the labelled set's
    recall@3 and false-suggestion rate measured among the 100,000 items."""
    queries = _queries()
    plan.clear_cache()
    hits = dups = false = distinct = 0
    async with db.connect() as conn:
        for _ in range(20):
            await conn.execute(text("SELECT 1"))
        base: list[float] = []
        took: list[float] = []
        cold: list[float] = []
        for round_ in range(rounds + 1):
            for kind, title, body, expected in queries:
                started = time.perf_counter()
                await conn.execute(text("SELECT 1"))
                base.append((time.perf_counter() - started) * 1000)
                if round_ == rounds:
                    plan.clear_cache()
                started = time.perf_counter()
                found = await engine.similar(conn, guild_id=GUILD, kind=kind, title=title, body=body,
                                             statuses=OPEN if kind == "feedback" else ("solved",))
                (cold if round_ == rounds else took).append((time.perf_counter() - started) * 1000)
                if round_ == 0:
                    shown = [m.ref_id for m in found]
                    if expected is None:
                        distinct += 1
                        false += bool(shown)
                    else:
                        dups += 1
                        hits += expected in shown
    size = f"{FILLER // 1000}k items"
    results = [
        Result(f"{label}: suggestion p95 ({size})", percentile(took, 95), percentile(base, 95), "ms",
               "SELECT 1 p95 (same run)", goal="<= 20 ms"),
        Result(f"{label}: suggestion p95, cold ({size})", percentile(cold, 95), percentile(base, 95), "ms",
               "SELECT 1 p95 (same run)", goal="(nothing remembered)"),
        Result(f"{label}: similar recall@3 (all, {size})", hits / max(dups, 1), 0.8, "ratio", "goal recall@3",
               goal=">= 1.00x", higher_is_better=True),
        Result(f"{label}: similar false rate (all, {size})", false / max(distinct, 1), 0.10, "ratio",
               "goal false-suggestion rate", goal="<= 1.00x"),
    ]
    for r in results:
        print(f"similar {label}: {r.row()}", file=sys.stderr, flush=True)
    return results


def _fill_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA synchronous=OFF")
        stamp = NOW.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        con.executemany(
            "INSERT INTO search_docs (guild_id, kind, ref_id, title, body, answer, status, votes, language, "
            "updated_at) VALUES (?, 'feedback', ?, ?, ?, '', ?, ?, 'english', ?)",
            [(GUILD, 10_000 + i, t, b, OPEN[i % 4] if i % 5 else "shipped", i % 17, stamp)
             for i, (t, b) in enumerate(_filler(FILLER))])
        con.commit()
        con.execute("ANALYZE")
    finally:
        con.close()


async def _sqlite() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "similar.db"
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate.upgrade(db)
            results = await _quality(db, "sqlite")
            await db.close()
            _fill_sqlite(path)
            db = Database(f"sqlite+aiosqlite:///{path}")
            results += await _latency(db, "sqlite")
        finally:
            await db.close()
        return results


async def _postgres(base_url: str) -> list[Result]:
    import asyncpg

    name = f"kudos_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{base_url.rpartition('/')[0]}/{name}"
    try:
        db = Database(url)
        try:
            await migrate.upgrade(db)
            results = await _quality(db, "postgres")
        finally:
            await db.close()
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            records = [(GUILD, "feedback", 10_000 + i, t, b, "", OPEN[i % 4] if i % 5 else "shipped", i % 17,
                        "english", NOW) for i, (t, b) in enumerate(_filler(FILLER))]
            await conn.copy_records_to_table("search_docs", records=records, columns=[
                "guild_id", "kind", "ref_id", "title", "body", "answer", "status", "votes", "language", "updated_at"])
            await conn.execute("UPDATE search_docs SET tsv = setweight(to_tsvector('english', title), 'A') || "
                               "setweight(to_tsvector('english', body), 'B') WHERE tsv IS NULL")
            await conn.execute("VACUUM ANALYZE search_docs")
        finally:
            await conn.close()
        db = Database(url)
        try:
            results += await _latency(db, "postgres")
        finally:
            await db.close()
        return results
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def run() -> list[Result]:
    results = await _sqlite()
    pg_url = os.environ.get("KUDOS_BENCH_POSTGRES_URL") or os.environ.get("KUDOS_TEST_POSTGRES_URL")
    if pg_url:
        results += await _postgres(pg_url)
    else:
        print("similar: PostgreSQL part skipped (set KUDOS_BENCH_POSTGRES_URL)", file=sys.stderr)
    return results


if __name__ == "__main__":
    import asyncio

    from bench.common import HEADER

    out = asyncio.run(run())
    print(HEADER)
    for r in out:
        print(r.row())
