"""Where charts are drawn: in one child process, off the bot's event loop *and* off its interpreter.

matplotlib spends about half a second of pure Python per ``/stats`` (five charts). In a worker thread that
time is spent holding the GIL, and the event loop (and aiosqlite's thread) then wait up to the interpreter's
switch interval each time they need it, which doubled other commands' p99 while charts rendered
(``bench/insights.py``). A child process has its own GIL. It is spawned on the first chart (so matplotlib,
~50 MB, never loads in the bot process), kept for the next ones, and stopped with the bot; if the bot is killed,
the child notices and exits too. If the child dies, the next chart starts a new one.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger(__name__)

def _exit_with_parent() -> None:
    """In the child: wait for the bot process to end, however it ends (SIGKILL, a crash, an OOM kill), then
    exit. A ProcessPoolExecutor worker otherwise lives on as an orphan, and keeps multiprocessing's resource
    tracker alive with it. The parent's sentinel (a pipe ``spawn`` gives every child) becomes readable when
    the parent is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    parent.join()
    os._exit(0)


def _warm() -> None:
    """Runs in the child once: watch the parent, then import matplotlib and the chart code before the first
    real chart."""
    threading.Thread(target=_exit_with_parent, name="kudos-chart-watchdog", daemon=True).start()
    from bot.insights import charts  # noqa: F401


def _draw(name: str, *args: Any) -> Any:
    """In the child: ``charts.<name>(*args)``. By name, so the bot process never imports matplotlib (the
    results are :class:`~bot.insights.models.Chart` values)."""
    from bot.insights import charts

    return getattr(charts, name)(*args)


class ChartRenderer:
    """``await renderer.draw("render_overview", numbers)``: a function of :mod:`bot.insights.charts`
    by name, with picklable arguments, run in the renderer process (``processes=False``: in a worker thread)."""

    def __init__(self, *, processes: bool = True) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = asyncio.Lock()

    async def draw(self, name: str, *args: Any) -> Any:
        if not self.processes:
            return await asyncio.to_thread(_draw, name, *args)
        for attempt in (1, 2):
            pool = await self._started()
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, _draw, name, *args)
            except BrokenProcessPool:
                log.warning("the chart process died; starting a new one (attempt %d)", attempt)
                self._drop(pool)
        raise RuntimeError("the chart process could not render")

    async def _started(self) -> ProcessPoolExecutor:
        async with self._lock:
            if self._pool is None:
                pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_warm)
                self._pool = pool
            return self._pool

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        """Stop the child (waiting for it off the event loop)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)
