"""WAL checkpoints in the background (bot/platform/db/checkpoints.py): a commit that fills the WAL past SQLite's
1,000 pages no longer copies them into the database file itself; the background task does, shortly after the
write; a database without it checkpoints inside that commit, as SQLite always did. Observed on the files: a
checkpoint is what moves committed pages from ``-wal`` into the database file."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert
from sqlalchemy.exc import OperationalError

from bot.platform.db import Database

meta = MetaData()
blobs = Table("blobs", meta, Column("id", Integer, primary_key=True), Column("body", Text, nullable=False))
PAGES = 1_500  # one transaction of about 1,500 pages of 4 KB: past SQLite's autocheckpoint (1,000 pages)


async def _open(path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.begin() as conn:
        await conn.run_sync(meta.create_all)
    return db


async def _write_pages(db: Database) -> None:
    async with db.begin() as conn:
        await conn.execute(insert(blobs), [{"body": "x" * 3_900} for _ in range(PAGES)])


async def test_a_full_wal_is_checkpointed_in_the_background_not_in_the_commit(tmp_path: Path) -> None:
    path = tmp_path / "kudos.db"
    db = await _open(path)
    try:
        await db.start_checkpoints(interval=0.2)
        await _write_pages(db)
        after_commit = path.stat().st_size
        assert after_commit < 1_000_000  # the 6 MB are in the WAL only: the commit did not checkpoint
        assert db.checkpointer is not None and db.checkpointer.runs == 0
        for _ in range(100):  # then the background task copies them into the database file
            await asyncio.sleep(0.05)
            if db.checkpointer.runs:
                break
        assert db.checkpointer.runs == 1 and path.stat().st_size > PAGES * 4_000
        await asyncio.sleep(0.5)
        assert db.checkpointer.runs == 1  # nothing written since: no checkpoint
    finally:
        await db.close()
    assert db.checkpointer is None


async def test_without_it_the_commit_checkpoints_as_sqlite_does(tmp_path: Path) -> None:
    path = tmp_path / "kudos.db"
    db = await _open(path)
    try:
        await _write_pages(db)
        assert path.stat().st_size > PAGES * 4_000  # copied into the file inside the commit
        assert db.checkpointer is None
    finally:
        await db.close()


async def test_only_a_sqlite_file_gets_the_background_task(tmp_path: Path, db_url: str) -> None:
    memory = Database("sqlite+aiosqlite:///:memory:")
    await memory.start_checkpoints()
    assert memory.checkpointer is None
    await memory.close()
    db = Database(db_url)
    try:
        await db.start_checkpoints()
        assert (db.checkpointer is not None) == db_url.startswith("sqlite")
    finally:
        await db.close()


async def test_a_failed_checkpoint_is_logged_and_the_next_write_checkpoints_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint that fails (here the first one, with the error a full disk would give) is logged, and the task
    keeps running: the next write is checkpointed."""
    path = tmp_path / "kudos.db"
    db = await _open(path)
    try:
        await db.start_checkpoints(interval=0.05)
        assert db.checkpointer is not None
        real_connect = db.engine.connect
        failures = iter([True])

        def connect() -> Any:
            if next(failures, False):
                raise OperationalError("PRAGMA wal_checkpoint(PASSIVE)", {}, sqlite3.OperationalError("disk I/O error"))
            return real_connect()

        monkeypatch.setattr(db.checkpointer, "_engine", SimpleNamespace(connect=connect))
        with caplog.at_level(logging.WARNING, logger="bot.platform.db.checkpoints"):
            await _write_pages(db)
            for _ in range(100):
                await asyncio.sleep(0.02)
                if any(r.name == "bot.platform.db.checkpoints" for r in caplog.records):
                    break
        [failed] = [r for r in caplog.records if r.name == "bot.platform.db.checkpoints"]
        assert "a background WAL checkpoint failed" in failed.getMessage() and failed.levelno == logging.WARNING
        assert db.checkpointer.runs == 0 and not db.checkpointer._task.done()
        await _write_pages(db)
        for _ in range(100):
            await asyncio.sleep(0.02)
            if db.checkpointer.runs:
                break
        assert db.checkpointer.runs == 1 and path.stat().st_size > PAGES * 4_000
    finally:
        await db.close()
