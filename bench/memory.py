"""Memory and ready time with one guild fully cached: 100,000 members, and 1,000,000 (issue #25: Kudos within
1.2x bare discord.py's RSS and 1.3x its ready time, same member-cache flags).

The emulator runs in the bench process with one guild of each size in ``KUDOS_BENCH_MEMBERS`` (default
``100000,1000000``; a size this machine's free memory can't hold is skipped, and the bench says so) members,
built in bulk through the emulator's own ``User`` / ``Member`` classes, and ``members_in_guild_create=1`` so
GUILD_CREATE carries only the bot's own member and discord.py must request the rest with op 8 (chunks of
1,000). Two clients run, each in its own subprocess pointed at the emulator through
``KUDOS_DISCORD_API_BASE`` / ``KUDOS_DISCORD_GATEWAY``:

- (a) baseline: a bare ``discord.Client`` (this file run as ``python -m bench.memory bare``) with the same
  intents as Kudos (members, message content), ``MemberCacheFlags.all()``, ``chunk_guilds_at_startup=True``
  and ``max_messages=1000``; it prints ``READY <cached members>`` from ``on_ready``;
- (b) ``kudos run`` with the default config (``bot.member_cache = true``: every member cached, chunked at
  start; see docs/scaling.md) on a temporary SQLite file that ``kudos migrate`` brought to the head first (a
  restart, as every start after the first: the first imports Alembic, about 11 MB); ready when it logs
  ``ready as …``.

discord.py fires ``on_ready`` only after the startup chunks are all processed, so ready means cached; the
emulator's chunk count is checked too. After a short settle, VmRSS is read from ``/proc/<pid>/status`` and the
process is stopped with SIGTERM. Reported: Kudos RSS against bare RSS (goal <= 200 MB absolute), and MB per
1,000 members (the whole RSS divided by the member count in thousands, so it includes the interpreter).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.common import Result

# Guild sizes, comma-separated: the issue-25 row is 1,000,000; a size the machine can't hold (see _feasible) is
# skipped with a message naming the largest one measured.
SIZES = [int(n) for n in os.environ.get("KUDOS_BENCH_MEMBERS", "100000,1000000").split(",") if n.strip()]
MEMBERS = SIZES[0]
NEED_KB_PER_MEMBER = 3.0  # emulator's objects + the client's cache + a chunk in flight, measured about 2.2 KB
READY_SECONDS_PER_1K = 1.5  # READY_TIMEOUT grows with the guild (a loaded 2-core machine: ~0.5 s per 1,000)
READY_TIMEOUT = 90.0
SETTLE = 1.0
ROOT = Path(__file__).resolve().parent.parent


def _build(members: int):  # type: ignore[no-untyped-def]
    """An emulator with one guild of ``members`` members (plus owner and bot), built in bulk."""
    from bot.emulator import Emulator, Member, User
    from bot.emulator.state import now

    emu = Emulator(members_in_guild_create=1)
    guild = emu.create_guild("Big")
    users, state = emu.state.users, guild.members
    created, joined = now() - timedelta(days=30), now() - timedelta(days=10)
    for i in range(members):
        uid = emu.ids.next(at=created)
        users[uid] = User(uid, f"member{i}", created_at=created)
        state[uid] = Member(uid, guild.id, joined_at=joined)
    return emu, guild


def _rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


class NotReady(RuntimeError):
    """A client did not get the whole guild cached: that size can't be measured here."""


def _available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def _feasible(members: int) -> str | None:
    """Why ``members`` can't be measured here, or None."""
    need = members * NEED_KB_PER_MEMBER / 1024 + 400
    if need > _available_mb():
        return f"needs about {need:,.0f} MB, {_available_mb():,.0f} MB available"
    return None


