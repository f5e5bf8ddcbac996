"""Two ``kudos run`` cluster processes, one emulator serving two shards, one PostgreSQL database.

Process A runs ``--shard-ids 0 --shard-count 2``, process B ``--shard-ids 1 --shard-count 2``; each serves
one of the two guilds. Before they start, the database holds work both pick up at once when they start
(started together, so their schedulers and dispatchers race):

- 40 overdue ``contrib_release`` timers (global: both schedulers claim from the same table);
- one role grant for each of 8 members in each guild;
- in each guild a perk pool of 3 codes and 6 perk grants (more claimants than codes).

Checked from the database and the emulator's request log: every timer ran exactly once (one attempt, done,
and one "released … held credit" log line per timer across both processes); each role grant was applied by
exactly one ``PUT`` and each delivered perk sent exactly one DM; no code is assigned twice and no grant holds
two codes; grants of a guild are delivered only by the process serving its shard.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.contributions.service import RELEASE
from bot.emulator import Emulator
from bot.platform.db import Database
from bot.platform.jobs import store as timer_repo
from bot.platform.tables import timers
from bot.rewards import store as repo
from bot.rewards.tables import grants, perk_codes
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="two bot processes share one database: needs PostgreSQL "
                                "(set KUDOS_TEST_POSTGRES_URL)")

ROOT = Path(__file__).resolve().parents[2]
TIMERS = 40
MEMBERS = 8
CODES = 3
PERK_CLAIMANTS = 6
DEADLINE = 45.0


async def _seed(url: str, guilds: dict[int, tuple[int, list[int]]]) -> None:
    now = datetime.now(UTC)
    db = Database(url)
    try:
        async with db.begin() as conn:
            for i in range(TIMERS):
                gid = list(guilds)[i % 2]
                await timer_repo.create(conn, event=RELEASE, payload={"guild_id": gid},
                                        due_at=now - timedelta(seconds=1), now=now)
            for gid, (role_id, members) in guilds.items():
                for uid in members:
                    await repo.insert_grant(conn, guild_id=gid, user_id=uid, rule_name="two-proc", action="role_add",
                                            payload={"role_id": role_id}, status="pending", attempts=0,
                                            dedupe_key=f"2p:role:{gid}:{uid}", created_at=now)
                pool = await repo.save_pool(conn, guild_id=gid, name="swag", now=now)
                await repo.add_codes(conn, pool.id, [(f"CODE-{gid}-{i}", None) for i in range(CODES)], now=now)
                for uid in members[:PERK_CLAIMANTS]:
                    await repo.insert_grant(conn, guild_id=gid, user_id=uid, rule_name="two-proc", action="perk",
                                            payload={"pool": "swag", "template": "your code: {code}"},
                                            status="pending", attempts=0, dedupe_key=f"2p:perk:{gid}:{uid}",
                                            created_at=now)
    finally:
        await db.close()


async def _state(url: str) -> tuple[list, list, list]:  # type: ignore[type-arg]
    db = Database(url)
    try:
        async with db.connect() as conn:
            t = list(await conn.execute(select(timers).where(timers.c.event == RELEASE)))
            g = list(await conn.execute(select(grants).where(grants.c.rule_name == "two-proc")))
            c = list(await conn.execute(select(perk_codes)))
        return t, g, c
    finally:
        await db.close()


async def test_two_cluster_processes_share_one_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert POSTGRES_URL
    url, name = await create_postgres_database(POSTGRES_URL, migrated=True)
    emu = Emulator(shard_count=2)
    procs: list[asyncio.subprocess.Process] = []
    outputs: list[list[str]] = [[], []]
    pumps: list[asyncio.Task[None]] = []
    try:
        guilds: dict[int, tuple[int, list[int]]] = {}
        for i in range(2):
            guild = emu.create_guild(f"G{i}")
            role = emu.create_role(guild.id, "Helper")
            members = [emu.add_member(guild.id, f"g{i}m{j}").user_id for j in range(MEMBERS)]
            guilds[guild.id] = (role.id, members)
        shard_of = {gid: (gid >> 22) % 2 for gid in guilds}
        assert sorted(shard_of.values()) == [0, 1], "one guild on each shard"
        await emu.start()
        await _seed(url, guilds)

        config = tmp_path / "config.toml"
        config.write_text(f'[bot]\ndatabase_url = "{url}"\nlog_level = "INFO"\nguild_ready_timeout = 0.5\n')
        env = dict(os.environ, KUDOS_DISCORD_API_BASE=emu.base_url, KUDOS_DISCORD_GATEWAY=emu.gateway_url,
                   KUDOS_TOKEN=emu.token, PYTHONUNBUFFERED="1")
        env.pop("KUDOS_CONFIG", None)

        async def pump(proc: asyncio.subprocess.Process, out: list[str]) -> None:
            assert proc.stdout is not None
            async for raw in proc.stdout:
                out.append(raw.decode(errors="replace").rstrip())

        for shard in (0, 1):
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(config), "--shard-ids", str(shard),
                "--shard-count", "2", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT)
            procs.append(proc)
            pumps.append(asyncio.create_task(pump(proc, outputs[shard])))

        want_grants = 2 * (MEMBERS + CODES)
        deadline = time.monotonic() + DEADLINE
        while True:
            t, g, c = await _state(url)
            done_timers = sum(r.status == "done" for r in t)
            delivered = sum(r.status == "delivered" for r in g)
            if done_timers == TIMERS and delivered >= want_grants:
                break
            dead = [p.returncode for p in procs if p.returncode is not None]
            if dead or time.monotonic() > deadline:
                logs = "\n".join(f"--- process {i}\n" + "\n".join(o[-40:]) for i, o in enumerate(outputs))
                pytest.fail(f"timers done {done_timers}/{TIMERS}, grants delivered {delivered}/{want_grants}, "
                            f"exited {dead}\n{logs}")
            await asyncio.sleep(0.3)
        await asyncio.sleep(1.0)  # anything delivered twice would show up now
        t, g, c = await _state(url)
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in pumps:
            await asyncio.gather(task, return_exceptions=True)
        await emu.stop()
        await drop_postgres_database(POSTGRES_URL, name)
    for proc in procs:
        assert proc.returncode == 0, "\n".join(outputs[procs.index(proc)][-40:])

    # timers: each claimed once, run once, by one of the two workers
    assert len(t) == TIMERS
    assert all(r.status == "done" and r.attempts == 1 for r in t), [(r.id, r.status, r.attempts) for r in t]
    released = sum(sum("released" in line and "held credit" in line for line in out) for out in outputs)
    assert released == TIMERS
    assert all(r.claimed_by for r in t)

    # role grants: one PUT per grant, one grant per member, each delivered once
    role_grants = [r for r in g if r.action == "role_add"]
    assert len(role_grants) == 2 * MEMBERS and all(r.status == "delivered" for r in role_grants)
    assert all(r.attempts == 1 for r in role_grants), [(r.id, r.attempts, r.last_error) for r in role_grants]
    puts = [r for r in emu.request_log if r.method == "PUT" and "/roles/" in r.path]
    assert sorted(r.path for r in puts) == sorted({r.path for r in puts})
    assert len(puts) == 2 * MEMBERS
    for gid, (role_id, members) in guilds.items():
        for uid in members:
            assert role_id in emu.member_roles(gid, uid)

    # perk codes: never assigned twice, never two per grant, at most CODES per pool, one DM per delivered perk
    assigned = [r for r in c if r.grant_id is not None]
    assert len({r.id for r in assigned}) == len(assigned)
    assert len({r.grant_id for r in assigned}) == len(assigned)
    assert len(assigned) == 2 * CODES
    perk_grants = {r.id: r for r in g if r.action == "perk"}
    delivered_perks = [r for r in perk_grants.values() if r.status == "delivered"]
    assert len(delivered_perks) == 2 * CODES
    assert {r.grant_id for r in assigned} == {r.id for r in delivered_perks}
    for code in assigned:
        assert perk_grants[code.grant_id].user_id == code.assigned_to
    waiting = [r for r in perk_grants.values() if r.status != "delivered"]
    assert len(waiting) == 2 * (PERK_CLAIMANTS - CODES) and all(r.status == "pending" for r in waiting)
    dms = [m for uid in (u for _r, ms in guilds.values() for u in ms) for m in emu.dms(uid)]
    # every member left waiting is told once that their code is on its way (issue #20 item 2)
    on_its_way = [m for m in dms if any("on its way" in str(e.get("description")) for e in m.embeds or [])]
    assert len(on_its_way) == len(waiting)
    dms = [m for m in dms if m not in on_its_way]
    assert len(dms) == 2 * CODES
    markers = [e.get("url", "") for m in dms for e in (m.embeds or [])]  # one grant each (dispatcher.reward_url)
    assert len(markers) == len(set(markers)) == 2 * CODES
