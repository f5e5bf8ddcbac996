"""Soak run: a simulated community through the emulator, with restarts and faults, then every invariant.

    python -m bench.soak                       # 200 members, 10 minutes (make soak)
    python -m bench.soak --members 40 --seconds 25 --seed 7

A seeded mix of chat, help-forum answers marked as solutions, thanks, curation reactions, beta joins and
leaves, feedback reports and status changes, rewards (perk codes and roles earned by answers), clock jumps,
crashes/restarts and injected Discord faults (429s, 5xx, 403s, a gateway drop). At the end faults stop, back-offs
run out and every invariant of ``tests/hardening/invariants.py`` is checked. Prints the counts; exit 1 on any
violation.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from bot.contributions.tables import featured_posts
from bot.emulator import EmulatorError
from bot.feedback.tables import feedback
from bot.rewards.tables import grants
from tests.hardening.conftest import hardening_config, hardening_world
from tests.hardening.invariants import check_all, describe
from tests.hardening.scenario import (
    DM_ROUTE,
    MESSAGE_ROUTE,
    ROLE_ROUTE,
    announcement,
    create_beta,
    load_codes,
)
from tests.hardening.support import HardenedHarness

log = logging.getLogger("kudos.soak")

WEIGHTS = {"chat": 30, "answer": 12, "thanks": 10, "curation": 8, "beta": 12, "feedback": 6, "status": 4,
           "profile": 6, "advance": 4, "fault": 4, "restart": 2, "disconnect": 1}
FAULTS = [(ROLE_ROUTE, 429), (MESSAGE_ROUTE, 429), (DM_ROUTE, 429), (ROLE_ROUTE, 503), (MESSAGE_ROUTE, 503),
          (DM_ROUTE, 403), (None, 429)]


@dataclass
class SoakResult:
    events: Counter[str] = field(default_factory=Counter)
    away: Counter[str] = field(default_factory=Counter)  # disconnects: events lost, or replayed by a RESUME
    grants: dict[str, int] = field(default_factory=dict)
    faults: int = 0
    crashes: int = 0
    refused: int = 0
    violations: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    posts_away: tuple[int, int] = (0, 0)  # feedback posts opened while the bot was away: (recorded, opened)
    featured: int = 0

    @property
    def violation_count(self) -> int:
        return sum(len(v) for v in self.violations.values())

    def lines(self) -> list[str]:
        total = sum(self.events.values())
        return [
            f"soak: {total} events in {self.seconds:.0f} s ("
            + ", ".join(f"{k} {v}" for k, v in sorted(self.events.items())) + ")",
            "grants: " + (", ".join(f"{k} {v}" for k, v in sorted(self.grants.items())) or "none"),
            f"faults survived: {self.faults} injected Discord faults, {self.crashes} crashes/restarts"
            f" ({self.refused} actions refused or skipped on the way)",
            "disconnects: " + (", ".join(f"{k} {v}" for k, v in sorted(self.away.items())) or "none")
            + f"; {self.posts_away[0]} of {self.posts_away[1]} feedback posts opened while away recorded;"
            f" {self.featured} posts featured",
            f"violations: {self.violation_count}",
        ]


class Soak:
    def __init__(self, members: int, seconds: float, seed: int, workdir: str) -> None:
        self.rng = random.Random(seed)
        self.seconds = seconds
        self.members = [f"m{i:02d}" for i in range(members)]
        config = hardening_config()
        config["guilds"]["default"]["curation"] = {"starboard_threshold": 3}
        self.h = HardenedHarness(hardening_world(members), config, workdir=workdir)
        self.result = SoakResult()
        self.threads: list[tuple[str, int]] = []  # (label, owner) of help posts
        self.showcase: list[int] = []  # members' messages (in general and the showcase) to star
        self.missed_posts: list[int] = []  # feedback posts opened while the bot was away
        self.answered: set[int] = set()

    def who(self) -> str:
        return self.rng.choice(self.members)

    async def setup(self) -> None:
        await self.h.start()
        await load_codes(self.h, [f"SOAK-{i:05d}" for i in range(max(10, len(self.members) // 3))])
        await create_beta(self.h, capacity=max(2, len(self.members) // 8), cohort_role=self.h.role_id("Photos Beta"))

    async def step(self, action: str) -> None:
        h, rng = self.h, self.rng
        if action == "chat":
            text = rng.choice(["hi all", "anyone tried the beta?", "**love** the update", "@everyone look", "gm"])
            msg = await h.member(self.who()).say(text, in_=rng.choice(["general", "showcase"]))
            self.showcase.append(msg.id)
        elif action == "answer":
            if self.threads and rng.random() < 0.6:
                label, owner = rng.choice(self.threads)
                helper = self.who()
                if helper == owner or h.labels[label] in self.answered:
                    return
                reply = await h.member(helper).say("Try restarting the sync service.", in_=label)
                done = await h.member(owner).context_menu("Mark as solution", message_id=reply.id)
                if not done.failed:
                    self.answered.add(h.labels[label])
            else:
                owner = self.who()
                label = f"q{len(self.threads)}"
                thread, _ = await h.member(owner).post(f"Question {label}", in_="help", content="It fails")
                h.labels[label] = thread.id
                self.threads.append((label, owner))
        elif action == "thanks":
            a, b = self.who(), self.who()
            if a != b:
                await h.member(a).slash("thanks", member=h.members[b], reason="helped me")
        elif action == "curation":
            if self.showcase:
                await h.member(self.who()).react(rng.choice(self.showcase[-20:]), "⭐")
        elif action == "beta":
            post = announcement(h)
            await h.member(self.who()).click(post.id, label=rng.choice(["Join", "Join", "Leave"]))
        elif action == "feedback":
            who = self.who()
            opened = await h.member(who).slash("feedback new", type="idea")
            if opened.modal is not None:
                await h.member(who).submit_modal(opened, {"Title": f"Idea from {who}", "Details": "Please"})
        elif action == "status":
            assert h.bot is not None
            async with h.bot.db.connect() as conn:
                ids = [r[0] for r in await conn.execute(select(feedback.c.id))]
            if ids:
                status = rng.choice(["acknowledged", "planned", "in_progress", "declined"])
                await h.member("sam").slash("feedback status", status=status, item=rng.choice(ids))
        elif action == "profile":
            await h.member(self.who()).slash(rng.choice(["profile", "leaderboard", "perks mine"]))
        elif action == "advance":
            await h.advance(timedelta(minutes=rng.choice([1, 5, 30, 90])))
        elif action == "fault":
            route, status = rng.choice(FAULTS)
            h.emu.faults.add(route=route, status=status, count=rng.randint(1, 4), retry_after=0.02,
                             is_global=route is None, code=50013 if status == 403 else 0)
        elif action == "restart":
            if rng.random() < 0.5:
                await h.crash_after_requests(rng, most=5, timeout=0.5)
            else:
                await h.restart()
            self.result.crashes += 1
        elif action == "disconnect":
            resume = rng.random() < 0.7
            await h.emu.disconnect(resume=resume, hold=True)
            self.result.faults += 1
            # while away the community goes on: a RESUME replays it, a new session loses it (the catch-up repairs)
            try:
                who = self.who()
                thread, _ = await h.emu.create_forum_post(h.channel_id("feedback"), h.members[who],
                                                          f"Idea {len(self.missed_posts)} from {who}",
                                                          "It would help me a lot", tags=["Idea"])
                self.missed_posts.append(thread.id)
                if self.showcase:
                    target = h.emu.state.all_messages[rng.choice(self.showcase[-20:])]
                    for _ in range(3):
                        await h.emu.add_reaction(target.channel_id, target.id, h.members[self.who()], "⭐")
            finally:
                h.emu.release_gateway()
            await h.emu.wait_until_connected(10)
            await h.settle()
            self.result.away["lost (new session)" if not resume else "replayed (RESUME)"] += 1

    async def run(self) -> SoakResult:
        started = time.monotonic()
        await self.setup()
        try:
            actions, weights = zip(*WEIGHTS.items(), strict=True)
            while time.monotonic() - started < self.seconds:
                action = self.rng.choices(actions, weights)[0]
                try:
                    await self.step(action)
                    self.result.events[action] += 1
                except (EmulatorError, TimeoutError) as exc:  # e.g. a button that was disabled meanwhile
                    log.debug("soak: %s skipped: %s", action, exc)
                    self.result.refused += 1
            h = self.h
            self.result.faults += sum(f.hits for f in h.emu.faults.active) + len(h.emu.ratelimiter.hits)
            await h.quiesce()
            self.result.violations = await check_all(h, quiet=True)
            assert h.bot is not None
            async with h.bot.db.connect() as conn:
                rows = await conn.execute(select(grants.c.status, func.count()).group_by(grants.c.status))
                self.result.grants = {status: int(n) for status, n in rows}
                recorded = set((await conn.execute(select(feedback.c.thread_id))).scalars())
                self.result.featured = int((await conn.execute(
                    select(func.count()).select_from(featured_posts))).scalar_one())
            self.result.posts_away = (sum(t in recorded for t in self.missed_posts), len(self.missed_posts))
            if h.emu.errors or h.emu.validator.violations:
                self.result.violations["emulator"] = [*h.emu.errors, *map(str, h.emu.validator.violations)]
        finally:
            await self.h.stop()
        self.result.seconds = time.monotonic() - started
        return self.result


def run_soak(members: int = 200, seconds: float = 600, seed: int = 1) -> SoakResult:
    with tempfile.TemporaryDirectory(prefix="kudos-soak-") as workdir:
        return asyncio.run(Soak(members, seconds, seed, workdir).run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=600.0, help="how long to keep the community busy")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)
    result = run_soak(args.members, args.seconds, args.seed)
    for line in result.lines():
        print(line)
    if result.violations:
        print(describe(result.violations))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Soak", "SoakResult", "main", "run_soak"]
