"""PNG charts of the insights, with a short text summary each (for screen readers and quick reading).

matplotlib's object-oriented API on the Agg canvas only: no pyplot, no global state, so rendering is safe
in a worker thread (callers use ``asyncio.to_thread(render_overview, ...)``). Every chart is WIDTH×HEIGHT
pixels. A chart with nothing to show says "No data yet" instead of drawing empty axes.

Every text drawn passes ``parse_math=False``: titles carry member nicks, stage and beta names, and
matplotlib would read ``$…$`` in them as mathtext (a nick like ``$\\frac{$`` raises ValueError).
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before any other matplotlib import; the bot never opens a window

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.insights.models import (
    BetaFunnel,
    Chart,
    FeedbackStats,
    Format,
    HelpStats,
    KindSeries,
    Ladder,
    MemberTimeline,
    Overview,
)
from bot.platform import i18n  # noqa: E402
from bot.platform.i18n import N_, Translator  # noqa: E402

WIDTH, HEIGHT, DPI = 800, 450, 100
BUCKETS = {"day": N_("day"), "week": N_("week"), "month": N_("month")}
# The kinds and statuses as the charts name them (the same messages as the profile's and the feedback posts').
KINDS = {"answer": N_("answer"), "thanks": N_("thanks"), "curation": N_("curation"), "creation": N_("creation"),
         "feedback_given": N_("feedback_given"), "feedback_acknowledged": N_("feedback_acknowledged"),
         "feedback_shipped": N_("feedback_shipped"), "beta": N_("beta")}
STATUSES = {"pending_review": N_("pending review"), "new": N_("new"), "acknowledged": N_("acknowledged"),
            "planned": N_("planned"), "in_progress": N_("in progress"), "shipped": N_("shipped"),
            "declined": N_("declined"), "duplicate": N_("duplicate"), "rejected": N_("rejected")}


def window_label(win: Any, tr: Translator) -> str:
    """The window as the charts say it ("the last 30 days", "all time"), in ``tr``'s language."""
    if win.name == "all":
        return tr("all time")
    return tr.ngettext("the last {count} day", "the last {count} days", int(win.name[:-1]))


def _kind(kind: str, tr: Translator) -> str:
    return tr(KINDS[kind]) if kind in KINDS else kind


def _status(status: str, tr: Translator) -> str:
    return tr(STATUSES[status]) if status in STATUSES else status.replace("_", " ")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOURS = {"answer": "#4C72B0", "curation": "#DD8452", "creation": "#55A868", "thanks": "#C44E52",
            "feedback_given": "#8172B3", "feedback_acknowledged": "#DA8BC3", "feedback_shipped": "#64B5CD",
            "beta": "#937860"}
_ACCENT = "#5865F2"


def duration(value: timedelta | None) -> str:
    """``3 h 20 min``, ``2 d 4 h``, ``45 s``; ``n/a`` for none."""
    if value is None:
        return "n/a"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    return fig, ax


