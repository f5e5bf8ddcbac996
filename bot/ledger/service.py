"""The contribution ledger: credit, reverse, release, and the queries members and staff see.

Refusals — who gets an error, who gets a result
-----------------------------------------------
``credit`` has two kinds of callers. A member acting directly (a ``/thanks`` command) should get an
ephemeral reply, so for *strict* calls every refusal raises a domain error whose message is written for
that member: self-credit → :class:`NotAllowed`; thanks-per-day, pair cooldown and the distinct-giver rule →
:class:`LimitReached`. Automatic credits (an answer accepted, a post featured, a beta joined) never raise
for a rule: they return ``CreditResult(status="refused", message=…)`` and the cog decides whether to say
anything. ``strict`` defaults to ``kind == "thanks"``.

Outcomes that are not refusals are never errors: an already-credited source is ``duplicate`` (so retries
and event replays are harmless), probation is ``pending`` and a daily cap is ``capped``. Capped credits
are still recorded, with 0 points and a note, so ``explain`` can tell the member what happened; pending
credits are recorded with their points and enter the aggregates when :meth:`release_pending` runs.

Atomicity
---------
The ledger row, the ``member_stats`` upserts (per kind and ``'*'``, all time and the row's season) and
``on_change`` happen in one transaction (a savepoint when the caller passes ``conn``): if ``on_change``
raises, nothing is written. Writers touching the same member are serialized (advisory locks on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so caps hold under concurrency; a concurrent credit of the
same source is caught by the unique constraint and reported as ``duplicate``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger import explain as text
from bot.ledger import profile_store, stages
from bot.ledger import store as repo
from bot.ledger.models import (
    Contribution,
    ContributionEvent,
    CreditResult,
    EventAction,
    LeaderboardEntry,
    Period,
    Profile,
    Receipt,
)
from bot.ledger.policy import KINDS, NO_SELF_CREDIT, PEER_KINDS, LedgerPolicy
from bot.ledger.reports import Reports
from bot.ledger.store import ALL_KINDS, ALL_TIME
from bot.platform import audit
from bot.platform import guilds as guild_repo
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.errors import InvalidInput, KudosError, LimitReached, NotAllowed, NotFound
from bot.platform.events import Outbound
from bot.platform.i18n import N_
from bot.privacy import is_tracking_disabled, tracking_refusal

OnChange = Callable[[AsyncConnection, ContributionEvent], Awaitable[None]]
OnRelease = Callable[[AsyncConnection, int, list[Contribution]], Awaitable[None]]

MAX_SOURCE_KEY = 190  # the column holds 200; room for a re-credit suffix "#n"
MAX_REASON = 300
PERIODS: tuple[str, ...] = ("week", "month", "season", "all")
_PERIOD_KEYS = {"week": repo.week_key, "month": repo.month_key}

_SELF_CREDIT = {
    "thanks": N_("You can't thank yourself — kudos are for the people who helped you."),
    "curation": N_("You can't feature your own post for curation credit; ask another curator."),
    "answer": N_("A reply from the person who asked can't be credited as the answer to their own question."),
}


def day_start(now: datetime) -> datetime:
    """Daily caps reset at 00:00 UTC."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class LedgerService(Reports):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        policy_for: Callable[[int], LedgerPolicy],
        on_change: OnChange | None = None,
        outbound: Callable[[AsyncConnection, Outbound], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policy_for = policy_for
        self.on_change = on_change
        self.outbound = outbound  # member.stage_changed, in the transaction that moved the member

    # ------------------------------------------------------------------ transactions

    @asynccontextmanager
    async def _tx(
        self, conn: AsyncConnection | None, guild_id: int, users: Iterable[int]
    ) -> AsyncIterator[AsyncConnection]:
        if conn is None:
            async with self.db.begin() as c:
                await repo.lock_for_write(c, guild_id, users)
                yield c
        else:
            # Lock first: on SQLite that also opens the real transaction the savepoint must live in.
            await repo.lock_for_write(conn, guild_id, users)
            async with conn.begin_nested():
                yield conn

    async def _emit(self, conn: AsyncConnection, action: EventAction, row: Contribution, now: datetime,
                    stats: dict[tuple[str, str], tuple[int, int]]) -> None:
        if self.on_change is None:
            return
        event = ContributionEvent(
            action=action, guild_id=row.guild_id, user_id=row.user_id, kind=row.kind, points=row.points,
            contribution_id=row.id, source_key=row.source_key, actor_id=row.actor_id, season=row.season,
            reverses_id=row.reverses_id, message_id=row.message_id, thread_id=row.thread_id,
            channel_id=row.channel_id, at=now,
            total_points=stats.get((ALL_KINDS, ALL_TIME), (0, 0))[0],
            kind_points=stats.get((row.kind, ALL_TIME), (0, 0))[0],
            kind_count=stats.get((row.kind, ALL_TIME), (0, 0))[1],
            season_points=stats.get((ALL_KINDS, row.season), (0, 0))[0] if row.season else 0,
        )
        await self.on_change(conn, event)

    async def _count(self, conn: AsyncConnection, row: Contribution, now: datetime, action: EventAction) -> None:
        """Add a counted row to the aggregates (and the member's ladder stage) and tell ``on_change``."""
        await repo.bump_stats(
            conn, guild_id=row.guild_id, user_id=row.user_id, kind=row.kind, season=row.season,
            points=row.points, count=-1 if row.is_reversal else 1, at=row.created_at,
        )
        stats = await repo.stats_for(conn, row.guild_id, row.user_id, (ALL_TIME, row.season))
        ladder = self.policy_for(row.guild_id).ladder
        moved = await stages.track(conn, ladder, row.guild_id, row.user_id, stats,
                                   stages.counted_at(row.created_at, row.held_until))
        await self._emit(conn, action, row, now, stats)
        if moved is not None and self.outbound is not None:
            before, after = moved
            await self.outbound(conn, Outbound(row.guild_id, "member.stage_changed", f"{row.user_id}:{row.id}", now, {
                "member_id": str(row.user_id), "contribution_id": row.id,
                "from": {"index": before, "name": ladder[before].name if before < len(ladder) else None},
                "to": {"index": after, "name": ladder[after].name if after < len(ladder) else None},
            }, member_id=row.user_id))

    # ------------------------------------------------------------------ credit

    async def credit(
        self,
        guild_id: int,
        user_id: int,
        kind: str,
        *,
        source_key: str,
        actor_id: int | None,
        reason: str = "",
        channel_id: int | None = None,
        thread_id: int | None = None,
        message_id: int | None = None,
        points: int | None = None,
        member_joined_at: datetime | None = None,
        strict: bool | None = None,
        allow_recredit: bool = False,
        conn: AsyncConnection | None = None,
    ) -> CreditResult:
        """Credit ``user_id`` for one contribution identified by ``source_key`` (see the module docstring).

        ``points`` defaults to the policy's points for ``kind``. ``member_joined_at`` decides probation;
        when omitted, ``members.joined_at`` is used (unknown = no probation). ``allow_recredit``: if this
        source was credited and later reversed, credit it again (as ``<source_key>#n``) instead of
        answering ``duplicate`` — used when a solution moves back to a message.
        """
        _check_kind(kind)
        if not source_key or len(source_key) > MAX_SOURCE_KEY:
            raise InvalidInput(N_("source_key must be 1 to {max_source_key} characters"),
                               max_source_key=MAX_SOURCE_KEY)
        if len(reason) > MAX_REASON:
            raise InvalidInput(N_("The reason is too long ({length} characters); keep it under {max_reason}."),
                               length=len(reason), max_reason=MAX_REASON)
        if points is not None and points < 0:
            raise InvalidInput(N_("Points for a credit can't be negative; reverse the entry instead."))
        strict = kind == "thanks" if strict is None else strict
        users = {user_id} | ({actor_id} if actor_id is not None and kind in PEER_KINDS else set())
        async with self._tx(conn, guild_id, users) as c:
            return await self._credit(
                c, guild_id, user_id, kind, source_key=source_key, actor_id=actor_id, reason=reason,
                channel_id=channel_id, thread_id=thread_id, message_id=message_id, points=points,
                member_joined_at=member_joined_at, strict=strict, allow_recredit=allow_recredit,
            )

    async def _credit(
        self, c: AsyncConnection, guild_id: int, user_id: int, kind: str, *, source_key: str,
        actor_id: int | None, reason: str, channel_id: int | None, thread_id: int | None,
        message_id: int | None, points: int | None, member_joined_at: datetime | None, strict: bool,
        allow_recredit: bool,
    ) -> CreditResult:
        policy = self.policy_for(guild_id)
        now = self.clock.now()
        key = source_key
        generations = await repo.source_generations(c, guild_id, kind, source_key)
        if generations:
            latest = generations[-1]
            undone = await repo.reversal_of(c, guild_id, latest.id)
            if undone is None or not allow_recredit:
                return _duplicate(latest, undone)
            key = f"{source_key}#{len(generations) + 1}"

        refusal = await self._refusal(c, policy, now, guild_id, user_id, kind, actor_id)
        if refusal is not None:
            if strict:
                raise refusal
            return CreditResult("refused", kind, user_id, message=refusal.message)

        amount = policy.points_for(kind) if points is None else points
        status, note, held_until = "counted", "", None
        cap = policy.cap_for(kind)
        if cap is not None and amount > 0:
            remaining = max(cap - await repo.points_since(c, guild_id, user_id, kind, day_start(now)), 0)
            if remaining == 0:
                status, note = "capped", f"daily cap for {kind} reached ({cap}/day)"
                amount = 0
            elif amount > remaining:
                note = f"daily cap for {kind}: {remaining} of {amount} points counted ({cap}/day)"
                amount = remaining
        if status == "counted" and policy.probation_days > 0:
            joined = member_joined_at or await guild_repo.member_joined_at(c, guild_id, user_id)
            if joined is not None and now < joined + timedelta(days=policy.probation_days):
                status, held_until = "pending", joined + timedelta(days=policy.probation_days)

        new_id = await repo.add(
            c, guild_id=guild_id, user_id=user_id, kind=kind, points=amount, source_key=key,
            channel_id=channel_id, thread_id=thread_id, message_id=message_id, actor_id=actor_id,
            reason=reason, season=policy.season_for(now), created_at=now, status=status,
            held_until=held_until, note=note,
        )
        if new_id is None:  # a concurrent writer credited this source first
            existing = await repo.by_source(c, guild_id, kind, key)
            assert existing is not None
            return _duplicate(existing, None)
        await repo.bump_day(c, guild_id, now, kind, 1)
        row = await repo.get(c, guild_id, new_id)
        assert row is not None
        total = None
        if status == "counted":
            await self._count(c, row, now, "credit")
            total = (await repo.stats_for(c, guild_id, user_id, (ALL_TIME,))).get((ALL_KINDS, ALL_TIME), (0, 0))[0]
        outcome = {"counted": "credited", "pending": "pending", "capped": "capped"}[status]
        message = {
            "credited": f"+{amount} {kind} for <@{user_id}>." + (f" ({note})" if note else ""),
            "pending": f"+{amount} {kind} for <@{user_id}> is held until {text.ts(held_until or now)} "
            "(new-member probation).",
            "capped": f"<@{user_id}> has reached today's {kind} cap ({cap} points); this was recorded "
            "with 0 points.",
        }[outcome]
        return CreditResult(
            outcome, kind, user_id, contribution_id=new_id, points=amount, message=message,  # type: ignore[arg-type]
            held_until=held_until,
            receipt=text.receipt(guild_id, row, total) if policy.receipts else None,
        )

    async def _refusal(
        self, c: AsyncConnection, policy: LedgerPolicy, now: datetime, guild_id: int, user_id: int,
        kind: str, actor_id: int | None,
    ) -> KudosError | None:
        """The rule this credit breaks, as the error to show its actor, or ``None``."""
        if await is_tracking_disabled(c, guild_id, user_id):  # /mydata tracking off (bot.privacy)
            return tracking_refusal(user_id)
        if actor_id is None:
            return None
        if actor_id == user_id and kind in NO_SELF_CREDIT:
            if kind in _SELF_CREDIT:
                return NotAllowed(_SELF_CREDIT[kind])
            return NotAllowed(N_("You can't give {kind} credit to yourself."), kind=kind)
        if kind == "thanks":
            if policy.thanks_given_per_day > 0:
                today = await repo.given_since(c, guild_id, actor_id, "thanks", day_start(now))
                if len(today) >= policy.thanks_given_per_day:
                    reset = day_start(now) + timedelta(days=1)
                    return LimitReached(
                        N_("You've given all {thanks_given_per_day} thanks for today. You can thank again "
                           "{value}."),
                        thanks_given_per_day=policy.thanks_given_per_day, value=text.ts(reset, 'R')
                    )
            if policy.thanks_pair_cooldown_hours > 0:
                recent = await repo.given_since(
                    c, guild_id, actor_id, "thanks", now - policy.pair_cooldown, to_user=user_id, exclusive=True
                )
                if recent:
                    again = recent[0].created_at + policy.pair_cooldown
                    return LimitReached(
                        N_("You already thanked <@{user_id}> recently. You can thank them again {value}."),
                        user_id=user_id, value=text.ts(again, 'R')
                    )
        if kind in PEER_KINDS and policy.max_from_same_giver > 0:
            window = await repo.given_since(
                c, guild_id, actor_id, kind, now - policy.giver_window, to_user=user_id, exclusive=True
            )
            if len(window) >= policy.max_from_same_giver:
                again = window[policy.max_from_same_giver - 1].created_at + policy.giver_window
                return LimitReached(
                    N_("<@{user_id}> has already received {value} from you in the last {value_b}. Spread the "
                       "kudos around — you can credit them again {value_c}."),
                    user_id=user_id, value=text.plural(len(window), kind + ' credit'), value_b=text.plural(policy.distinct_givers_window_days, 'day'), value_c=text.ts(again, 'R')
                )
        return None

    # ------------------------------------------------------------------ reverse / move

    async def reverse(
        self, guild_id: int, contribution_id: int, *, actor_id: int | None, reason: str,
        conn: AsyncConnection | None = None,
    ) -> CreditResult:
        """Undo an entry by appending a negative row (``source_key`` ``rev:<id>``); never deletes.

        Reversing twice answers ``duplicate``. A pending entry's reversal is pending too (they are released
        together and cancel out); a capped entry's reversal carries 0 points.
        """
        if len(reason) > MAX_REASON:
            raise InvalidInput(N_("The reason is too long ({length} characters); keep it under {max_reason}."),
                               length=len(reason), max_reason=MAX_REASON)
        async with self._tx(conn, guild_id, ()) as c:
            return await self._reverse(c, guild_id, contribution_id, actor_id=actor_id, reason=reason)

    async def _reverse(
        self, c: AsyncConnection, guild_id: int, contribution_id: int, *, actor_id: int | None, reason: str
    ) -> CreditResult:
        now = self.clock.now()
        original = await repo.get(c, guild_id, contribution_id)
        if original is None:
            raise NotFound(N_("There is no ledger entry #{contribution_id} in this server."),
                           contribution_id=contribution_id)
        if original.is_reversal:
            raise InvalidInput(N_("Entry #{contribution_id} is itself a reversal, so it can't be reversed."),
                               contribution_id=contribution_id)
        await repo.lock_for_write(c, guild_id, [original.user_id])
        original = await repo.get(c, guild_id, contribution_id)  # re-read under the lock
        assert original is not None
        existing = await repo.reversal_of(c, guild_id, original.id)
        if existing is None:
            new_id = await repo.add(
                c, guild_id=guild_id, user_id=original.user_id, kind=original.kind, points=-original.points,
                source_key=f"rev:{original.id}", channel_id=original.channel_id, thread_id=original.thread_id,
                message_id=original.message_id, actor_id=actor_id, reason=reason, season=original.season,
                reverses_id=original.id, created_at=now, status=original.status,
                held_until=original.held_until, note="",
            )
            if new_id is not None:
                await repo.bump_day(c, guild_id, original.created_at, original.kind, -1)
                row = await repo.get(c, guild_id, new_id)
                assert row is not None
                if row.status == "counted":
                    await self._count(c, row, now, "reverse")
                await audit.record(
                    c, now=now, action="ledger.reverse", guild_id=guild_id, actor_id=actor_id,
                    target_id=original.user_id,
                    details={"contribution_id": original.id, "reversal_id": new_id, "kind": original.kind,
                             "points": -original.points, "reason": reason},
                )
                return CreditResult(
                    "reversed", original.kind, original.user_id, contribution_id=new_id, points=-original.points,
                    message=f"Reversed entry #{original.id}: {-original.points:+d} {original.kind} "
                    f"for <@{original.user_id}>.",
                    receipt=text.reversal_sentence(row) if self.policy_for(guild_id).receipts else None,
                )
            existing = await repo.reversal_of(c, guild_id, original.id)
            assert existing is not None
        return CreditResult(
            "duplicate", original.kind, original.user_id, contribution_id=existing.id, points=0,
            message=f"Entry #{original.id} was already reversed on {text.ts(existing.created_at)}.",
        )

    async def move_credit(
        self,
        guild_id: int,
        contribution_id: int,
        new_user_id: int,
        *,
        source_key: str,
        actor_id: int | None,
        reason: str = "",
        channel_id: int | None = None,
        thread_id: int | None = None,
        message_id: int | None = None,
        points: int | None = None,
        member_joined_at: datetime | None = None,
        conn: AsyncConnection | None = None,
    ) -> tuple[CreditResult, CreditResult]:
        """Move a credit (an accepted solution) to another message: reverse the old entry and credit the
        new source, same kind, in one transaction. Returns (reversal, credit). Replaying a move is
        harmless (both halves answer ``duplicate``); moving back to a message whose credit was reversed
        credits it again. If the new credit is refused (self-credit), the reversal still stands."""
        if not source_key or len(source_key) > MAX_SOURCE_KEY:
            raise InvalidInput(N_("source_key must be 1 to {max_source_key} characters"),
                               max_source_key=MAX_SOURCE_KEY)
        async with self._tx(conn, guild_id, ()) as c:
            original = await repo.get(c, guild_id, contribution_id)
            if original is None:
                raise NotFound(N_("There is no ledger entry #{contribution_id} in this server."),
                               contribution_id=contribution_id)
            users = {original.user_id, new_user_id}
            if actor_id is not None and original.kind in PEER_KINDS:
                users.add(actor_id)
            await repo.lock_for_write(c, guild_id, users)
            undone = await self._reverse(c, guild_id, contribution_id, actor_id=actor_id, reason=reason or "moved")
            moved = await self._credit(
                c, guild_id, new_user_id, original.kind, source_key=source_key, actor_id=actor_id,
                reason=reason, channel_id=channel_id, thread_id=thread_id, message_id=message_id,
                points=points, member_joined_at=member_joined_at, strict=False, allow_recredit=True,
            )
            return undone, moved

    # ------------------------------------------------------------------ probation

    async def release_pending(self, guild_id: int, now: datetime | None = None, *,
                              on_release: OnRelease | None = None) -> int:
        """Count every held credit whose probation ended by ``now``; returns how many rows were released.

        Idempotent: a row is released once (``pending`` → ``counted``), however often this runs.
        ``on_release(conn, user_id, rows)`` runs in the releasing transaction once per member with the rows
        *this call* released (e.g. to queue a receipt that commits — or rolls back — with the release).
        """
        now = now or self.clock.now()
        released = 0
        while True:
            async with self.db.begin() as c:
                await repo.lock_for_write(c, guild_id, ())
                due = await repo.pending_due(c, guild_id, now)
                if not due:
                    return released
                await repo.lock_for_write(c, guild_id, {user for _, user in due})
                by_member: dict[int, list[Contribution]] = {}
                for row in await repo.release_due(c, [row_id for row_id, _ in due]):
                    await self._count(c, row, now, "release")
                    by_member.setdefault(row.user_id, []).append(row)
                    released += 1
                if on_release is not None:
                    for user_id, rows in by_member.items():
                        await on_release(c, user_id, rows)

    # ------------------------------------------------------------------ queries

    async def history(
        self, guild_id: int, user_id: int, limit: int = 20, before_id: int | None = None
    ) -> list[Receipt]:
        """A member's ledger entries, newest first; page with ``before_id`` = the last id seen."""
        if not 1 <= limit <= 100:
            raise InvalidInput(N_("Show between 1 and 100 entries at a time."))
        async with self.db.connect() as c:
            return await _history(c, guild_id, user_id, limit=limit, before_id=before_id)

    async def profile(self, guild_id: int, user_id: int, *, receipts: int = 5,
                      windows: Iterable[int] = ()) -> Profile:
        """A member's card. ``windows``: rolling windows (days) to sum as well (``Profile.window_points``), the
        ones the reward bar needs (``RewardsService.windows_of``), in the same statement."""
        policy = self.policy_for(guild_id)
        now = self.clock.now()
        season = policy.season_for(now)
        if receipts > 100:
            raise InvalidInput(N_("Show between 1 and 100 entries at a time."))
        spans = [(int(days), now - timedelta(days=int(days))) for days in set(windows)]
        # One statement, read on the loop (Database.read): every round trip to the database thread counts.
        data = await self.db.read(lambda c: profile_store.profile_data(
            c, guild_id, user_id, (ALL_TIME, season), receipts=receipts, windows=spans))
        stats, pending, stored = data.stats, data.pending, data.stage
        recent = [_receipt_of(r) for r in data.receipts]
        all_time = stages.all_time_of(stats)
        index = stages.stage_of(policy.ladder, all_time)  # as stored in member_stages (bot.ledger.stages)
        nxt = policy.ladder[index + 1] if index + 1 < len(policy.ladder) else None
        return Profile(
            guild_id=guild_id,
            user_id=user_id,
            total_points=all_time[ALL_KINDS][0],
            season=season,
            season_points=stats.get((ALL_KINDS, season), (0, 0))[0] if season else 0,
            points_by_kind={k: all_time[k][0] for k in KINDS},
            counts_by_kind={k: all_time[k][1] for k in KINDS},
            season_points_by_kind={k: stats.get((k, season), (0, 0))[0] if season else 0 for k in KINDS},
            pending_points=pending,
            stage=policy.ladder[index].name,
            next_stage=nxt.name if nxt else None,
            missing=nxt.missing(all_time) if nxt else [],
            receipts=recent,
            stage_since=stored[1] if stored is not None and stored[0] == index and index > 0 else None,
            window_points=data.windows,
            stage_index=index,
        )

    async def leaderboard(
        self, guild_id: int, period: Period = "all", kind: str | None = None, limit: int = 10, offset: int = 0
    ) -> list[LeaderboardEntry]:
        """Top members by points, from ``member_stats``: ``all`` time, the current ``season``, or the current
        calendar ``week`` (ISO, from Monday 00:00 UTC) or ``month`` (from the 1st, 00:00 UTC). An entry counts in
        the week and month of its ``created_at`` (a reversal in those of the reversal). Ties share a rank."""
        if period not in PERIODS:
            raise InvalidInput(N_("Unknown period {period}: choose week, month, season or all."),
                               period=repr(period))
        if kind is not None:
            _check_kind(kind)
        if not 1 <= limit <= 100 or offset < 0:
            raise InvalidInput(N_("Show between 1 and 100 members per page."))
        now = self.clock.now()
        async with self.db.connect() as c:
            season = _PERIOD_KEYS[period](now) if period in _PERIOD_KEYS else ALL_TIME
            if period == "season":
                season = self.policy_for(guild_id).season_for(now)
                if not season:
                    raise InvalidInput(
                        N_("No season is running right now, so there is no season leaderboard. "
                        "Try the weekly, monthly or all-time board.")
                    )
            stat_kind = kind or ALL_KINDS
            rows = await repo.board_from_stats(c, guild_id, stat_kind, season, limit=limit, offset=offset)
            if not rows:
                return []
            rank = 1 if offset == 0 else await repo.stats_rank_of(c, guild_id, stat_kind, season, rows[0][1])
        out = []
        for i, (user, points) in enumerate(rows):
            if i > 0 and points != rows[i - 1][1]:
                rank = offset + i + 1
            out.append(LeaderboardEntry(rank, user, points))
        return out


# ---------------------------------------------------------------------- helpers


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidInput(N_("Unknown contribution kind {kind}: use one of {value}."),
                           kind=repr(kind), value=', '.join(KINDS))


def _duplicate(existing: Contribution, undone: Contribution | None) -> CreditResult:
    if undone is not None:
        message = (f"This was already credited (entry #{existing.id}) and later reversed on "
                   f"{text.ts(undone.created_at)}.")
    else:
        message = f"Already credited (entry #{existing.id}); nothing changed."
    return CreditResult(
        "duplicate", existing.kind, existing.user_id, contribution_id=existing.id, points=0, message=message
    )


TITLED_KINDS = ("answer", "creation", "curation")  # their reason is the post's title


def _title(row: Contribution | None) -> str | None:
    return row.reason or None if row is not None and row.kind in TITLED_KINDS and not row.is_reversal else None


def _receipt(row: Contribution, reversed_: bool, original: Contribution | None = None) -> Receipt:
    status = "reversal" if row.is_reversal else ("reversed" if reversed_ else row.status)
    return Receipt(
        id=row.id, kind=row.kind, points=row.points, status=status, reason=row.reason, note=row.note,
        source_key=row.source_key, channel_id=row.channel_id, thread_id=row.thread_id,
        message_id=row.message_id, actor_id=row.actor_id, season=row.season, created_at=row.created_at,
        held_until=row.held_until, reverses_id=row.reverses_id,
        title=_title(original if row.is_reversal else row),
    )


def _receipt_of(row: profile_store.ProfileRow) -> Receipt:
    status = "reversal" if row.entry.is_reversal else ("reversed" if row.reversed else row.entry.status)
    e = row.entry
    if e.is_reversal:  # a reversal keeps its post's title with the entry it reverses
        title = (row.original[1] or None) if row.original is not None and row.original[0] in TITLED_KINDS else None
    else:
        title = _title(e)
    return Receipt(
        id=e.id, kind=e.kind, points=e.points, status=status, reason=e.reason, note=e.note,
        source_key=e.source_key, channel_id=e.channel_id, thread_id=e.thread_id,
        message_id=e.message_id, actor_id=e.actor_id, season=e.season, created_at=e.created_at,
        held_until=e.held_until, reverses_id=e.reverses_id, title=title,
    )


async def _history(c: AsyncConnection, guild_id: int, user_id: int, *, limit: int,
                   before_id: int | None = None) -> list[Receipt]:
    rows = await repo.history(c, guild_id, user_id, limit=limit, before_id=before_id)
    reversed_ids = set(await repo.reversals_of(c, guild_id, [r.id for r in rows if not r.is_reversal]))
    # A reversal keeps its post's title with the entry it reverses (usually on the same page, else read).
    by_id = {r.id: r for r in rows}
    originals = {r.reverses_id: by_id.get(r.reverses_id) or await repo.get(c, guild_id, r.reverses_id)
                 for r in rows if r.reverses_id is not None}
    return [_receipt(r, r.id in reversed_ids, originals.get(r.reverses_id) if r.reverses_id else None)
            for r in rows]
