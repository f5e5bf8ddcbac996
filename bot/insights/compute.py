"""Pure functions: database rows in, the numbers of each chart out. No I/O, so tests assert them exactly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from bot.insights.models import (
    BetaFunnel,
    BetaRow,
    Bucket,
    Conversion,
    FeedbackStats,
    HelpStats,
    KindSeries,
    Ladder,
    MemberTimeline,
    TimelinePoint,
    Window,
)
from bot.ledger import KINDS, Stage

_DAYS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
FEEDBACK_STATUSES: tuple[str, ...] = ("pending_review", "new", "acknowledged", "planned", "in_progress", "shipped",
                                      "declined", "duplicate", "rejected")


# --------------------------------------------------------------------------- time


def bucket_for(span: timedelta) -> Bucket:
    if span <= timedelta(days=31):
        return "day"
    if span <= timedelta(days=400):
        return "week"
    return "month"


def window(name: str, now: datetime, first_entry: datetime | None = None) -> Window:
    """The window of a period name ending ``now``. ``all`` starts at the first entry's day (or 30 days ago)."""
    if name == "all":
        start = first_entry or now - timedelta(days=30)
        start = datetime.combine(start.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    else:
        start = now - timedelta(days=_DAYS[name])
    return Window(name, start, now, bucket_for(now - start))


def bucket_start(day: date, bucket: Bucket) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def buckets(win: Window) -> list[date]:
    first = bucket_start(win.start.astimezone(UTC).date(), win.bucket)
    last = bucket_start(win.end.astimezone(UTC).date(), win.bucket)
    out, day = [], first
    while day <= last:
        out.append(day)
        if win.bucket == "day":
            day += timedelta(days=1)
        elif win.bucket == "week":
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def kinds_over_time(win: Window, per_day: Iterable[tuple[date, str, int]]) -> KindSeries:
    """``per_day``: (UTC day, kind, contributions) rows, bucketed into the window's bars."""
    days = buckets(win)
    index = {d: i for i, d in enumerate(days)}
    counts = {kind: [0] * len(days) for kind in KINDS}
    for day, kind, n in per_day:
        slot = index.get(bucket_start(day, win.bucket))
        if slot is not None and kind in counts:
            counts[kind][slot] += int(n)
    return KindSeries(win, days, counts)


# --------------------------------------------------------------------------- ladder


def ladder(
    win: Window,
    stages: Sequence[Stage],
    now_counts: Mapping[int, int],
    moves: Iterable[tuple[int, int, int]],
    extra_consumers: int = 0,
) -> Ladder:
    """``now_counts``: members with ledger totals per stage index now; ``moves``: (stage at the window's start,
    stage now, members) over members whose stage changed in the window; ``extra_consumers``: known members with
    no ledger totals at all."""
    names = [s.name for s in stages]
    now = dict.fromkeys(names, 0)
    for stage, n in now_counts.items():
        now[names[stage]] += int(n)
    now[names[0]] += extra_consumers
    start = dict(now)
    moved_from = dict.fromkeys(names, 0)
    for before, after, n in moves:
        start[names[after]] -= int(n)
        start[names[before]] += int(n)
        if after > before:
            moved_from[names[before]] += int(n)
    conversions = [Conversion(name, start[name], moved_from[name]) for name in names[:-1]]
    return Ladder(win, names, now, start, conversions)


# --------------------------------------------------------------------------- betas, feedback, help


def beta_funnel(
    win: Window,
    betas: Iterable[tuple[int, str]],
    participants: Iterable[tuple[int, int]],
    feedback: Iterable[tuple[int, int, str]],
) -> BetaFunnel:
    """``betas``: (id, name) announced in the window; ``participants``: (beta id, member) who ever joined;
    ``feedback``: (beta id, reporter, status) of feedback filed on those betas."""
    people: dict[int, set[int]] = {}
    for beta_id, user_id in participants:
        people.setdefault(beta_id, set()).add(user_id)
    gave: dict[int, set[int]] = {}
    shipped: dict[int, set[int]] = {}
    for beta_id, reporter, status in feedback:
        if reporter in people.get(beta_id, ()):
            gave.setdefault(beta_id, set()).add(reporter)
            if status == "shipped":
                shipped.setdefault(beta_id, set()).add(reporter)
    rows = [BetaRow(bid, name, len(people.get(bid, ())), len(gave.get(bid, ())), len(shipped.get(bid, ())))
            for bid, name in betas]
    return BetaFunnel(win, len(rows), sum(r.joined for r in rows), sum(r.gave_feedback for r in rows),
                      sum(r.shipped for r in rows), rows)


def feedback_stats(win: Window, by_status: Mapping[str, int], answered: int,
                   median_first_answer: timedelta | None) -> FeedbackStats:
    """Feedback created in the window: items per status, how many staff answered, the median wait for that
    answer (counted in SQL, ``bot.insights.store.feedback_summary``)."""
    counts = dict.fromkeys(FEEDBACK_STATUSES, 0)
    for status, n in by_status.items():
        counts[status] = counts.get(status, 0) + int(n)
    return FeedbackStats(win, {k: v for k, v in counts.items() if v}, answered, median_first_answer)


def help_stats(win: Window, posts: int, solved: int, median_time_to_solution: timedelta | None) -> HelpStats:
    """Help posts opened in the window, those with an accepted solution now, and the median time from opening to
    the first accepted solution (``bot.insights.store.help_summary``)."""
    return HelpStats(win, posts, solved, median_time_to_solution)


# --------------------------------------------------------------------------- one member


def timeline(
    guild_id: int,
    user_id: int,
    stages: Sequence[Stage],
    entries: Iterable[tuple[datetime, str, int, bool]],
    *,
    feedback: int = 0,
    betas: int = 0,
    rewards: int = 0,
) -> MemberTimeline:
    """``entries``: (time, kind, points, is_reversal) of the member's counted ledger rows, oldest first."""
    stats: dict[str, tuple[int, int]] = {}
    total = 0
    points: list[TimelinePoint] = []
    changes: list[tuple[datetime, str]] = []
    stage = 0
    for at, kind, pts, is_reversal in entries:
        step = -1 if is_reversal else 1
        for key in (kind, "*"):
            p, c = stats.get(key, (0, 0))
            stats[key] = (p + pts, c + step)
        total += pts
        points.append(TimelinePoint(at, kind, pts, total))
        reached = max((i for i, s in enumerate(stages) if s.reached(stats)), default=0)
        if reached != stage:
            changes.append((at, stages[reached].name))
            stage = reached
    by_kind = {k: stats.get(k, (0, 0))[0] for k in KINDS if k in stats}
    return MemberTimeline(guild_id, user_id, points, changes, by_kind, feedback, betas, rewards)
