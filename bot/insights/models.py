"""The numbers behind each /stats chart: plain values, computed from database rows by pure functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

PeriodName = Literal["7d", "30d", "90d", "365d", "all"]
PERIODS: tuple[str, ...] = ("7d", "30d", "90d", "365d", "all")
Bucket = Literal["day", "week", "month"]


@dataclass(frozen=True, slots=True)
class Window:
    """``[start, end]`` (end = now, inclusive); ``bucket`` is the width of one bar of the time charts."""

    name: str
    start: datetime
    end: datetime
    bucket: Bucket

    @property
    def label(self) -> str:
        return "all time" if self.name == "all" else f"the last {self.name[:-1]} days"


@dataclass(frozen=True, slots=True)
class KindSeries:
    """Contributions per kind and bucket: ``counts[kind][i]`` belongs to ``buckets[i]`` (a bucket's first day).

    Counted: credits recorded in the window that were not reversed (whatever their points: capped and
    held credits are contributions too)."""

    window: Window
    buckets: list[date]
    counts: dict[str, list[int]]

    @property
    def totals(self) -> dict[str, int]:
        return {kind: sum(values) for kind, values in self.counts.items()}

    @property
    def total(self) -> int:
        return sum(self.totals.values())


@dataclass(frozen=True, slots=True)
class Conversion:
    """Of ``base`` members at ``stage`` when the window began, ``moved`` stood higher at its end."""

    stage: str
    base: int
    moved: int

    @property
    def rate(self) -> float | None:
        return self.moved / self.base if self.base else None


@dataclass(frozen=True, slots=True)
class Ladder:
    window: Window
    stages: list[str]
    now: dict[str, int]
    start: dict[str, int]
    conversions: list[Conversion]

    @property
    def members(self) -> int:
        return sum(self.now.values())


@dataclass(frozen=True, slots=True)
class BetaRow:
    beta_id: int
    name: str
    joined: int
    gave_feedback: int
    shipped: int


@dataclass(frozen=True, slots=True)
class BetaFunnel:
    """Betas announced in the window and, over their participants (members who ever joined):
    who gave feedback on the beta and whose feedback shipped."""

    window: Window
    announced: int
    joined: int
    gave_feedback: int
    shipped: int
    betas: list[BetaRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FeedbackStats:
    """Feedback created in the window by status; the first staff answer of each answered item."""

    window: Window
    by_status: dict[str, int]
    answered: int
    median_first_answer: timedelta | None

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True, slots=True)
class HelpStats:
    """Help posts opened in the window; ``solved`` have an accepted solution now; time to the first one."""

    window: Window
    posts: int
    solved: int
    median_time_to_solution: timedelta | None

    @property
    def rate(self) -> float | None:
        return self.solved / self.posts if self.posts else None


@dataclass(frozen=True, slots=True)
class Overview:
    window: Window
    kinds: KindSeries
    ladder: Ladder
    betas: BetaFunnel
    feedback: FeedbackStats
    help: HelpStats


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    at: datetime
    kind: str
    points: int
    total: int  # cumulative counted points after this entry


@dataclass(frozen=True, slots=True)
class MemberTimeline:
    guild_id: int
    user_id: int
    points: list[TimelinePoint]
    stage_changes: list[tuple[datetime, str]]
    by_kind: dict[str, int]
    feedback: int
    betas: int
    rewards: int

    @property
    def total(self) -> int:
        return self.points[-1].total if self.points else 0


Format = Literal["png", "svg"]


@dataclass(frozen=True, slots=True)
class Chart:
    """One rendered chart (made by :mod:`bot.insights.charts`; defined here so the bot process can
    receive charts from the renderer process without importing matplotlib)."""

    name: str  # file stem, e.g. "contributions"
    title: str
    data: bytes  # the image in ``format``: PNG for Discord attachments, SVG for the web dashboard
    summary: str
    format: Format = "png"

    @property
    def png(self) -> bytes:
        if self.format != "png":
            raise ValueError(f"chart {self.name!r} was rendered as {self.format}")
        return self.data

    @property
    def svg(self) -> str:
        if self.format != "svg":
            raise ValueError(f"chart {self.name!r} was rendered as {self.format}")
        return self.data.decode("utf-8")

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.format}"
