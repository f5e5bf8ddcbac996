"""Where charts are drawn: in child processes, off the bot's event loop *and* off its interpreter.

matplotlib spends about half a second of pure Python per ``/stats`` (five charts). In a worker thread that
time is spent holding the GIL, and the event loop (and aiosqlite's thread) then wait up to the interpreter's
switch interval each time they need it, which doubled other commands' p99 while charts rendered
(``bench/insights.py``). A child process has its own GIL. The first is spawned on the first chart (so
matplotlib, ~50 MB, never loads in the bot process), kept for the next ones, and stopped with the bot; if the
bot is killed, the children notice and exit too. If one dies, the next chart starts a new one.

``/stats``' five charts are drawn concurrently (:meth:`ChartRenderer.draw_overview`), one per chart process
(at most ``workers``: two, or one on a one-CPU machine; a second process is spawned the first time two charts
are drawn at once). The children run at a lower priority (``nice`` +5), so on a machine whose CPUs they fill
the bot's own process still comes first.
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

# The charts of ``/stats overview`` (functions of bot.insights.charts) and the part of the Overview each draws,
# in the order charts.render_overview gives them.
OVERVIEW_CHARTS = (("contributions_chart", "kinds"), ("ladder_chart", "ladder"), ("betas_chart", "betas"),
                   ("feedback_chart", "feedback"), ("help_chart", "help"))
CHILD_NICENESS = 5

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
    try:
        os.nice(CHILD_NICENESS)
    except OSError:  # not allowed here: the child keeps the bot's priority
        log.debug("the chart process could not lower its priority", exc_info=True)
    from bot.insights import charts  # noqa: F401


def _draw(name: str, *args: Any) -> Any:
    """In the child: ``charts.<name>(*args)``. By name, so the bot process never imports matplotlib (the
    results are :class:`~bot.insights.models.Chart` values)."""
    from bot.insights import charts

    return getattr(charts, name)(*args)


class ChartRenderer:
    """``await renderer.draw("timeline_chart", …)``: a function of :mod:`bot.insights.charts` by name, with
    picklable arguments, run in a chart process (``processes=False``: in a worker thread)."""

    def __init__(self, *, processes: bool = True, workers: int | None = None) -> None:
        self.processes = processes
        self.workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
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

    async def draw_overview(self, overview: Any, fmt: str = "png", lang: str = "en") -> list[Any]:
        """``charts.render_overview(overview, fmt, lang)``, its five charts drawn concurrently (see the module)."""
        return list(await asyncio.gather(*(self.draw(name, getattr(overview, part), fmt, lang)
                                           for name, part in OVERVIEW_CHARTS)))

    async def _started(self) -> ProcessPoolExecutor:
        async with self._lock:
            if self._pool is None:
                pool = ProcessPoolExecutor(max_workers=self.workers,
                                           mp_context=multiprocessing.get_context("spawn"),
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
