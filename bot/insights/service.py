"""Insights for staff: the numbers behind /stats, one member's timeline, and CSV exports (no Discord here)."""

from __future__ import annotations

import asyncio
import gzip
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.insights import compute
from bot.insights import store as repo
from bot.insights.models import PERIODS, MemberTimeline, Overview, Window
from bot.ledger import KINDS, LedgerPolicy
from bot.ledger import stages as ladder_stages
from bot.ledger import stages_store as stages_repo
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_
from bot.platform.spreadsheet import csv_bytes
from bot.rewards.codes import mask_code

EXPORTS: tuple[str, ...] = ("contributions", "feedback", "betas")
MAX_FILES_PER_MESSAGE = 10


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    data: bytes
    rows: int


def member_ref(user_id: int | None) -> str:
    """How a member appears in exports: the Discord id, or ``erased-<n>`` after a data erasure."""
    if user_id is None:
        return ""
    return str(user_id) if user_id > 0 else f"erased-{-user_id}"


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> tuple[bytes, int]:
    return csv_bytes(header, rows, lineterminator="\n")  # member text defused (bot.platform.spreadsheet)


def package(filename: str, data: bytes, limit: int) -> list[tuple[str, bytes]]:
    """Fit a CSV into attachments of at most ``limit`` bytes: as is, gzipped, or split by rows into several
    gzipped parts (each with the header)."""
    if len(data) <= limit:
        return [(filename, data)]
    packed = gzip.compress(data, mtime=0)
    if len(packed) <= limit:
        return [(f"{filename}.gz", packed)]
    header, _, body = data.partition(b"\n")
    lines = body.splitlines(keepends=True)
    parts = max(2, math.ceil(len(packed) / limit) + 1)
    while True:
        size = math.ceil(len(lines) / parts)
        chunks = [lines[i:i + size] for i in range(0, len(lines), size)]
        files = [gzip.compress(header + b"\n" + b"".join(chunk), mtime=0) for chunk in chunks]
        if all(len(f) <= limit for f in files) or size <= 1:
            stem = filename.removesuffix(".csv")
            return [(f"{stem}.part{i + 1}of{len(files)}.csv.gz", f) for i, f in enumerate(files)]
        parts *= 2


