"""The engagement ladder as migration 0011 replays it: a frozen copy of the application's code of that time.

Copied from ``bot.services.ledger.policy`` (:class:`Requirement`, :class:`Stage`, :func:`default_ladder`) and
``bot.services.ledger.stages`` (:func:`ladder_key`, :func:`counted_at`, :class:`CompiledLadder`,
:func:`replay`), keeping only what the replay reads. The class names and fields stay those of the
application, so :func:`ladder_key` of this default ladder is the key the application computes for its own
default ladder (the application rebuilds a guild's stages whenever the stored key differs from its
configured ladder's, so a later change of the application's ladder is caught there, not here).

Do not change this module: it is history. ``tests/migrations`` checks that it replays as the application does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ALL = "*"
# ``bot.config.CONTRIBUTION_KINDS`` at revision 0011.
KINDS: tuple[str, ...] = ("answer", "curation", "creation", "thanks", "feedback_given", "feedback_acknowledged",
                          "feedback_shipped", "beta")
FEEDBACK_KINDS: tuple[str, ...] = ("feedback_given", "feedback_acknowledged", "feedback_shipped")


@dataclass(frozen=True, slots=True)
class Requirement:
    """Net credits of ``kinds`` (summed; ``("*",)`` = every kind) must reach ``count`` and ``points``."""

    kinds: tuple[str, ...]
    count: int = 0
    points: int = 0
    label: str = ""


@dataclass(frozen=True, slots=True)
class Stage:
    """A ladder stage: every requirement in ``all_of`` and (when given) at least one of ``any_of``."""

    name: str
    all_of: tuple[Requirement, ...] = ()
    any_of: tuple[Requirement, ...] = ()


def default_ladder(*, curator_min_points: int = 100, collaborator_min_answers: int = 5) -> tuple[Stage, ...]:
    """The contributor ladder, lowest first: consumer, curator, creator, collaborator."""
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


def ladder_key(ladder: Sequence[Stage]) -> str:
    """A short key of the ladder's rules (names, requirements): equal ladders give equal keys."""
    return hashlib.sha256(repr(tuple(ladder)).encode()).hexdigest()[:32]


def counted_at(created_at: datetime, held_until: datetime | None) -> datetime:
    """When a counted row entered the totals: at creation, or when its probation hold ended."""
    return max(created_at, held_until) if held_until is not None else created_at


@dataclass(frozen=True, slots=True)
class Replayed:
    stage: int
    since: datetime
    moves: list[tuple[int, int, datetime]]  # (from, to, at), oldest first


class CompiledLadder:
    """The ladder as index lists, for replaying many rows: each row updates the running totals of only the
    requirements its kind feeds, and the stage is re-evaluated only when one of them flips."""

    def __init__(self, ladder: Sequence[Stage]) -> None:
        reqs: list[Requirement] = []
        for stage in ladder:
            for req in (*stage.all_of, *stage.any_of):
                if req not in reqs:
                    reqs.append(req)
        self.reqs = reqs
        self.every = tuple(i for i, r in enumerate(reqs) if r.kinds == (ALL,))
        self.by_kind = {kind: tuple(i for i, r in enumerate(reqs) if r.kinds == (ALL,) or kind in r.kinds)
                        for kind in {k for r in reqs for k in r.kinds} | set(KINDS)}
        self.stages = [(tuple(reqs.index(r) for r in s.all_of), tuple(reqs.index(r) for r in s.any_of))
                       for s in ladder]

    def stage(self, met: Sequence[bool]) -> int:
        best = 0
        for i, (all_of, any_of) in enumerate(self.stages):
            if all(met[j] for j in all_of) and (not any_of or any(met[j] for j in any_of)):
                best = i
        return best


def replay(ladder: Sequence[Stage] | CompiledLadder, rows: Iterable[tuple[str, int, bool, Any]]) -> Replayed | None:
    """One member's stage history from their counted rows ``(kind, points, is_reversal, counted_at)`` in the
    order they were counted; ``None`` without rows. (Times are passed through as given.)"""
    lad = ladder if isinstance(ladder, CompiledLadder) else CompiledLadder(ladder)
    n = len(lad.reqs)
    points, counts = [0] * n, [0] * n
    met = [r.count <= 0 and r.points <= 0 for r in lad.reqs]
    stage = 0  # a member's first counted row moves them from the lowest stage
    since, moves, seen = None, [], False
    for kind, pts, is_reversal, at in rows:
        step = -1 if is_reversal else 1
        flipped = False
        for j in lad.by_kind.get(kind, lad.every):
            points[j] += pts
            counts[j] += step
            req = lad.reqs[j]
            now_met = counts[j] >= req.count and points[j] >= req.points
            if now_met != met[j]:
                met[j] = now_met
                flipped = True
        if not seen:
            seen, since, flipped = True, at, True
        if flipped:
            now = lad.stage(met)
            if now != stage:
                moves.append((stage, now, at))
                stage, since = now, at
    if not seen:
        return None
    return Replayed(stage, since, moves)
