"""Earned privileges: judged over a rolling window with hysteresis, pinned or revoked by staff, checked at run time.

A member's privileges are re-judged in the transaction of every change of their ledger totals (a credit, a
reversal, a release: :meth:`PrivilegesService.on_contribution`, subscribed on the bus, under the ledger's member
lock), daily for every member (:meth:`sweep`, a durable timer, so a privilege lapses after inactivity), and
when staff pin, revoke or unpin one (:meth:`set_pin`, with a line in the audit log). Each gain or loss is a
``privilege_moves`` row and, in the same transaction, a DM job (and a role job when the privilege has a role).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger import queries as ledger_queries
from bot.ledger.models import ContributionEvent
from bot.platform import audit
from bot.platform.clock import Clock
from bot.platform.db import Database, locks
from bot.platform.errors import InvalidInput, NotFound
from bot.platform.i18n import N_
from bot.privileges import store as repo
from bot.privileges.jobs import DAILY_EVENT, NoticeKey, RoleKey
from bot.privileges.policy import PrivilegePolicy, Rule

Schedule = Callable[..., Awaitable[Any]]
PinMode = Literal["pin", "revoke", "unpin"]
MAX_REASON = 300


@dataclass(frozen=True, slots=True)
class Power:
    rule: Rule
    pin: str  # '' | 'pinned' | 'revoked'


@dataclass(frozen=True, slots=True)
class MemberPowers:
    enabled: bool
    window_days: int
    window_points: int
    held: list[Power]
    revoked: list[Power]
    next: tuple[Rule, str] | None  # the next privilege and what it needs


@dataclass(frozen=True, slots=True)
class Listed:
    rule: Rule
    requirement: str
    keep_points: int
    holders: int


class PrivilegesService:
    def __init__(self, db: Database, clock: Clock, policy_for: Callable[[int], PrivilegePolicy],
                 schedule: Schedule) -> None:
        self.db = db
        self.clock = clock
        self.policy_for = policy_for
        self.schedule = schedule

    # ------------------------------------------------------------------ judging

    async def on_contribution(self, conn: AsyncConnection, event: ContributionEvent) -> None:
        """Re-judge the member whose totals just changed, in the ledger's transaction (a reversal: at once)."""
        if not self.policy_for(event.guild_id).enabled:
            return
        why = "a credit of yours was reversed" if event.action == "reverse" else ""
        await self._judge(conn, event.guild_id, event.user_id, why=why)

    async def judge(self, guild_id: int, user_id: int) -> int:
        """Re-judge one member in their own transaction; returns the privileges that changed."""
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, guild_id, [user_id])
            return await self._judge(conn, guild_id, user_id)

    async def sweep(self, guild_id: int) -> int:
        """The daily judgement of every member with totals or privileges (a lapse shows here)."""
        if not self.policy_for(guild_id).enabled:
            return 0
        async with self.db.connect() as conn:
            members = set(await ledger_queries.members_with_stats(conn, guild_id))
            members |= set(await repo.members_with_rows(conn, guild_id))
        changed = 0
        for user_id in sorted(members):
            changed += await self.judge(guild_id, user_id)
        return changed

    async def schedule_daily(self, guild_id: int, *, after: datetime | None = None) -> None:
        """The daily sweep at the next 00:15 UTC, once per guild and day."""
        now = after or self.clock.now()
        today = now.replace(hour=0, minute=15, second=0, microsecond=0)
        nxt = today if now < today else today + timedelta(days=1)
        await self.schedule(DAILY_EVENT, {"guild_id": guild_id}, at=nxt,
                            dedupe_key=f"{DAILY_EVENT}:{guild_id}:{nxt.date().isoformat()}")

    async def _judge(self, conn: AsyncConnection, guild_id: int, user_id: int, *, why: str = "",
                     cause: str = "window", only: str | None = None) -> int:
        policy = self.policy_for(guild_id)
        now = self.clock.now()
        points = await ledger_queries.counted_points_since(conn, guild_id, user_id,
                                                           now - timedelta(days=policy.window_days))
        stage = await ledger_queries.stage_index(conn, guild_id, user_id)
        rows = await repo.of_member(conn, guild_id, user_id)
        changed = 0
        for rule in policy.rules:
            if only is not None and rule.name != only:
                continue
            row = rows.get(rule.name)
            was = row.held if row is not None else False
            pin = row.pin if row is not None else ""
            if pin == "pinned":
                want = policy.enabled
            elif pin == "revoked" or not policy.enabled:
                want = False
            else:
                want = policy.gains(rule, points, stage) or (was and policy.keeps(rule, points, stage))
            if want == was:
                continue
            await repo.put(conn, guild_id, user_id, rule.name, held=want, at=now, exists=row is not None)
            move = await repo.add_move(conn, guild_id, user_id, rule.name, gained=want, cause=cause, at=now)
            text = self._notice(policy, rule, want, points, stage, why=why, cause=cause,
                                pin_reason=row.pin_reason if row is not None and cause != "window" else "")
            await self.schedule(NoticeKey.kind, {"guild_id": guild_id, "user_id": user_id, "privilege": rule.name,
                                                 "gained": want, "text": text},
                                dedupe_key=NoticeKey(guild_id, move).dedupe(), conn=conn)
            if rule.role is not None:
                await self.schedule(RoleKey.kind, {"guild_id": guild_id, "user_id": user_id, "privilege": rule.name,
                                                   "role": rule.role},
                                    dedupe_key=RoleKey(guild_id, move).dedupe(), conn=conn)
            changed += 1
        return changed

    @staticmethod
    def _notice(policy: PrivilegePolicy, rule: Rule, gained: bool, points: int, stage: int, *, why: str,
                cause: str, pin_reason: str) -> str:
        window = f"the last {policy.window_days} days"
        if cause == "pin":
            return (f"**New privilege: {rule.title}.** Staff gave it to you: you can now {rule.does}. "
                    f"Reason: {pin_reason}")
        if cause == "revoke":
            return (f"**Privilege removed: {rule.title}.** Staff took it away ({rule.does}). Reason: {pin_reason}\n"
                    "Ask a moderator if you think this is a mistake.")
        if gained:
            head = f"**New privilege: {rule.title}.** You can now {rule.does}."
            reason = (f"You have {points} points over {window}" if rule.points else "You reached the stage")
            return (f"{head} {reason}" + (f" (needs {policy.requirement(rule)})." if rule.points else ".")
                    + f"\nYou keep it while you have at least {policy.keep_points(rule)} points over {window}.")
        if stage < rule.stage:
            reason = f"your ladder stage is now below {rule.stage_name}"
        else:
            reason = (f"you have {points} points over {window}, below the {policy.keep_points(rule)} needed to "
                      "keep it")
        if why:
            reason = f"{why}: {reason}"
        if cause == "unpin":
            reason = f"staff lifted its pin, and {reason}"
        return (f"**Privilege paused: {rule.title}** ({rule.does}). Why: {reason}.\n"
                f"To earn it back: {policy.requirement(rule)}.")

    # ------------------------------------------------------------------ staff

    async def set_pin(self, guild_id: int, user_id: int, privilege: str, mode: PinMode, *, actor_id: int,
                      reason: str) -> bool:
        """Pin (held whatever the window says), revoke (never held) or unpin (judged again) a privilege, with
        the reason in the audit log. Returns whether the member now holds it."""
        policy = self.policy_for(guild_id)
        rule = policy.rule(privilege)
        if rule is None:
            raise NotFound(N_("There is no privilege {privilege} here; /privileges lists them."),
                           privilege=repr(privilege))
        reason = reason.strip()
        if not reason:
            raise InvalidInput(N_("Give a reason: it goes in the audit log and in the member's DM."))
        if len(reason) > MAX_REASON:
            raise InvalidInput(N_("The reason is too long ({length} characters); keep it under {max_reason}."),
                               length=len(reason), max_reason=MAX_REASON)
        now = self.clock.now()
        pin = {"pin": "pinned", "revoke": "revoked", "unpin": ""}[mode]
        async with self.db.begin() as conn:
            await locks.lock_for_write(conn, guild_id, [user_id])
            rows = await repo.of_member(conn, guild_id, user_id)
            row = rows.get(privilege)
            held = row.held if row is not None else False
            await repo.put(conn, guild_id, user_id, privilege, held=held, at=row.since if row else now,
                           exists=row is not None, pin=pin, pin_reason=reason if pin else "",
                           pinned_by=actor_id if pin else None)
            await audit.record(conn, now=now, action=f"privilege.{mode}", guild_id=guild_id, actor_id=actor_id,
                               target_id=user_id, details={"privilege": privilege, "reason": reason})
            await self._judge(conn, guild_id, user_id, cause=mode, only=privilege)
            return await repo.holds(conn, guild_id, user_id, privilege)

    # ------------------------------------------------------------------ reads

    async def holds(self, guild_id: int, user_id: int, privilege: str) -> bool:
        """Whether the member may use ``privilege`` now (checked where the action happens)."""
        policy = self.policy_for(guild_id)
        if not policy.enabled or policy.rule(privilege) is None:
            return False
        async with self.db.connect() as conn:
            return await repo.holds(conn, guild_id, user_id, privilege)

    def window_of(self, guild_id: int) -> int | None:
        """The rolling window (days) :meth:`powers` measures, when the guild's privileges are on: ``/profile``
        asks the ledger's profile for its sum and hands it over."""
        policy = self.policy_for(guild_id)
        return policy.window_days if policy.enabled else None

    async def powers(self, guild_id: int, user_id: int, *, window_points: int | None = None,
                     stage: int | None = None) -> MemberPowers:
        """The member's privileges: held, revoked, and the next one with what it needs. ``window_points`` (their
        points in the last :meth:`window_of` days) and ``stage`` (their ladder stage index), when the caller
        read them already (``/profile``, from the ledger's profile), are not read again."""
        policy = self.policy_for(guild_id)
        if not policy.enabled:  # nothing is held or offered while the guild's privileges are off: no reads
            return MemberPowers(False, policy.window_days, 0, [], [], None)
        now = self.clock.now()

        async def read(conn: AsyncConnection) -> tuple[dict[str, Any], int, int]:
            return (await repo.of_member(conn, guild_id, user_id),
                    window_points if window_points is not None else await ledger_queries.counted_points_since(
                        conn, guild_id, user_id, now - timedelta(days=policy.window_days)),
                    stage if stage is not None else await ledger_queries.stage_index(conn, guild_id, user_id))

        rows, points, stage = await self.db.read(read)  # /profile shows them: point reads on the loop
        held, revoked, nxt = [], [], None
        for rule in policy.rules:
            row = rows.get(rule.name)
            if row is not None and row.held and policy.enabled:
                held.append(Power(rule, row.pin))
            elif row is not None and row.pin == "revoked":
                revoked.append(Power(rule, row.pin))
        candidates = [r for r in policy.rules if r.name not in {p.rule.name for p in (*held, *revoked)}]
        if candidates and policy.enabled:
            rule = min(candidates, key=lambda r: (r.stage > stage, r.points, r.stage))
            missing = []
            if rule.points > points:
                missing.append(f"{rule.points - points} more points in the last {policy.window_days} days")
            if rule.stage > stage:
                missing.append(f"stage {rule.stage_name}")
            nxt = (rule, " and ".join(missing) or "re-judged at the next credit")
        return MemberPowers(policy.enabled, policy.window_days, points, held, revoked, nxt)

    async def listing(self, guild_id: int) -> list[Listed]:
        policy = self.policy_for(guild_id)
        async with self.db.connect() as conn:
            counts = await repo.holders(conn, guild_id)
        return [Listed(r, policy.requirement(r), policy.keep_points(r), counts.get(r.name, 0)) for r in policy.rules]

    async def funnel(self, guild_id: int, ladder: Sequence[str], months: int = 6, *,
                     exclude: Callable[[int], bool] = lambda _u: False) -> list[FunnelRow]:
        """The ladder's promotion/demotion funnel over the last ``months`` calendar months (UTC)."""
        now = self.clock.now()
        y, m = now.year, now.month - (months - 1)
        while m < 1:
            y, m = y - 1, m + 12
        return await funnel(self.db, guild_id, ladder, now.replace(year=y, month=m, day=1, hour=0, minute=0,
                                                                    second=0, microsecond=0), exclude=exclude)

    async def moves(self, guild_id: int, start: datetime, end: datetime) -> Sequence[tuple[int, str, bool, str, datetime]]:
        async with self.db.connect() as conn:
            return await repo.moves_between(conn, guild_id, start, end)


@dataclass(frozen=True, slots=True)
class FunnelRow:
    month: str  # YYYY-MM
    stage: str
    promoted: int  # members who reached this stage (from below) that month
    demoted: int  # members who fell below this stage that month


async def funnel(db: Database, guild_id: int, ladder: Sequence[str], start: datetime, *,
                 exclude: Callable[[int], bool] = lambda _u: False) -> list[FunnelRow]:
    """Promotions into and demotions out of each ladder stage (above the lowest) per calendar month since ``start``;
    ``exclude``: members left out (staff). A move over several stages counts for each stage it crosses."""
    async with db.connect() as conn:
        moves = await ledger_queries.stage_moves_since(conn, guild_id, start)
    counts: dict[tuple[str, int], list[int]] = {}
    for user_id, before, after, at in moves:
        if exclude(user_id) or before == after:
            continue
        month = at.strftime("%Y-%m")
        up = after > before
        for stage in range(min(before, after) + 1, max(before, after) + 1):
            cell = counts.setdefault((month, stage), [0, 0])
            cell[0 if up else 1] += 1
    return [FunnelRow(month, ladder[stage] if stage < len(ladder) else str(stage), up, down)
            for (month, stage), (up, down) in sorted(counts.items())]
