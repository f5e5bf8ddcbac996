"""Values the ledger service returns, its rows as it hands them out, and the event it emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

CreditStatus = Literal["credited", "duplicate", "pending", "capped", "refused", "reversed"]
EventAction = Literal["credit", "reverse", "release"]
Period = Literal["week", "month", "season", "all"]


@dataclass(frozen=True, slots=True)
class Contribution:
    """One ledger row (``contributions``), as the ledger hands it to others (``on_release``, receipts)."""

    id: int
    guild_id: int
    user_id: int
    kind: str
    points: int
    source_key: str
    channel_id: int | None
    thread_id: int | None
    message_id: int | None
    actor_id: int | None
    reason: str
    season: str
    reverses_id: int | None
    created_at: datetime
    status: str
    held_until: datetime | None
    note: str

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


@dataclass(frozen=True, slots=True)
class CreditResult:
    """The outcome of ``credit`` / ``reverse``.

    ``status``:
      - ``credited``: a row was written and counted in the aggregates (``points`` may be below the
        requested amount when a daily cap trimmed it; ``message`` then says so).
      - ``duplicate``: the source was already credited (or the entry already reversed); nothing changed.
        ``contribution_id`` is the existing row.
      - ``pending``: written but held (probation) until ``held_until``; not in aggregates yet.
      - ``capped``: written with 0 points because the member's daily cap for the kind was reached.
      - ``refused``: nothing written (e.g. self-credit for an automatic kind); ``message`` says why.
      - ``reversed``: a reversal row was written (negative ``points``).
    ``message`` is a friendly sentence for the member; ``receipt`` is set when the policy has receipts on
    and something was written.
    """

    status: CreditStatus
    kind: str
    user_id: int
    contribution_id: int | None = None
    points: int = 0
    message: str = ""
    held_until: datetime | None = None
    receipt: str | None = None

    @property
    def written(self) -> bool:
        return self.status in ("credited", "pending", "capped", "reversed")


@dataclass(frozen=True, slots=True)
class ContributionEvent:
    """Passed to ``on_change(conn, event)`` inside the transaction that changed a member's aggregates.

    Emitted for counted credits, reversals of counted credits and probation releases (never for pending,
    capped or duplicate outcomes). ``points`` is the change (negative for a reversal); ``total_points``,
    ``kind_points``, ``kind_count`` and ``season_points`` are the member's all-time / season totals *after*
    the change.
    """

    action: EventAction
    guild_id: int
    user_id: int
    kind: str
    points: int
    contribution_id: int
    source_key: str
    actor_id: int | None
    season: str
    reverses_id: int | None
    message_id: int | None
    thread_id: int | None
    channel_id: int | None
    at: datetime
    total_points: int
    kind_points: int
    kind_count: int
    season_points: int


@dataclass(frozen=True, slots=True)
class Receipt:
    """One ledger entry as a member sees it. ``status``: counted, pending, capped, reversed (a credit
    that was later reversed) or reversal (the negative entry itself)."""

    id: int
    kind: str
    points: int
    status: str
    reason: str
    note: str
    source_key: str
    channel_id: int | None
    thread_id: int | None
    message_id: int | None
    actor_id: int | None
    season: str
    created_at: datetime
    held_until: datetime | None = None
    reverses_id: int | None = None
    # The post's title recorded with the entry (answers, creations and curation record it as their reason); a
    # reversal's comes from the entry it reverses, since its own reason says why it was reversed.
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    guild_id: int
    user_id: int
    total_points: int
    season: str
    season_points: int
    # kind → (points, count); every kind present, zeros included
    points_by_kind: dict[str, int]
    counts_by_kind: dict[str, int]
    season_points_by_kind: dict[str, int]
    pending_points: int
    stage: str
    next_stage: str | None
    missing: list[str] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    # when the member reached ``stage`` (from member_stages; None at the lowest stage)
    stage_since: datetime | None = None
    # {days: net counted points in the last ``days`` days}, for the rolling windows asked of ``profile``
    window_points: dict[int, int] = field(default_factory=dict)
    stage_index: int = 0  # ``stage``'s place on the ladder (0 = the first stage)


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    rank: int
    user_id: int
    points: int

    def __iter__(self):  # type: ignore[no-untyped-def]
        # lets callers unpack ``rank, user_id, points = entry``
        return iter((self.rank, self.user_id, self.points))


@dataclass(frozen=True, slots=True)
class Ring:
    """Two members who mostly credit each other in peer-given kinds (a report, not a verdict)."""

    a: int
    b: int
    a_to_b: int
    b_to_a: int

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((self.a, self.b, self.a_to_b, self.b_to_a))
