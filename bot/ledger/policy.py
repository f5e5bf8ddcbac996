"""Ledger rules for one guild: points, caps, anti-abuse limits, probation, seasons and the ladder.

A :class:`LedgerPolicy` is a plain frozen value built by the caller from the guild's configuration (see
:meth:`LedgerPolicy.from_config`); the service asks ``policy_for(guild_id)`` on every call, so a config
reload takes effect immediately.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

try:
    from bot.platform.config import CONTRIBUTION_KINDS as _CONFIG_KINDS

    KINDS: tuple[str, ...] = tuple(_CONFIG_KINDS)
except ImportError:  # pragma: no cover - config package not importable
    KINDS = ("answer", "curation", "creation", "thanks", "feedback_given", "feedback_acknowledged",
             "feedback_shipped", "beta")

# Kinds one member gives to another: the giver is the actor. Self-credit, the distinct-giver rule and
# ring detection apply to these.
PEER_KINDS: frozenset[str] = frozenset({"thanks", "curation"})
# What the feedback feature records: a report going public, staff acknowledging or planning it, and it shipping.
FEEDBACK_KINDS: tuple[str, ...] = ("feedback_given", "feedback_acknowledged", "feedback_shipped")
# Kinds a member may never receive from themselves (an asker marking their own reply as the solution…).
NO_SELF_CREDIT: frozenset[str] = PEER_KINDS | {"answer"}

DEFAULT_POINTS: Mapping[str, int] = MappingProxyType(
    {"answer": 10, "curation": 3, "creation": 8, "thanks": 2, "feedback_given": 5, "feedback_acknowledged": 3,
     "feedback_shipped": 10, "beta": 5}
)


@dataclass(frozen=True, slots=True)
class Season:
    """A season runs from ``starts_at`` (inclusive) to ``ends_at`` (exclusive)."""

    id: str
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 20:
            raise ValueError("a season id must be 1 to 20 characters")
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("season times must be aware UTC datetimes")
        if self.ends_at <= self.starts_at:
            raise ValueError(f"season {self.id} ends before it starts")

    def contains(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


# --------------------------------------------------------------------------- ladder


@dataclass(frozen=True, slots=True)
class Requirement:
    """Net credits of ``kinds`` (summed; ``("*",)`` = every kind) must reach ``count`` and ``points``."""

    kinds: tuple[str, ...]
    count: int = 0
    points: int = 0
    label: str = ""

    def progress(self, stats: Mapping[str, tuple[int, int]]) -> tuple[int, int]:
        """(points, count) of this requirement's kinds from ``{kind: (points, count)}`` (all time)."""
        if self.kinds == ("*",):
            return stats.get("*", (0, 0))
        points = sum(stats.get(k, (0, 0))[0] for k in self.kinds)
        count = sum(stats.get(k, (0, 0))[1] for k in self.kinds)
        return points, count

    def met(self, stats: Mapping[str, tuple[int, int]]) -> bool:
        points, count = self.progress(stats)
        return count >= self.count and points >= self.points

    def missing(self, stats: Mapping[str, tuple[int, int]]) -> str:
        """What is still needed, in words: "2 more answer credits", "40 more points"."""
        points, count = self.progress(stats)
        what = self.label or " or ".join(self.kinds)
        parts = []
        if count < self.count:
            n = self.count - count
            parts.append(f"{n} more {what} credit{'s' if n != 1 else ''}")
        if points < self.points:
            n = self.points - points
            noun = "points" if self.kinds == ("*",) else f"{what} points"
            parts.append(f"{n} more {noun}")
        return " and ".join(parts)


@dataclass(frozen=True, slots=True)
class Stage:
    """A ladder stage: every requirement in ``all_of`` and (when given) at least one of ``any_of``."""

    name: str
    all_of: tuple[Requirement, ...] = ()
    any_of: tuple[Requirement, ...] = ()

    def reached(self, stats: Mapping[str, tuple[int, int]]) -> bool:
        return all(r.met(stats) for r in self.all_of) and (
            not self.any_of or any(r.met(stats) for r in self.any_of)
        )

    def missing(self, stats: Mapping[str, tuple[int, int]]) -> list[str]:
        """Human descriptions of what is missing; an ``any_of`` group becomes one "x or y" item."""
        out = [r.missing(stats) for r in self.all_of if not r.met(stats)]
        if self.any_of and not any(r.met(stats) for r in self.any_of):
            out.append(" or ".join(r.missing(stats) for r in self.any_of))
        return out