async def _measure(emu, argv: list[str], marker: str, env: dict[str, str],  # type: ignore[no-untyped-def]
                   members: int = MEMBERS) -> tuple[float, float, float]:
    """Start ``argv``, wait for ``marker`` on its output and every chunk sent, settle, read RSS, SIGTERM it.
    Returns (VmRSS MB, VmHWM MB, seconds to ready)."""
    chunks = -(-members // 1000)
    timeout = max(READY_TIMEOUT, members / 1000 * READY_SECONDS_PER_1K)
    before = emu.chunk_requests
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(*argv, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    assert proc.stdout is not None
    tail: list[str] = []
    ready = asyncio.Event()

    async def pump() -> None:  # keep draining so the child never blocks on a full pipe
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            tail.append(line)
            del tail[:-30]
            if marker in line:
                ready.set()

    reader = asyncio.create_task(pump())
    try:
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({waiter, asyncio.create_task(proc.wait())}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            raise NotReady(f"{argv[-1]}: not ready in {timeout:.0f} s (exit {proc.returncode}):\n"
                               + "\n".join(tail))
        elapsed = time.perf_counter() - t0
        if emu.chunk_requests - before < chunks:
            raise NotReady(f"{argv[-1]}: ready after {emu.chunk_requests - before} member chunks of {chunks} "
                           "(discord.py stops waiting for a guild's chunks after a time of its own)")
        await asyncio.sleep(SETTLE)
        rss, hwm = _rss_mb(proc.pid)
        return rss, hwm, elapsed
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                try:
                    proc.kill()
                except ProcessLookupError:  # it ended meanwhile
                    pass
                await proc.wait()
        reader.cancel()


async def run() -> list[Result]:
    results: list[Result] = []
    measured: list[int] = []
    for members in SIZES:
        why = _feasible(members)
        if why is not None:
            largest = f"{max(measured):,}" if measured else "none"
            print(f"memory: {members:,} members skipped on this machine ({why}); largest measured: {largest}",
                  file=sys.stderr, flush=True)
            continue
        try:
            results += await _run_one(members)
        except NotReady as exc:  # e.g. discord.py's chunk timeout fired first: the machine is too slow for it
            largest = f"{max(measured):,}" if measured else "none"
            print(f"memory: {members:,} members not measurable on this machine ({exc}); largest measured: "
                  f"{largest}", file=sys.stderr, flush=True)
            continue
        measured.append(members)
    return results


async def _run_one(members: int) -> list[Result]:
    from bot.core.bot import default_intents

    emu, guild = _build(members)
    await emu.start()
    try:
        env = dict(os.environ, KUDOS_DISCORD_API_BASE=emu.base_url, KUDOS_DISCORD_GATEWAY=emu.gateway_url,
                   KUDOS_TOKEN=emu.token, PYTHONUNBUFFERED="1")
        env.pop("KUDOS_CONFIG", None)
        bare_rss, bare_hwm, bare_s = await _measure(
            emu, [sys.executable, "-m", "bench.memory", "bare", str(default_intents().value)], "READY ",
            env, members)
        with TemporaryDirectory() as tmp:
            config = Path(tmp) / "config.toml"
            config.write_text(f'[bot]\ndatabase_url = "sqlite+aiosqlite:///{Path(tmp) / "kudos.db"}"\n'
                              'log_level = "INFO"\n')  # member_cache left at its default (true)
            # A restart on a database at the head, as every start but the first is (the first one imports Alembic
            # to create and stamp the schema, about 11 MB more; bot/platform/db/migrate.py).
            migrated = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "migrate", "--config", str(config), env=env, cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, err = await migrated.communicate()
            if migrated.returncode != 0:
                raise RuntimeError(f"kudos migrate failed: {err.decode(errors='replace')[-500:]}")
            kudos_rss, kudos_hwm, kudos_s = await _measure(
                emu, [sys.executable, "-m", "bot", "run", "--config", str(config)], "ready as ", env, members)
    finally:
        await emu.stop()
    k = members / 1000
    size = f"{k:,.0f}k" if k < 1000 else f"{k / 1000:g}M"
    print(f"memory {size}: bare ready in {bare_s:.1f} s, RSS {bare_rss:.1f} MB (peak {bare_hwm:.1f}); "
          f"kudos ready in {kudos_s:.1f} s, RSS {kudos_rss:.1f} MB (peak {kudos_hwm:.1f})",
          file=sys.stderr, flush=True)
    rows = [
        Result(f"memory {size} members: Kudos RSS", kudos_rss, bare_rss, "MB", "bare discord.py RSS",
               goal="<= 1.20x"),
        Result(f"memory {size} members: Kudos ready", kudos_s, bare_s, "s", "bare discord.py ready",
               goal="<= 1.30x" if members >= 1_000_000 else ""),
        Result(f"memory {size} members: Kudos MB/1k members", kudos_rss / k, bare_rss / k, "MB",
               "bare discord.py MB/1k members"),
        Result(f"memory {size} members: Kudos peak RSS", kudos_hwm, bare_hwm, "MB", "bare discord.py peak"),
    ]
    for r in rows:
        print(r.row(), file=sys.stderr, flush=True)
    return rows


def _bare(intents_value: int) -> None:
    """The baseline client, run in its own process."""
    import discord
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = os.environ["KUDOS_DISCORD_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["KUDOS_DISCORD_GATEWAY"])
    client = discord.Client(intents=discord.Intents._from_value(intents_value),
                            member_cache_flags=discord.MemberCacheFlags.all(), chunk_guilds_at_startup=True,
                            max_messages=1000, allowed_mentions=discord.AllowedMentions.none())

    @client.event
    async def on_ready() -> None:
        print(f"READY {sum(len(g.members) for g in client.guilds)} "
              f"chunked={all(g.chunked for g in client.guilds)}", flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        async with client:
            runner = asyncio.create_task(client.start(os.environ["KUDOS_TOKEN"]))
            await stop.wait()
            await client.close()
            runner.cancel()

    asyncio.run(main())


if __name__ == "__main__":
    if sys.argv[1:2] == ["bare"]:
        _bare(int(sys.argv[2]))
    else:
        import logging

        logging.basicConfig(level=logging.ERROR)
        for result in asyncio.run(run()):
            print(result.row())