def _save(fig: Figure, fmt: Format) -> bytes:
    buf = io.BytesIO()
    # no bbox_inches="tight": the size stays WIDTH×HEIGHT. SVG: no timestamp/metadata, text as paths.
    fig.savefig(buf, format=fmt, dpi=DPI, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def _chart(name: str, title: str, fig: Figure, summary: str, fmt: Format) -> Chart:
    return Chart(name, title, _save(fig, fmt), summary, fmt)


def _empty(ax: Axes, title: str, what: str, tr: Translator | None = None) -> None:
    tr = tr or i18n.translator(None)
    ax.set_title(title, parse_math=False)
    ax.set_axis_off()
    ax.text(0.5, 0.5, tr("No data yet") + f"\n{what}", parse_math=False, ha="center", va="center", fontsize=16,
            color="#666666", transform=ax.transAxes)


def _stacked_bars(ax: Axes, series: dict[str, tuple[list[int], str | None]], width: float = 0.85) -> list[int]:
    """Bars stacked per bucket (bucket ``i`` at x = ``i``), one layer per label, bottom to top in order; returns
    each bucket's total. Each layer is one PolyCollection of its rectangles: ``Axes.bar`` makes a patch per bar
    and updates the axes' limits for each, which was most of the chart's time (240 patches for 30 days of eight
    kinds, 840 for two years of weeks). Layers with nothing in them are left out (and out of the legend)."""
    count = len(next(iter(series.values()))[0]) if series else 0
    bottom = [0] * count
    half = width / 2
    for label, (values, colour) in series.items():
        if not any(values):
            continue
        rects = [((i - half, b), (i + half, b), (i + half, b + v), (i - half, b + v))
                 for i, (b, v) in enumerate(zip(bottom, values, strict=True)) if v]
        ax.add_collection(PolyCollection(rects, facecolors=colour, edgecolors="none", label=label), autolim=False)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    # the limits once, from the stack's extent (what autoscaling every rectangle would give), bars standing on 0
    ax.set_xlim(-half - 0.05 * (count - 1 + width), count - 1 + half + 0.05 * (count - 1 + width))
    ax.set_ylim(0, max(bottom, default=0) * 1.05 or 1)
    return bottom


# --------------------------------------------------------------------------- the charts


def contributions_chart(series: KindSeries, fmt: Format = "png", lang: str = i18n.DEFAULT) -> Chart:
    tr = i18n.translator(lang)
    win = series.window
    label, bucket = window_label(win, tr), tr(BUCKETS.get(win.bucket, win.bucket))
    title = tr("Contributions by kind, {window} (per {bucket})", window=label, bucket=bucket)
    fig, ax = _figure()
    totals = series.totals
    if series.total == 0:
        _empty(ax, title, tr("no contributions in {window}", window=label), tr)
        summary = tr("Contributions, {window}: no data yet.", window=label)
    else:
        x = list(range(len(series.buckets)))
        bottom = _stacked_bars(ax, {_kind(kind, tr): (values, _COLOURS.get(kind)) for kind, values in
                                    series.counts.items()})
        step = max(1, len(x) // 8)
        ax.set_xticks(x[::step], [d.isoformat() for d in series.buckets[::step]], rotation=30, ha="right",
                      fontsize=8)
        ax.set_ylabel(tr("contributions"))
        ax.set_title(title, parse_math=False)
        ax.legend(loc="upper left", fontsize=8)
        fig.subplots_adjust(bottom=0.2)
        busiest = max(range(len(x)), key=lambda i: bottom[i])
        parts = ", ".join(f"{_kind(k, tr)} {v}" for k, v in sorted(totals.items(), key=lambda kv: -kv[1]) if v)
        summary = tr("Contributions, {window}: {total} in total ({parts}). Busiest {bucket}: {busiest} with "
                     "{count}.", window=label, total=series.total, parts=parts, bucket=bucket,
                     busiest=series.buckets[busiest].isoformat(), count=bottom[busiest])
    return _chart("contributions", title, fig, summary, fmt)


def ladder_chart(ladder: Ladder, fmt: Format = "png", lang: str = i18n.DEFAULT) -> Chart:
    tr = i18n.translator(lang)
    win = ladder.window
    label = window_label(win, tr)
    title = tr("Engagement ladder: members per stage, start vs end of {window}", window=label)
    fig, ax = _figure()
    if ladder.members == 0:
        _empty(ax, title, tr("no members with contributions yet"), tr)
        summary = tr("Engagement ladder: no data yet.")
    else:
        x = list(range(len(ladder.stages)))
        ax.bar([i - 0.2 for i in x], [ladder.start[s] for s in ladder.stages], width=0.4, label=tr("start"),
               color="#B0B7F5")
        bars = ax.bar([i + 0.2 for i in x], [ladder.now[s] for s in ladder.stages], width=0.4, label=tr("now"),
                      color=_ACCENT)
        ax.bar_label(bars, fontsize=8)
        ax.set_xticks(x, ladder.stages, parse_math=False)
        ax.set_ylabel(tr("members"))
        ax.set_title(title, parse_math=False)
        ax.legend(fontsize=8)
        moves = "; ".join(tr("{stage} → higher: {moved} of {base} ({rate})", stage=c.stage, moved=c.moved, base=c.base,
                             rate=percent(c.rate)) for c in ladder.conversions)
        ax.text(0.5, -0.12, moves, parse_math=False, ha="center", va="top", fontsize=8, transform=ax.transAxes,
                wrap=True)
        fig.subplots_adjust(bottom=0.2)
        stages = ", ".join(f"{s} {ladder.now[s]}" for s in ladder.stages)
        summary = tr("Ladder now: {stages}. Conversion over {window}: {moves}.", stages=stages, window=label,
                     moves=moves)
    return _chart("ladder", title, fig, summary, fmt)


def betas_chart(funnel: BetaFunnel, fmt: Format = "png", lang: str = i18n.DEFAULT) -> Chart:
    tr = i18n.translator(lang)
    win = funnel.window
    label = window_label(win, tr)
    title = tr("Beta funnel, {window}", window=label)
    fig, ax = _figure()
    if funnel.announced == 0:
        _empty(ax, title, tr("no beta announced in {window}", window=label), tr)
        summary = tr("Beta funnel, {window}: no data yet (no beta announced).", window=label)
    else:
        labels = [tr("joined"), tr("gave feedback"), tr("feedback shipped")]
        values = [funnel.joined, funnel.gave_feedback, funnel.shipped]
        bars = ax.barh(labels[::-1], values[::-1], color=[_ACCENT, "#7983F5", "#B0B7F5"][::-1])
        ax.bar_label(bars, fontsize=9)
        ax.set_xlabel(tr("members (per beta)"))
        ax.set_title(tr("{title}: {announced} beta(s) announced", title=title, announced=funnel.announced),
                     parse_math=False)
        fig.subplots_adjust(left=0.2)
        summary = tr("Beta funnel, {window}: {announced} beta(s) announced, {joined} joined, {gave_feedback} gave "
                     "feedback, {shipped} had feedback shipped.", window=label, announced=funnel.announced,
                     joined=funnel.joined, gave_feedback=funnel.gave_feedback, shipped=funnel.shipped)
    return _chart("betas", title, fig, summary, fmt)


def feedback_chart(stats: FeedbackStats, fmt: Format = "png", lang: str = i18n.DEFAULT) -> Chart:
    tr = i18n.translator(lang)
    win = stats.window
    label = window_label(win, tr)
    title = tr("Feedback by status, {window}", window=label)
    fig, ax = _figure()
    if stats.total == 0:
        _empty(ax, title, tr("no feedback in {window}", window=label), tr)
        summary = tr("Feedback, {window}: no data yet.", window=label)
    else:
        labels = [_status(s, tr) for s in stats.by_status]
        bars = ax.bar(labels, list(stats.by_status.values()), color=_ACCENT)
        ax.bar_label(bars, fontsize=9)
        ax.set_ylabel(tr("items"))
        ax.set_title(tr("{title} (median first staff answer: {median})", title=title,
                        median=duration(stats.median_first_answer)), parse_math=False)
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
        fig.subplots_adjust(bottom=0.2)
        parts = ", ".join(f"{_status(k, tr)} {v}" for k, v in stats.by_status.items())
        summary = tr("Feedback, {window}: {total} item(s) ({parts}). {answered} answered by staff; median time "
                     "to the first staff answer: {median}.", window=label, total=stats.total, parts=parts,
                     answered=stats.answered, median=duration(stats.median_first_answer))
    return _chart("feedback", title, fig, summary, fmt)


def help_chart(stats: HelpStats, fmt: Format = "png", lang: str = i18n.DEFAULT) -> Chart:
    tr = i18n.translator(lang)
    win = stats.window
    label = window_label(win, tr)
    title = tr("Help posts answered, {window}", window=label)
    fig, ax = _figure()
    if stats.posts == 0:
        _empty(ax, title, tr("no help posts in {window}", window=label), tr)
        summary = tr("Help posts, {window}: no data yet.", window=label)
    else:
        values = [stats.solved, stats.posts - stats.solved]
        ax.pie(values, labels=[tr("solved ({count})", count=stats.solved),
                               tr("open ({count})", count=stats.posts - stats.solved)],
               colors=[_ACCENT, "#D0D3DA"], startangle=90, counterclock=False,
               wedgeprops={"width": 0.4}, autopct=lambda p: f"{p:.0f}%" if p else "")
        ax.set_title(tr("{title}: {rate} (median time to solution: {median})", title=title, rate=percent(stats.rate),
                        median=duration(stats.median_time_to_solution)), parse_math=False)
        ax.set_aspect("equal")
        summary = tr("Help posts, {window}: {solved} of {posts} have an accepted solution ({rate}); median time to "
                     "solution: {median}.", window=label, solved=stats.solved, posts=stats.posts,
                     rate=percent(stats.rate), median=duration(stats.median_time_to_solution))
    return _chart("help", title, fig, summary, fmt)


def timeline_chart(tl: MemberTimeline, name: str, fmt: Format = "png", lang: str = i18n.DEFAULT) -> Chart:
    tr = i18n.translator(lang)
    title = tr("{name}: points over time", name=name)
    fig, ax = _figure()
    if not tl.points:
        _empty(ax, title, tr("no contributions recorded for this member"), tr)
        summary = tr("{name}: no data yet.", name=name)
    else:
        times = [p.at for p in tl.points]
        ax.step(times, [p.total for p in tl.points], where="post", color=_ACCENT)
        for at, stage in tl.stage_changes:
            ax.axvline(at, color="#999999", linestyle="--", linewidth=0.8)
            ax.text(at, ax.get_ylim()[1] * 0.95, f" {stage}", parse_math=False, fontsize=8, va="top")
        ax.set_ylabel(tr("points (all time)"))
        ax.set_title(title, parse_math=False)
        fig.autofmt_xdate()
        kinds = ", ".join(f"{_kind(k, tr)} {v}" for k, v in sorted(tl.by_kind.items(), key=lambda kv: -kv[1]))
        stages = ", ".join(tr("{stage} on {date}", stage=s, date=at.date().isoformat())
                           for at, s in tl.stage_changes) or tr("none")
        summary = tr("{name}: {total} points from {entries} ledger entries ({kinds}); first on {first}, latest on "
                     "{latest}. Stages reached: {stages}. Feedback filed: {feedback}; betas joined: {betas}; "
                     "rewards received: {rewards}.", name=name, total=tl.total, entries=len(tl.points), kinds=kinds,
                     first=times[0].date().isoformat(), latest=times[-1].date().isoformat(), stages=stages,
                     feedback=tl.feedback, betas=tl.betas, rewards=tl.rewards)
    return _chart("timeline", title, fig, summary, fmt)


def render_overview(overview: Overview, fmt: Format = "png", lang: str = i18n.DEFAULT) -> list[Chart]:
    """All /stats charts (PNG; SVG for the web dashboard); CPU-bound, so call it in a worker thread."""
    return [
        contributions_chart(overview.kinds, fmt, lang),
        ladder_chart(overview.ladder, fmt, lang),
        betas_chart(overview.betas, fmt, lang),
        feedback_chart(overview.feedback, fmt, lang),
        help_chart(overview.help, fmt, lang),
    ]


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; raises ValueError if it isn't a PNG."""
    if png[:8] != PNG_SIGNATURE or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