def default_ladder(*, curator_min_points: int = 100, collaborator_min_answers: int = 5) -> tuple[Stage, ...]:
    """The contributor ladder, lowest first. A member's stage is the highest stage whose rules hold.

    ============  ===============================================================================
    consumer      everyone (no requirement)
    curator       ≥ 1 curation credit, or ≥ ``curator_min_points`` points in total (0 = no points route)
    creator       ≥ 1 creation credit
    collaborator  ≥ 1 feedback (given, acknowledged or shipped) or beta credit, and
                  ≥ ``collaborator_min_answers`` answer credits
    ============  ===============================================================================

    Counts are net (a reversed credit no longer counts) and all-time.
    """
    curator_routes: tuple[Requirement, ...] = (Requirement(("curation",), count=1, label="curation"),)
    if curator_min_points > 0:
        curator_routes += (Requirement(("*",), points=curator_min_points, label="points"),)
    return (
        Stage("consumer"),
        Stage("curator", any_of=curator_routes),
        Stage("creator", all_of=(Requirement(("creation",), count=1, label="creation"),)),
        Stage(
            "collaborator",
            all_of=(
                Requirement((*FEEDBACK_KINDS, "beta"), count=1, label="feedback or beta"),
                Requirement(("answer",), count=collaborator_min_answers, label="answer"),
            ),
        ),
    )


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class LedgerPolicy:
    """Everything the ledger needs to decide what a contribution is worth.

    - ``points``: default points per kind (a caller may pass explicit points to ``credit``).
    - ``daily_cap``: kind → max points one member may receive per UTC day; kinds absent = uncapped, and
      kinds in ``cap_exempt`` are never capped (answers by default: they are already moderated).
    - ``thanks_given_per_day``: how many thanks one member may give per UTC day (0 = unlimited).
    - ``thanks_pair_cooldown_hours``: minimum time between two thanks from the same giver to the same member.
    - ``distinct_givers_window_days`` + ``max_from_same_giver``: in peer-given kinds (thanks, curation) a
      member receives at most ``max_from_same_giver`` credits of a kind from the same giver per window
      (0 = no limit).
    - ``probation_days``: credit for members who joined fewer days ago is held as pending until the end
      of probation (0 = no probation).
    - ``season`` / ``seasons``: the current season id, or a calendar of seasons (which wins when given).
    - ``ladder``: the contributor stages, lowest first (see :func:`default_ladder`).
    - ``receipts``: whether ``credit`` returns a receipt sentence for the member.
    """

    points: Mapping[str, int] = field(default_factory=lambda: DEFAULT_POINTS)
    daily_cap: Mapping[str, int] = field(default_factory=dict)
    cap_exempt: frozenset[str] = frozenset({"answer"})
    thanks_given_per_day: int = 5
    thanks_pair_cooldown_hours: float = 24.0
    distinct_givers_window_days: int = 7
    max_from_same_giver: int = 2
    probation_days: int = 0
    season: str = ""
    seasons: tuple[Season, ...] = ()
    ladder: tuple[Stage, ...] = field(default_factory=default_ladder)
    receipts: bool = True

    def __post_init__(self) -> None:
        for name, mapping in (("points", self.points), ("daily_cap", self.daily_cap)):
            for kind, value in mapping.items():
                if kind not in KINDS:
                    raise ValueError(f"{name}: unknown contribution kind {kind!r}")
                if value < 0:
                    raise ValueError(f"{name}.{kind} must not be negative")
        if len(self.season) > 20:
            raise ValueError("a season id must be at most 20 characters")
        if not self.ladder:
            raise ValueError("the ladder needs at least one stage")
        ordered = sorted(self.seasons, key=lambda s: s.starts_at)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.starts_at < before.ends_at:
                raise ValueError(f"seasons {before.id} and {after.id} overlap")

    @classmethod
    def from_config(cls, guild_config: Any, **overrides: Any) -> LedgerPolicy:
        """Build from a ``GuildConfig`` (points and caps sections); other fields via ``overrides``."""
        caps = guild_config.caps
        values: dict[str, Any] = {
            "points": {kind: guild_config.points.for_kind(kind) for kind in KINDS},
            "daily_cap": dict(caps.points_per_kind_per_day),
            "thanks_given_per_day": caps.thanks_given_per_day,
            "max_from_same_giver": caps.thanks_received_from_same_giver_per_week,
            "distinct_givers_window_days": 7,
            "ladder": default_ladder(curator_min_points=caps.curator_min_points),
        }
        # Sections added later are optional, so a partial config object (tests, older callers) still works.
        if hasattr(caps, "thanks_pair_cooldown_hours"):
            values["thanks_pair_cooldown_hours"] = float(caps.thanks_pair_cooldown_hours)
        if hasattr(caps, "probation_days"):
            values["probation_days"] = caps.probation_days
        if hasattr(caps, "exempt_kinds"):
            values["cap_exempt"] = frozenset(caps.exempt_kinds)
        ledger = getattr(guild_config, "ledger", None)
        if ledger is not None:
            values["receipts"] = ledger.receipts != "off"
        seasons = getattr(guild_config, "seasons", None)
        if seasons:
            values["seasons"] = tuple(Season(s.id, s.starts, s.ends) for s in seasons)
        values.update(overrides)
        return cls(**values)

    def points_for(self, kind: str) -> int:
        return int(self.points.get(kind, DEFAULT_POINTS.get(kind, 0)))

    def cap_for(self, kind: str) -> int | None:
        if kind in self.cap_exempt:
            return None
        return self.daily_cap.get(kind)

    def season_for(self, now: datetime) -> str:
        """The season id at ``now``: from ``seasons`` when any are defined ('' between seasons), else ``season``."""
        if self.seasons:
            return next((s.id for s in self.seasons if s.contains(now)), "")
        return self.season

    def season_info(self, season_id: str) -> Season | None:
        return next((s for s in self.seasons if s.id == season_id), None)

    @property
    def pair_cooldown(self) -> timedelta:
        return timedelta(hours=self.thanks_pair_cooldown_hours)

    @property
    def giver_window(self) -> timedelta:
        return timedelta(days=self.distinct_givers_window_days)
