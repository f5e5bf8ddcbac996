"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import os
import statistics
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

# Where .ci/run finds a local PostgreSQL (pg_isready -h 127.0.0.1 -p 5432), database "test".
LOCAL_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass
class Result:
    name: str
    measured: float
    baseline: float
    unit: str
    baseline_name: str
    goal: str = ""
    higher_is_better: bool = False
    db: str = ""  # "SQLite" / "PostgreSQL" for rows measured on both (printed side by side)

    @property
    def ratio(self) -> float:
        return self.measured / self.baseline if self.baseline else float("inf")

    def row(self) -> str:
        name = f"{self.db} {self.name}" if self.db else self.name
        return (f"{name:<38} {self.measured:>10.3f} {self.unit:<6} {self.baseline_name:<30} "
                f"{self.baseline:>10.3f} {self.ratio:>7.2f}x  {self.goal}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values)


HEADER = (f"{'benchmark':<38} {'measured':>10} {'unit':<6} {'baseline':<30} {'value':>10} {'ratio':>8}  goal")
SIDE_BY_SIDE_HEADER = (f"{'benchmark (both databases)':<46} {'SQLite':>10} {'ratio':>7}  {'PostgreSQL':>10} "
                       f"{'ratio':>7}  {'unit':<5} {'baseline':<28} goal")


def side_by_side(results: list[Result]) -> list[str]:
    """One line per row name measured on SQLite and/or PostgreSQL: each database's value and its ratio to
    that database's own baseline (same run); "-" where a database did not run it."""
    names: dict[str, dict[str, Result]] = {}
    for r in results:
        if r.db:
            names.setdefault(r.name, {})[r.db] = r
    lines = []
    for name, by_db in names.items():
        first = next(iter(by_db.values()))
        cells = []
        for db in ("SQLite", "PostgreSQL"):
            r = by_db.get(db)
            cells.append(f"{r.measured:>10.3f} {r.ratio:>6.2f}x" if r else f"{'-':>10} {'-':>7}")
        lines.append(f"{name:<46} {cells[0]}  {cells[1]}  {first.unit:<5} {first.baseline_name:<28} {first.goal}")
    return lines


async def postgres_url() -> str | None:
    """The PostgreSQL to run the PostgreSQL rows on: ``KUDOS_BENCH_POSTGRES_URL`` (or ``KUDOS_TEST_POSTGRES_URL``)
    when set, else the local server .ci/run uses, when it answers within 2 s; None (rows skipped) otherwise."""
    url = os.environ.get("KUDOS_BENCH_POSTGRES_URL") or os.environ.get("KUDOS_TEST_POSTGRES_URL")
    if url:
        return url
    try:
        import asyncpg
    except ImportError:
        return None
    try:
        conn = await asyncpg.connect(_dsn(LOCAL_POSTGRES_URL), timeout=2)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        print(f"bench: no PostgreSQL at {LOCAL_POSTGRES_URL} ({exc.__class__.__name__}); PostgreSQL rows skipped "
              "(set KUDOS_BENCH_POSTGRES_URL)", file=sys.stderr)
        return None
    await conn.close()
    return LOCAL_POSTGRES_URL


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@asynccontextmanager
async def postgres_database(base_url: str, prefix: str) -> AsyncIterator[str]:
    """A fresh, empty database next to ``base_url`` for one suite (dropped afterwards); yields its URL."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_dsn(base_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        head, _, _ = base_url.rpartition("/")
        try:
            yield f"{head}/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
