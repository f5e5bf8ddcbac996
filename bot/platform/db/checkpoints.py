"""SQLite's WAL checkpoints off the commit path.

In WAL mode every commit appends its pages to the ``-wal`` file, and SQLite copies them back into the database
(a checkpoint) when the WAL passes ``wal_autocheckpoint`` pages (1,000 by default), inside the commit that
crossed the line. That commit then takes several times as long, and the larger the database the longer (its
pages are further apart): at 1M ledger rows a credit's p99 was 1.7x that at 1,000 rows, the same without
checkpoints (``bench/ledger.py``; docs/scaling.md, "SQLite or PostgreSQL").

:meth:`Database.start_checkpoints <bot.platform.db.Database.start_checkpoints>` (the bot calls it at start)
runs a PASSIVE checkpoint on a connection of its own every ``interval`` seconds after a write, in aiosqlite's
thread for that connection, so no member's command waits for one; PASSIVE never waits for readers or writers,
and never blocks them. The connections it opens from then on checkpoint by themselves only past
``BACKSTOP_PAGES`` (about 40 MB of WAL at 4 KB pages), should the background one stop keeping up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.5
BACKSTOP_PAGES = 10_000


class Checkpointer:
    """The background task: a checkpoint ``interval`` seconds after the first write since the last one."""

    def __init__(self, engine: Any, interval: float) -> None:
        self._engine = engine
        self._interval = interval
        self._written = asyncio.Event()
        self.runs = 0  # checkpoints run (for the tests and the bench)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sqlite-checkpoints")

    def wrote(self) -> None:
        """A write transaction committed."""
        self._written.set()

    async def _run(self) -> None:
        while True:
            await self._written.wait()
            await asyncio.sleep(self._interval)
            self._written.clear()
            try:
                async with self._engine.connect() as conn:
                    await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
                self.runs += 1
            except DBAPIError:  # e.g. the disk is full: the commits' own backstop still checkpoints
                log.warning("a background WAL checkpoint failed; trying again after the next write", exc_info=True)
            except Exception:  # noqa: BLE001 - a bug here must not end the task and leave only the backstop
                log.exception("a background WAL checkpoint failed unexpectedly; trying again after the next write")

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
