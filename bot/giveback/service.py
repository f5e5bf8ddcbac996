"""The give-back ledger: what the brand gave each member, recorded where it happens, and the balance.

Recorded in the cause's transaction where Kudos decides it: a reward's perk code or role when its grant is
delivered (``RewardsService.on_delivered``), beta access and a shipped report from the bus (``beta_joined``,
``feedback_shipped``, :meth:`GivebackService.on_event`). Staff answers and staff thanks are recorded by the
Discord side right after the commit that accepted the answer or the thanks (only Discord knows who is staff):
:meth:`record`. Every entry is keyed by its source, so recording twice is a no-op. Nothing edits or deletes it
(erasure pseudonymises it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.giveback import store as repo
from bot.giveback.store import Given
from bot.ledger import queries as ledger_queries
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.events import DomainEvent

KINDS = ("perk", "role", "beta", "shipped", "staff_answer", "staff_thanks")
KIND_TEXT = {"perk": "perk code", "role": "role", "beta": "beta access", "shipped": "report shipped",
             "staff_answer": "staff answer", "staff_thanks": "thanks from staff"}


@dataclass(frozen=True, slots=True)
class MemberGiven:
    counts: dict[str, int]
    latest: list[Given]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Month:
    month: str  # YYYY-MM
    given: int  # give-back entries
    received: int  # contributions counted (net)


@dataclass(frozen=True, slots=True)
class ToThank:
    user_id: int
    contributions: int
    points: int


def _months(now: datetime, n: int) -> list[datetime]:
    """The first day of the last ``n`` calendar months (UTC), oldest first."""
    y, m = now.astimezone(UTC).year, now.astimezone(UTC).month
    out = []
    for _ in range(n):
        out.append(datetime(y, m, 1, tzinfo=UTC))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


class GivebackService:
    def __init__(self, db: Database, clock: Clock, config_for: Callable[[int], Any]) -> None:
        self.db = db
        self.clock = clock
        self.config_for = config_for

    # ------------------------------------------------------------------ recording

    async def _add(self, conn: AsyncConnection, guild_id: int, user_id: int, kind: str, source_key: str,
                   detail: str = "", actor_id: int | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown give-back kind {kind!r}")
        await repo.add(conn, guild_id=guild_id, user_id=user_id, kind=kind, source_key=source_key[:200],
                       detail=detail[:200], actor_id=actor_id, at=self.clock.now())

    async def record(self, guild_id: int, user_id: int, kind: str, *, source_key: str, detail: str = "",
                     actor_id: int | None = None, conn: AsyncConnection | None = None) -> None:
        """Record one thing given (idempotent by ``source_key``); in ``conn``'s transaction when given."""
        if conn is not None:
            await self._add(conn, guild_id, user_id, kind, source_key, detail, actor_id)
            return
        async with self.db.begin() as own:
            await self._add(own, guild_id, user_id, kind, source_key, detail, actor_id)

    async def on_event(self, conn: AsyncConnection, event: DomainEvent) -> None:
        """Beta access and shipped reports, in the transaction that decided them."""
        data = event.data
        if event.name == "beta_joined":
            await self._add(conn, event.guild_id, event.user_id, "beta", f"beta:{data.get('beta_id')}",
                            str(data.get("beta", "")))
        elif event.name == "feedback_shipped":
            await self._add(conn, event.guild_id, event.user_id, "shipped", f"feedback:{data.get('feedback_id')}",
                            f"#{data.get('feedback_id')} {data.get('title', '')}".strip())

    async def on_delivered(self, conn: AsyncConnection, guild_id: int, user_id: int, action: str, grant_id: int,
                           rule_name: str) -> None:
        """A reward's grant was delivered (in the rewards' transaction): a perk code or a role."""
        kind = {"perk": "perk", "role_add": "role"}.get(action)
        if kind is not None:
            await self._add(conn, guild_id, user_id, kind, f"grant:{grant_id}", rule_name)

    # ------------------------------------------------------------------ reads

    async def given_to(self, guild_id: int, user_id: int, *, latest: int = 5) -> MemberGiven:
        async def read(conn: AsyncConnection) -> MemberGiven:
            counts = await repo.counts_of_member(conn, guild_id, user_id)
            rows = await repo.of_member(conn, guild_id, user_id, latest) if latest else []
            return MemberGiven(counts, rows)

        return await self.db.read(read)  # /profile shows it: point reads on the loop

    async def balance(self, guild_id: int, months: int | None = None) -> list[Month]:
        """Value given vs contributions received, per calendar month (UTC), oldest first."""
        n = months or self.config_for(guild_id).balance_months
        firsts = _months(self.clock.now(), n)
        async with self.db.connect() as conn:
            received = await ledger_queries.totals_by_month(conn, guild_id, firsts)
            given_at = await repo.since(conn, guild_id, firsts[0])
        given: dict[str, int] = {}
        for at in given_at:
            key = at.astimezone(UTC).strftime("%Y-%m")
            given[key] = given.get(key, 0) + 1
        keys = [f.strftime("%Y-%m") for f in firsts]
        return [Month(k, given.get(k, 0), received.get(k, (0, 0))[1]) for k in keys]

    async def people_to_thank(self, guild_id: int, *, exclude: Callable[[int], bool] = lambda _u: False,
                              limit: int = 20) -> list[ToThank]:
        """Members with many contributions (``thank_min_contributions``, all time) who were given nothing back,
        most contributions first; ``exclude``: members to leave out (staff, members who left)."""
        need = self.config_for(guild_id).thank_min_contributions
        async with self.db.connect() as conn:
            many = await ledger_queries.members_by_count(conn, guild_id, need, limit=500)
            given = await repo.members_given(conn, guild_id, [u for u, _, _ in many])
        out = [ToThank(u, n, p) for u, n, p in many if u not in given and not exclude(u)]
        return out[:limit]
