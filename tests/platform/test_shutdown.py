"""Stopping Kudos: SIGTERM during a burst of commands loses nothing, exits 0 and leaves no process behind, and
the chart process never outlives the bot, however the bot ends.

End to end: a real ``python -m bot run`` process against the emulator (run in this test), its SQLite file read
afterwards. Discord's ``developers/events/gateway.mdx`` (Disconnecting): "When you close the connection to the
gateway with the close code 1000 or 1001, your session will be invalidated" — a clean stop closes the gateway
itself, which the emulator records.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.harness import Harness, MemberSpec, WorldSpec

ROOT = Path(__file__).resolve().parents[2]
GIVERS = [f"giver{i}" for i in range(8)]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` now (children, their children ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def gone(pids: set[int], within: float = 15.0) -> set[int]:
    """The pids still alive after waiting up to ``within`` seconds for them to exit."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left:
            return set()
        await asyncio.sleep(0.1)
    return {pid for pid in pids if alive(pid)}


class KudosProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._ready = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            if "ready as" in line:
                self._ready.set()

    async def ready(self) -> None:
        waiter = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait({waiter, self._reader}, timeout=90, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        assert self._ready.is_set(), "\n".join(self.lines[-40:])

    @property
    def log(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    spec = WorldSpec.default()
    spec.members += [MemberSpec(name) for name in GIVERS]
    harness = Harness(spec, workdir=tmp_path)
    await harness.start_world()
    try:
        yield harness
    finally:
        await harness.stop()


async def start_kudos(h: Harness, tmp_path: Path, grace: float) -> KudosProcess:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndatabase_url = "sqlite+aiosqlite:///{tmp_path / "kudos.db"}"\nguild_ready_timeout = 0.05\n'
        f'gc_freeze = false\nshutdown_grace_seconds = {grace}\ninteraction_burst = 1000\n'
        '[guilds.default.ledger]\nreceipts = "dm"\n[guilds.default.caps]\nthanks_pair_cooldown_hours = 0\n')
    env = dict(os.environ, KUDOS_DISCORD_API_BASE=h.emu.base_url, KUDOS_DISCORD_GATEWAY=h.emu.gateway_url,
               KUDOS_TOKEN=h.emu.token, PYTHONUNBUFFERED="1")
    env.pop("KUDOS_CONFIG", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    kudos = KudosProcess(proc)
    await kudos.ready()
    return kudos


async def test_sigterm_in_a_burst_answers_what_it_took_exits_0_and_leaves_no_process(world: Harness,
                                                                                     tmp_path: Path) -> None:
    h = world
    kudos = await start_kudos(h, tmp_path, grace=10)
    try:
        general = h.channel_id("general")
        stats = await h.emu.run_slash(h.guild_id, general, h.members["sam"], "stats overview")
        assert not stats.failed and stats.response_type is not None, kudos.log[-2000:]
        children = descendants(kudos.proc.pid)
        assert children, "the chart process should be running after /stats"

        # A burst of thanks; SIGTERM lands while they are in flight.
        burst = [asyncio.create_task(h.emu.run_slash(h.guild_id, general, h.members[giver], "thanks",
                                                     options={"member": h.members["bob"], "reason": f"help {i}"}))
                 for i, giver in enumerate(GIVERS)]
        await asyncio.sleep(0.05)
        kudos.proc.send_signal(signal.SIGTERM)
        results = await asyncio.gather(*burst)
        code = await asyncio.wait_for(kudos.proc.wait(), timeout=60)
    finally:
        if kudos.proc.returncode is None:
            kudos.proc.kill()
            await kudos.proc.wait()
    await asyncio.wait_for(kudos._reader, timeout=10)
    assert code == 0, kudos.log[-3000:]
    assert "Traceback" not in kudos.log, kudos.log[-8000:]
    assert await gone(children) == set(), f"left behind: {children} ({kudos.log[-1000:]})"

    # Nothing lost: every thanks the member was told was sent is in the ledger, with its receipt sent or queued.
    told = [r for r in results if not r.failed and "Thanks sent" in (r.content or "")]
    assert told, [(r.failed, r.content) for r in results]
    db = sqlite3.connect(tmp_path / "kudos.db")
    try:
        credited = db.execute("SELECT count(*) FROM contributions WHERE kind = 'thanks'").fetchone()[0]
        receipts = db.execute("SELECT status FROM timers WHERE event = 'contrib.receipt'").fetchall()
    finally:
        db.close()
    assert credited >= len(told)
    sent = [m for m in h.member("bob").dms() if "You earned kudos" in (m.content or "")]
    assert len(sent) + sum(1 for (status,) in receipts if status in ("pending", "running")) >= len(told)
    assert all(status in ("done", "pending", "running") for (status,) in receipts), receipts


async def test_a_killed_bot_takes_its_chart_process_with_it(tmp_path: Path) -> None:
    """SIGKILL gives the bot no chance to stop its child: the child notices its parent is gone and exits,
    and multiprocessing's resource tracker with it."""
    script = (
        "import asyncio, os, sys\n"
        "from bot.insights.renderer import ChartRenderer\n"
        "async def main():\n"
        "    renderer = ChartRenderer()\n"
        "    pool = await renderer._started()\n"
        "    child = await asyncio.get_running_loop().run_in_executor(pool, os.getpid)\n"
        "    print(child, flush=True)\n"
        "    await asyncio.sleep(120)\n"
        "asyncio.run(main())\n")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, cwd=ROOT,
                                                stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        child = int((await asyncio.wait_for(proc.stdout.readline(), timeout=60)).decode())
        below = descendants(proc.pid)
        assert child in below and alive(child)
        proc.kill()
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert await gone(below) == set()


async def test_the_sandbox_dashboard_stopped_by_sigterm_leaves_no_process(tmp_path: Path) -> None:
    """``kudos sandbox --dashboard`` after a chart was drawn, stopped with SIGTERM: it closes like ``kudos run``
    (exit 0) instead of dying on SIGTERM's default action with the chart process and multiprocessing's resource
    tracker orphaned."""
    scenario = tmp_path / "charts.toml"
    scenario.write_text('title = "charts"\n[[steps]]\nas = "sam"\nslash = "stats overview"\n'
                        'expect = { ephemeral_contains = "" }\n')
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", str(scenario), "--dashboard", "--port", "0", cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        seen: list[str] = []
        while not any("Serving until Ctrl-C" in line for line in seen):
            line = (await asyncio.wait_for(proc.stdout.readline(), timeout=120)).decode()
            assert line, "the sandbox ended early:\n" + "".join(seen)
            seen.append(line)
        children = descendants(proc.pid)
        assert children, "the chart process should be running after /stats"
        proc.send_signal(signal.SIGTERM)
        rest, _err = await asyncio.wait_for(proc.communicate(), timeout=60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    assert "kudos sandbox: stopped" in rest.decode()
    assert await gone(children) == set()