class InsightsService:
    def __init__(self, db: Database, clock: Clock, policy_for: Callable[[int], LedgerPolicy]) -> None:
        self.db = db
        self.clock = clock
        self.policy_for = policy_for

    async def window(self, guild_id: int, period: str) -> Window:
        if period not in PERIODS:
            raise InvalidInput(N_("Unknown period {period}: choose one of {value}."),
                               period=repr(period), value=', '.join(PERIODS))
        first = None
        if period == "all":
            async with self.db.connect() as conn:
                first = await repo.first_entry(conn, guild_id)
        return compute.window(period, self.clock.now(), first)

    async def overview(self, guild_id: int, period: str) -> Overview:
        """Every /stats number for the period. The six groups of queries run at once, each on a connection of
        its own (PostgreSQL works them in parallel; so does SQLite, each aiosqlite connection in its own thread):
        the slowest sets the wait, not their sum. Each group reads one consistent snapshot; a credit landing
        meanwhile may show in one chart and not yet in another, as it would a moment later anyway."""
        win = await self.window(guild_id, period)
        stages = self.policy_for(guild_id).ladder
        await ladder_stages.ensure_current(self.db, guild_id, stages, self.clock.now())

        async def per_day_q(conn: AsyncConnection) -> Any:
            return await repo.contributions_per_day(conn, guild_id, win.start, win.end, KINDS)

        async def ladder_q(conn: AsyncConnection) -> Any:
            per_stage = await stages_repo.members_per_stage(conn, guild_id)
            first = await repo.first_entry(conn, guild_id) if period != "all" else win.start
            if first is not None and win.start <= first:
                # Nothing was recorded before the window: everyone started as a consumer with no credits.
                empty = ladder_stages.stage_of(stages, {})
                return per_stage, [(empty, stage, n) for stage, n in per_stage.items()]
            return per_stage, await stages_repo.moves_since(conn, guild_id, win.start)

        async def extra_q(conn: AsyncConnection) -> Any:
            return await repo.members_without_ledger(conn, guild_id)

        async def betas_q(conn: AsyncConnection) -> Any:
            announced = await repo.betas_announced(conn, guild_id, win.start, win.end)
            ids = [b for b, _ in announced]
            return announced, await repo.beta_participants_of(conn, ids), await repo.beta_feedback_of(conn, ids)

        async def feedback_q(conn: AsyncConnection) -> Any:
            return await repo.feedback_summary(conn, guild_id, win.start, win.end)

        async def help_q(conn: AsyncConnection) -> Any:
            return await repo.help_summary(conn, guild_id, win.start, win.end)

        async def run(query: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
            async with self.db.connect() as conn:
                return await query(conn)

        per_day, (per_stage, moves), extra, (announced, participants, beta_feedback), feedback, help_posts = \
            await asyncio.gather(*(run(q) for q in (per_day_q, ladder_q, extra_q, betas_q, feedback_q, help_q)))
        return Overview(
            window=win,
            kinds=compute.kinds_over_time(win, per_day),
            ladder=compute.ladder(win, stages, per_stage, moves, extra),
            betas=compute.beta_funnel(win, announced, participants, beta_feedback),
            feedback=compute.feedback_stats(win, *feedback),
            help=compute.help_stats(win, *help_posts),
        )

    async def member_timeline(self, guild_id: int, user_id: int) -> MemberTimeline:
        stages = self.policy_for(guild_id).ladder
        async with self.db.connect() as conn:
            entries = await repo.member_entries(conn, guild_id, user_id)
            fb, bt, rw = await repo.member_counts(conn, guild_id, user_id)
        return compute.timeline(guild_id, user_id, stages, entries, feedback=fb, betas=bt, rewards=rw)

    async def help_post_opened(self, guild_id: int, thread_id: int, forum_id: int, created_at: datetime) -> None:
        async with self.db.begin() as conn:
            await repo.record_help_post(conn, guild_id, thread_id, forum_id, created_at)

    async def help_posts_missed(self, guild_id: int, posts: list[tuple[int, int, datetime]]) -> int:
        """Record the help posts among ``posts`` (thread id, forum id, created at) not recorded yet (their
        gateway events were lost while the bot was away). Returns how many were new."""
        new = 0
        async with self.db.begin() as conn:
            for start in range(0, len(posts), 500):
                chunk = posts[start:start + 500]
                known = await repo.recorded_help_posts(conn, [p[0] for p in chunk])
                for thread_id, forum_id, created_at in chunk:
                    if thread_id not in known:
                        await repo.record_help_post(conn, guild_id, thread_id, forum_id, created_at)
                        new += 1
        return new

    # ------------------------------------------------------------------ exports

    async def export(self, guild_id: int, what: str, period: str) -> ExportFile:
        """A CSV of ``what`` (contributions, feedback or betas) created in the period. Perk codes are masked."""
        if what not in EXPORTS:
            raise InvalidInput(N_("Unknown export {what}: choose one of {value}."),
                               what=repr(what), value=', '.join(EXPORTS))
        win = await self.window(guild_id, period)
        async with self.db.connect() as conn:
            if what == "contributions":
                data, n = await self._contributions(conn, guild_id, win)
            elif what == "feedback":
                data, n = await self._feedback(conn, guild_id, win)
            else:
                data, n = await self._betas(conn, guild_id, win)
        stamp = win.end.strftime("%Y%m%d")
        return ExportFile(f"{what}-{period}-{stamp}.csv", data, n)

    async def _contributions(self, conn: Any, guild_id: int, win: Window) -> tuple[bytes, int]:
        result = await repo.export_contributions(conn, guild_id, win.start, win.end)
        rows = []
        async for r in result:
            rows.append((r.id, r.created_at, member_ref(r.user_id), r.kind, r.points, r.status,
                         member_ref(r.actor_id), r.reverses_id, r.season, r.channel_id, r.thread_id, r.message_id,
                         r.reason, r.note))
        return _csv(("id", "created_at", "member", "kind", "points", "status", "actor", "reverses", "season",
                     "channel_id", "thread_id", "message_id", "reason", "note"), rows)

    async def _feedback(self, conn: Any, guild_id: int, win: Window) -> tuple[bytes, int]:
        result = await repo.export_feedback(conn, guild_id, win.start, win.end)
        rows = []
        async for r in result:
            rows.append((r.id, r.created_at, r.type, r.status, r.title, member_ref(r.reporter_id), r.beta_id,
                         r.votes, r.first_staff_response_at, r.duplicate_of, r.thread_id, r.updated_at))
        return _csv(("id", "created_at", "type", "status", "title", "reporter", "beta_id", "votes",
                     "first_staff_response_at", "duplicate_of", "thread_id", "updated_at"), rows)

    async def _betas(self, conn: Any, guild_id: int, win: Window) -> tuple[bytes, int]:
        rows = await repo.export_betas(conn, guild_id, win.start, win.end)
        codes = await repo.beta_codes(conn, guild_id, sorted({r.name for r in rows}))
        out = [
            (r.id, r.name, r.status, r.starts_at, r.ends_at, r.capacity, member_ref(r.user_id), r.participation,
             r.joined_at, r.left_at,
             " ".join(mask_code(c) for c in codes.get((r.name, r.user_id), [])) if r.user_id is not None else "")
            for r in rows
        ]
        return _csv(("beta_id", "beta", "status", "starts_at", "ends_at", "capacity", "member", "participation",
                     "joined_at", "left_at", "perk_codes"), out)
