"""The ledger's reports, a mixin of :class:`bot.ledger.service.LedgerService` (which provides ``db``): why
something did or didn't count (``/contrib explain``), pairs who mostly credit each other (the daily ring report),
and the check that ``member_stats`` equals the ledger's sums. Reads only, on their own connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.ledger import explain as text
from bot.ledger import store as repo
from bot.ledger.models import Ring
from bot.ledger.policy import PEER_KINDS


class Reports:
    db: Any

    async def explain(
        self, guild_id: int, user_id: int, *, source_key: str | None = None, message_id: int | None = None,
        limit: int = 10,
    ) -> list[str]:
        """Why something did or didn't count, in sentences. Without a source or message: the latest entries."""
        async with self.db.connect() as c:
            if source_key is None and message_id is None:
                rows = list(reversed(await repo.history(c, guild_id, user_id, limit=limit)))
                if not rows:
                    return ["No record: nothing has been credited to you yet."]
            else:
                rows = await repo.find_for_member(
                    c, guild_id, user_id, source_key=source_key, message_id=message_id
                )
                if not rows:
                    return [text.no_record(source_key)]
            reversals = await repo.reversals_of(c, guild_id, [r.id for r in rows if not r.is_reversal])
        shown = {r.id for r in rows}
        out: list[str] = []
        for row in rows:
            if row.is_reversal and row.reverses_id in shown:
                continue  # told together with the entry it reverses
            out.extend(text.describe(guild_id, row, reversal=reversals.get(row.id)))
        return out

    async def rings(
        self, guild_id: int, since: datetime, min_exchanges: int = 3, share: float = 0.6
    ) -> list[Ring]:
        """Pairs who mostly credit each other in peer-given kinds since ``since`` (a report, no action).

        A pair (a, b) is reported when both directions happened, a_to_b + b_to_a ≥ ``min_exchanges``, and
        those exchanges are at least ``share`` of everything a and b gave in that time. Reversed credits are
        ignored. Sorted by the number of exchanges, largest first.
        """
        async with self.db.connect() as c:
            exchanges = await repo.peer_exchanges(c, guild_id, sorted(PEER_KINDS), since)
        given: dict[int, int] = {}
        for (giver, _), n in exchanges.items():
            given[giver] = given.get(giver, 0) + n
        found = []
        for (a, b), a_to_b in exchanges.items():
            if a >= b:
                continue
            b_to_a = exchanges.get((b, a), 0)
            both = a_to_b + b_to_a
            if b_to_a and both >= min_exchanges and both >= share * (given[a] + given[b]):
                found.append(Ring(a, b, a_to_b, b_to_a))
        return sorted(found, key=lambda r: (-(r.a_to_b + r.b_to_a), r.a, r.b))

    async def totals_consistent(self, guild_id: int) -> bool:
        """True when ``member_stats`` equals the sums recomputed from counted ledger rows."""
        async with self.db.connect() as c:
            ledger = await repo.ledger_sums(c, guild_id)
            stats = await repo.stats_sums(c, guild_id)
        keys = set(ledger) | set(stats)
        return all(ledger.get(k, (0, 0)) == stats.get(k, (0, 0)) for k in keys)


__all__ = ["Reports"]
