"""Which words a suggestion look-up asks the full-text index for, so its cost does not grow with the index.

Ranking (``bm25`` on SQLite, ``ts_rank_cd`` on PostgreSQL) costs a few microseconds per *matching* document,
and the plain OR of a text's words matches a large share of a big index ("app", "sync", "slow"…): at 100,000
items a look-up ranked some 40,000 rows. Those common words add next to nothing to either ranking (their
inverse document frequency is near zero), so the query keeps the rarest words first, while the documents they
match add up to at most ``BUDGET``; a text made only of common words asks for the conjunction of the rarest two
or three of its title's words (``dark AND theme``). At the end the index ranks at most ``SCAN`` matches (the
newest), so a look-up's cost is bounded whatever the words. (Adding that conjunction to the rare words too was
tried: slower, and no better on the labelled set at 100,000 items.)

Documents per word: SQLite reads ``search_vocab`` (fts5vocab of ``search_fts``, migration ``0027_perf``) with the
word stemmed as FTS5 stems it (:mod:`bot.search.porter`); PostgreSQL reads the lexeme frequencies ``ANALYZE``
keeps for ``search_docs.tsv`` (``pg_stats.most_common_elems``; a word not among them is rare). One statement
each. A small index is never pruned: every word matches fewer documents than the budget.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.search.porter import porter

BUDGET = 600  # documents the chosen words may match, together (an estimate)
SCAN = 600  # matches ranked at most (the newest), whatever the estimate said


@dataclass(frozen=True, slots=True)
class Part:
    """One OR-ed part of the query: a word, or a prefix (``bat*``, for typos)."""

    word: str
    prefix: bool
    title: bool
    docs: float = 0.0


def choose(parts: Sequence[Part], total: float, budget: float | None = None) -> list[list[Part]]:
    """The query as a list of alternatives, each a conjunction of parts (one part, mostly). See the module doc."""
    budget = BUDGET if budget is None else budget
    ordered = sorted(parts, key=lambda p: (p.docs, not p.title, p.prefix))
    chosen: list[list[Part]] = []
    used = 0.0
    for part in ordered:
        if used + part.docs <= budget:
            chosen.append([part])
            used += part.docs
    if chosen or not ordered:
        return chosen
    # Only common words: the rarest two or three of the title's, together, else the rarest word alone
    # (SCAN bounds what either costs).
    common = [p for p in ordered if p.title and not p.prefix][:3]
    for k in (2, 3):
        if k > len(common):
            break
        expected = common[0].docs
        for p in common[1:k]:
            expected *= p.docs / max(total, 1.0)
        if expected <= budget or k == len(common):
            return [common[:k]]
    return [[common[0] if common else ordered[0]]]


def fts5_expression(alternatives: Sequence[Sequence[Part]]) -> str:
    """``"w1" OR ("w2" AND "w3") OR "pre"*`` (the words are ``[a-z0-9]+``, nothing to escape)."""
    def one(p: Part) -> str:
        return f'"{p.word}"*' if p.prefix else f'"{p.word}"'

    return " OR ".join(one(a[0]) if len(a) == 1 else "(" + " AND ".join(map(one, a)) + ")" for a in alternatives)


def tsquery_expression(alternatives: Sequence[Sequence[Part]]) -> str:
    """``w1 | (w2 & w3) | pre:*`` for ``to_tsquery``."""
    def one(p: Part) -> str:
        return f"{p.word}:*" if p.prefix else p.word

    return " | ".join(one(a[0]) if len(a) == 1 else "(" + " & ".join(map(one, a)) + ")" for a in alternatives)


def _after(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


# Documents per word (as FTS5 stems it) and per prefix (FTS5 stems a prefix too: ``"mes"*`` asks for ``me*``;
# the documents of each term under it, added up), and the highest row id (about the number of rows).
_SQLITE_COUNTS = (
    "SELECT -1, coalesce(max(id), 0) FROM search_docs "
    "UNION ALL SELECT CAST(j.key AS INTEGER), (SELECT v.doc FROM search_vocab v WHERE v.term = j.value) "
    "FROM json_each(:exact) j "
    "UNION ALL SELECT 100000 + CAST(j.key AS INTEGER), (SELECT total(v.doc) FROM search_vocab v "
    "WHERE v.term >= json_extract(j.value, '$[0]') AND v.term < json_extract(j.value, '$[1]')) FROM json_each(:ranges) j"
)


async def _sqlite_counts(conn: AsyncConnection, parts: Sequence[Part]) -> tuple[list[Part], float]:
    exact = [i for i, p in enumerate(parts) if not p.prefix]
    pre = [i for i, p in enumerate(parts) if p.prefix]
    stems = [porter(parts[i].word) for i in pre]
    rows = await conn.execute(text(_SQLITE_COUNTS), {
        "exact": json.dumps([porter(parts[i].word) for i in exact]),
        "ranges": json.dumps([[s, _after(s)] for s in stems])})
    docs: dict[int, float] = {}
    total = 0.0
    for k, n in rows:
        k = int(k)
        if k == -1:
            total = float(n or 0)
        elif k >= 100000:
            docs[pre[k - 100000]] = float(n or 0)
        else:
            docs[exact[k]] = float(n or 0)
    return [Part(p.word, p.prefix, p.title, docs.get(i, 0.0)) for i, p in enumerate(parts)], total


# The lexeme of each word (PostgreSQL's own stemmer), its share of the rows in ANALYZE's statistics, and, for
# each prefix (stemmed too, as to_tsquery does: ``ins:*`` asks for ``in:*``), the shares of the common lexemes
# it covers; the row count of the last ANALYZE.
_PG_COUNTS = (
    "WITH common AS (SELECT x.e, x.f FROM pg_stats s, "
    "LATERAL unnest(CAST(CAST(s.most_common_elems AS text) AS text[]), s.most_common_elem_freqs) AS x(e, f) "
    "WHERE s.schemaname = current_schema() AND s.tablename = 'search_docs' AND s.attname = 'tsv' AND x.e IS NOT NULL), "
    "words AS (SELECT u.i, (tsvector_to_array(to_tsvector(CAST(:lang AS regconfig), u.w)))[1] AS lexeme "
    "FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS u(w, i)) "
    "SELECT CAST(words.i AS integer) - 1, coalesce((SELECT max(f) FROM common WHERE common.e = words.lexeme), 0) "
    "FROM words "
    "UNION ALL SELECT CAST(p.i AS integer) - 1 + :nwords, coalesce((SELECT sum(f) FROM common "
    "WHERE starts_with(common.e, (tsvector_to_array(to_tsvector(CAST(:lang AS regconfig), p.w)))[1])), 0) "
    "FROM unnest(CAST(:prefixes AS text[])) WITH ORDINALITY AS p(w, i) "
    "UNION ALL SELECT -1, greatest(reltuples, 0) FROM pg_class WHERE oid = CAST('search_docs' AS regclass) "
    # The planner misjudges how few rows an OR of rare words matches (on a table whose common words are all
    # among the statistics' elements, it takes a rare word for 10% of the rows) and scans the whole table; the
    # GIN index is always right here. So the look-up that follows is planned without sequential scans: set for
    # this transaction only (read first, so the look-up puts the old value back; Append runs them in order).
    "UNION ALL SELECT -2, CASE WHEN current_setting('enable_seqscan') = 'on' THEN 1 ELSE 0 END "
    "UNION ALL SELECT -3, length(set_config('enable_seqscan', 'off', true))"
)


async def _postgres_counts(conn: AsyncConnection, parts: Sequence[Part],
                           language: str) -> tuple[list[Part], float, str]:
    exact = [i for i, p in enumerate(parts) if not p.prefix]
    pre = [i for i, p in enumerate(parts) if p.prefix]
    rows = await conn.execute(text(_PG_COUNTS), {"lang": language, "words": [parts[i].word for i in exact],
                                                 "prefixes": [parts[i].word for i in pre], "nwords": len(exact)})
    share = {int(i): float(f) for i, f in rows}
    total = share.pop(-1, 0.0)
    seqscan = "on" if share.pop(-2, 1.0) else "off"
    share.pop(-3, None)
    index = exact + pre
    docs = {index[k]: f * total for k, f in share.items() if 0 <= k < len(index)}
    return [Part(p.word, p.prefix, p.title, docs.get(i, 0.0)) for i, p in enumerate(parts)], total, seqscan


# SQLite: words matching many documents are the costly ones to count (FTS5 walks their whole list) and the ones
# whose count moves least in relative terms, so they are remembered for a while, per database; rare words are
# counted every time (a few microseconds each). PostgreSQL counts in its statistics, cheaply, every time.
CACHE_MIN_DOCS = 200
CACHE_SECONDS = 600.0
_cache: dict[tuple[str, str, bool], tuple[float, float]] = {}
_totals: dict[str, tuple[float, float]] = {}


def clear_cache() -> None:
    _cache.clear()
    _totals.clear()


async def counted(conn: AsyncConnection, parts: Sequence[Part], *, language: str = "english",
                  now: float | None = None) -> tuple[list[Part], float]:
    """``parts`` with their document counts, and about how many documents the index holds."""
    if conn.dialect.name != "sqlite":
        with_counts, total, _seqscan = await _postgres_counts(conn, parts, language)
        return with_counts, total
    return await _sqlite_counted(conn, parts, now=time.monotonic() if now is None else now)


async def _sqlite_counted(conn: AsyncConnection, parts: Sequence[Part], *, now: float) -> tuple[list[Part], float]:
    db = str(conn.engine.url)
    known: dict[int, float] = {}
    for i, p in enumerate(parts):
        hit = _cache.get((db, p.word, p.prefix))
        if hit is not None and hit[1] > now:
            known[i] = hit[0]
    total_hit = _totals.get(db)
    todo = [i for i in range(len(parts)) if i not in known]
    if todo or total_hit is None or total_hit[1] <= now:
        got, total = await _sqlite_counts(conn, [parts[i] for i in todo])
        _totals[db] = (total, now + CACHE_SECONDS)
        for i, p in zip(todo, got, strict=True):
            known[i] = p.docs
            if p.docs >= CACHE_MIN_DOCS:
                if len(_cache) > 50_000:
                    _cache.clear()
                _cache[(db, p.word, p.prefix)] = (p.docs, now + CACHE_SECONDS)
    else:
        total = total_hit[0]
    return [Part(p.word, p.prefix, p.title, known[i]) for i, p in enumerate(parts)], total


async def plan(conn: AsyncConnection, parts: Sequence[Part], *, language: str = "english") -> tuple[str, str | None]:
    """The MATCH expression (SQLite) or ``to_tsquery`` text (PostgreSQL) for ``parts``; on PostgreSQL also the
    ``enable_seqscan`` value the look-up must put back (see ``_PG_COUNTS``), None on SQLite."""
    if conn.dialect.name == "sqlite":
        with_counts, total = await _sqlite_counted(conn, parts, now=time.monotonic())
        return fts5_expression(choose(with_counts, total)), None
    with_counts, total, seqscan = await _postgres_counts(conn, parts, language)
    return tsquery_expression(choose(with_counts, total)), seqscan


__all__ = ["BUDGET", "SCAN", "Part", "choose", "clear_cache", "counted", "fts5_expression", "plan", "tsquery_expression"]
