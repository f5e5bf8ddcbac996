"""kudos backup / restore: SQLite's online backup API, consistent while the bot writes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.ledger import store as ledger_repo
from bot.platform.db import Database
from tests.hardening.scenario import credit_answers
from tests.hardening.support import COUNTS, HardenedHarness


async def consistent(path: Path, guild_id: int) -> bool:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.connect() as conn:
            return await ledger_repo.ledger_sums(conn, guild_id) == await ledger_repo.stats_sums(conn, guild_id)
    finally:
        await db.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


async def test_backup_while_the_bot_writes_is_consistent_and_restores(hk_sqlite: HardenedHarness, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    h = hk_sqlite
    url = h.database_url
    stop = asyncio.Event()

    async def writer() -> int:
        n = 0
        while not stop.is_set():
            await credit_answers(h, ["alice", "bob", "m00", "m01"][n % 4], 1, start=n)
            n += 1
        return n

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.3)
    outs = []
    for i in range(3):  # several backups, each in a thread while the loop keeps writing
        out = tmp_path / f"copy{i}.db"
        code = await asyncio.to_thread(main, ["backup", "--database-url", url, str(out)])
        assert code == 0
        outs.append(out)
        await asyncio.sleep(0.1)
    stop.set()
    writes = await task
    COUNTS["backups under load"] += len(outs)
    assert writes > 5
    for out in outs:
        assert integrity(out) == "ok"
        assert await consistent(out, h.guild_id)
    # restore into a fresh database file, then a bot runs on it
    fresh = tmp_path / "restored.db"
    assert main(["restore", "--database-url", f"sqlite+aiosqlite:///{fresh}", str(outs[-1])]) == 0
    assert integrity(fresh) == "ok" and await consistent(fresh, h.guild_id)
    # refusals: one line each, exit 2
    capsys.readouterr()
    assert main(["restore", "--database-url", f"sqlite+aiosqlite:///{fresh}", str(outs[0])]) == 2
    assert main(["backup", "--database-url", url, str(outs[0])]) == 2
    assert main(["restore", "--database-url", url, str(tmp_path / "missing.db")]) == 2
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 50)
    assert main(["restore", "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", str(junk)]) == 2
    assert main(["backup", "--database-url", "postgresql+asyncpg://u@h/db", str(tmp_path / "pg.db")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 5 and all(line.startswith("kudos: ") for line in err), err
    assert "--force" in err[0] and "--force" in err[1] and "not found" in err[2]
    assert "not a SQLite database" in err[3] and "pg_dump" in err[4]


async def test_restore_refuses_a_database_in_use(hk_sqlite: HardenedHarness, tmp_path: Path) -> None:
    h = hk_sqlite
    out = tmp_path / "copy.db"
    assert await asyncio.to_thread(main, ["backup", "--database-url", h.database_url, str(out)]) == 0
    with h.sqlite_write_lock(1.5):  # a writer holds the live database
        code = await asyncio.to_thread(main, ["restore", "--force", "--database-url", h.database_url, str(out)])
    assert code == 2
