"""Find similar items: full-text candidates from the database, scored the same way on both databases.

Candidates: SQLite FTS5 ranked by ``bm25`` (title weighted 4, body 1, answer 1), or PostgreSQL ``tsv @@
to_tsquery`` ranked by ``ts_rank_cd``; the query is an OR of the new text's words, plus a short prefix of each
long word so a typo (``baterry``) still finds ``battery``, leaving out the words too common to tell items apart
(:mod:`bot.search.plan`: rarest first, within a budget of matching documents; at most ``plan.SCAN`` matches are
ranked, so a look-up costs about the same at 100 or 100,000 items). Each candidate then gets a score in [0, 1]:

- the fuzzy title match (``rapidfuzz``: token-set and token-sort ratios of the stemmed titles), and
- the share of the new text's words found in the candidate (a word counts when it is equal, or, for words of 5
  letters or more, when its ``rapidfuzz`` ratio is at least 80: typos),
- plus a small status signal: planned / in progress first, then acknowledged, and a little for votes.

The weights and the threshold were tuned on one half of ``bench/similar_pairs.py`` and measured on the other
(see docs/feedback.md for the figures).
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.search import plan
from bot.search.text import STOP_WORDS, terms, words


@functools.cache
def _fuzz() -> Any:
    """rapidfuzz's ``fuzz``, imported on the first comparison: 2.6 MB a bot that never compares reports
    doesn't carry (docs/scaling.md, memory)."""
    return importlib.import_module("rapidfuzz.fuzz")

CANDIDATES = 30
MAX_QUERY_WORDS = 16
STATUS_BONUS = {"planned": 0.03, "in_progress": 0.03, "acknowledged": 0.02, "solved": 0.0}


@dataclass(frozen=True, slots=True)
class Weights:
    """Tuned on split A of bench/similar_pairs.py (``python -m bench similar`` prints the tuning)."""

    title: float = 0.5
    overlap: float = 0.5
    threshold: float = 0.48


DEFAULT = Weights()


@dataclass(frozen=True, slots=True)
class Match:
    kind: str
    ref_id: int
    title: str
    status: str
    votes: int
    score: float
    thread_id: int | None
    author_id: int | None
    answerer_id: int | None
    answer_message_id: int | None
    answer: str


def query_words(title: str, body: str) -> list[str]:
    """The words the database is asked for: the title's first, then the body's, stop words out."""
    out = [w for w in words(title) + words(body) if w not in STOP_WORDS and len(w) > 1]
    return list(dict.fromkeys(out))[:MAX_QUERY_WORDS]


def _prefix(word: str) -> str | None:
    """A typo is rarely in the first three letters: ``baterry`` -> ``bat*`` finds ``battery``."""
    if len(word) >= 5 and not word.isdigit():
        return word[:3]
    return None


# Fixed SQL text: every value is a bound parameter. The inner query takes at most :scan matches, newest first
# (FTS5 and the primary key give them in that order without ranking the rest); the outer one ranks those. On
# PostgreSQL ``id + 0`` keeps the planner from walking the primary key backwards through every row (it
# misjudges how few rows an OR of rare words matches); the GIN index finds them. The count statement before it
# turned sequential scans off for this plan (bot/search/plan.py); the one-time filter puts the setting back
# when the look-up starts running.
_SQLITE = ("SELECT d.kind, d.ref_id, d.title, d.body, d.answer, d.status, d.votes, d.thread_id, d.author_id, d.answerer_id, d.answer_message_id "
           "FROM (SELECT rowid AS id, bm25(search_fts, 4.0, 1.0, 1.0) AS r FROM search_fts WHERE search_fts MATCH :q "
           "ORDER BY rowid DESC LIMIT :scan) f JOIN search_docs d ON d.id = f.id "
           "WHERE d.guild_id = :g AND d.kind = :k AND d.status IN :statuses "
           "ORDER BY f.r LIMIT :n")
_POSTGRES = ("SELECT d.kind, d.ref_id, d.title, d.body, d.answer, d.status, d.votes, d.thread_id, d.author_id, d.answerer_id, d.answer_message_id "
             "FROM (SELECT * FROM search_docs WHERE tsv @@ to_tsquery(CAST(:lang AS regconfig), :q) AND guild_id = :g "
             "AND kind = :k AND status IN :statuses AND (SELECT set_config('enable_seqscan', :seqscan, true)) IS NOT NULL "
             "ORDER BY id + 0 DESC LIMIT :scan) d "
             "ORDER BY ts_rank_cd(d.tsv, to_tsquery(CAST(:lang AS regconfig), :q)) DESC, d.id DESC LIMIT :n")


def query_parts(title: str, body: str) -> list[plan.Part]:
    """The words (and typo prefixes) a look-up may ask for, title words marked."""
    ws = query_words(title, body)
    in_title = set(words(title))
    parts = [plan.Part(w, False, w in in_title) for w in ws]
    seen: set[str] = set()
    for w in ws:
        p = _prefix(w)
        if p and p not in seen:
            seen.add(p)
            parts.append(plan.Part(p, True, w in in_title))
    return parts


async def candidates(conn: AsyncConnection, *, guild_id: int, kind: str, title: str, body: str,
                     statuses: Sequence[str], language: str = "english", limit: int = CANDIDATES) -> list[Any]:
    """The database's best full-text candidates (rows), best first."""
    parts = query_parts(title, body)
    if not parts or not statuses:
        return []
    q, seqscan = await plan.plan(conn, parts, language=language)
    params = {"g": guild_id, "k": kind, "statuses": list(statuses), "n": limit, "scan": plan.SCAN, "q": q}
    if conn.dialect.name == "sqlite":
        stmt = text(_SQLITE).bindparams(bindparam("statuses", expanding=True))
    else:
        stmt = text(_POSTGRES).bindparams(bindparam("statuses", expanding=True))
        params |= {"lang": language, "seqscan": seqscan}
    return list(await conn.execute(stmt, params))


def _found(word: str, pool: set[str]) -> bool:
    if word in pool:
        return True
    if len(word) < 5:
        return False
    return any(len(p) >= 4 and _fuzz().ratio(word, p) >= 80 for p in pool)


def score(title: str, body: str, cand_title: str, cand_text: str, *, status: str = "new", votes: int = 0,
          weights: Weights = DEFAULT) -> float:
    """How alike a new text and a candidate are, in [0, 1] (see the module docstring)."""
    qt, ct = terms(title), terms(cand_title)
    if not qt or not ct:
        return 0.0
    a, b = " ".join(qt), " ".join(ct)
    fuzz = _fuzz()
    title_sim = (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 200
    q_all = list(dict.fromkeys(qt + terms(body)[:20]))
    pool = set(ct) | set(terms(cand_text))
    # Title words count twice: they say what the report is about.
    weight = {w: (2.0 if w in qt else 1.0) for w in q_all}
    overlap = sum(weight[w] for w in q_all if _found(w, pool)) / sum(weight.values())
    bonus = STATUS_BONUS.get(status, 0.0) + min(0.03, 0.01 * math.log2(1 + max(votes, 0)))
    return min(1.0, weights.title * title_sim + weights.overlap * overlap + bonus)


async def similar(conn: AsyncConnection, *, guild_id: int, kind: str, title: str, body: str = "",
                  statuses: Sequence[str], language: str = "english", limit: int = 3,
                  exclude: Sequence[int] = (), weights: Weights = DEFAULT,
                  min_score: float | None = None, exclude_author: int | None = None) -> list[Match]:
    """Up to ``limit`` items of ``kind`` in ``statuses`` alike enough (score ≥ the threshold), best first;
    ``exclude`` (ids) and ``exclude_author``'s items left out."""
    threshold = weights.threshold if min_score is None else min_score
    skip = set(exclude)
    out: list[Match] = []
    for row in await candidates(conn, guild_id=guild_id, kind=kind, title=title, body=body, statuses=statuses,
                                language=language):
        r: Any = row
        if int(r.ref_id) in skip or (exclude_author is not None and r.author_id == exclude_author):
            continue
        s = score(title, body, r.title, f"{r.body} {r.answer}", status=r.status, votes=int(r.votes),
                  weights=weights)
        if s >= threshold:
            out.append(Match(r.kind, int(r.ref_id), r.title, r.status, int(r.votes), round(s, 3),
                             _int(r.thread_id), _int(r.author_id), _int(r.answerer_id),
                             _int(r.answer_message_id), r.answer or ""))
    out.sort(key=lambda m: (-m.score, -m.votes, m.ref_id))
    return out[:limit]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


__all__ = ["DEFAULT", "Match", "Weights", "candidates", "query_parts", "score", "similar"]
