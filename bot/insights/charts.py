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

import matplotlib

matplotlib.use("Agg")  # before any other matplotlib import; the bot never opens a window

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
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

WIDTH, HEIGHT, DPI = 800, 450, 100
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


def _empty(ax: Axes, title: str, what: str) -> None:
    ax.set_title(title, parse_math=False)
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"No data yet\n{what}", parse_math=False, ha="center", va="center", fontsize=16, color="#666666",
            transform=ax.transAxes)


# --------------------------------------------------------------------------- the charts


def contributions_chart(series: KindSeries, fmt: Format = "png") -> Chart:
    win = series.window
    title = f"Contributions by kind, {win.label} (per {win.bucket})"
    fig, ax = _figure()
    totals = series.totals
    if series.total == 0:
        _empty(ax, title, f"no contributions in {win.label}")
        summary = f"Contributions, {win.label}: no data yet."
    else:
        x = list(range(len(series.buckets)))
        bottom = [0] * len(x)
        for kind, values in series.counts.items():
            if not any(values):
                continue
            ax.bar(x, values, bottom=bottom, label=kind, color=_COLOURS.get(kind), width=0.85)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        step = max(1, len(x) // 8)
        ax.set_xticks(x[::step], [d.isoformat() for d in series.buckets[::step]], rotation=30, ha="right",
                      fontsize=8)
        ax.set_ylabel("contributions")
        ax.set_title(title, parse_math=False)
        ax.legend(loc="upper left", fontsize=8)
        fig.subplots_adjust(bottom=0.2)
        busiest = max(range(len(x)), key=lambda i: bottom[i])
        parts = ", ".join(f"{k} {v}" for k, v in sorted(totals.items(), key=lambda kv: -kv[1]) if v)
        summary = (f"Contributions, {win.label}: {series.total} in total ({parts}). Busiest {win.bucket}: "
                   f"{series.buckets[busiest].isoformat()} with {bottom[busiest]}.")
    return _chart("contributions", title, fig, summary, fmt)


def ladder_chart(ladder: Ladder, fmt: Format = "png") -> Chart:
    win = ladder.window
    title = f"Engagement ladder: members per stage, start vs end of {win.label}"
    fig, ax = _figure()
    if ladder.members == 0:
        _empty(ax, title, "no members with contributions yet")
        summary = "Engagement ladder: no data yet."
    else:
        x = list(range(len(ladder.stages)))
        ax.bar([i - 0.2 for i in x], [ladder.start[s] for s in ladder.stages], width=0.4, label="start",
               color="#B0B7F5")
        bars = ax.bar([i + 0.2 for i in x], [ladder.now[s] for s in ladder.stages], width=0.4, label="now",
                      color=_ACCENT)
        ax.bar_label(bars, fontsize=8)
        ax.set_xticks(x, ladder.stages, parse_math=False)
        ax.set_ylabel("members")
        ax.set_title(title, parse_math=False)
        ax.legend(fontsize=8)
        moves = "; ".join(f"{c.stage} → higher: {c.moved} of {c.base} ({percent(c.rate)})" for c in ladder.conversions)
        ax.text(0.5, -0.12, moves, parse_math=False, ha="center", va="top", fontsize=8, transform=ax.transAxes,
                wrap=True)
        fig.subplots_adjust(bottom=0.2)
        stages = ", ".join(f"{s} {ladder.now[s]}" for s in ladder.stages)
        summary = f"Ladder now: {stages}. Conversion over {win.label}: {moves}."
    return _chart("ladder", title, fig, summary, fmt)


def betas_chart(funnel: BetaFunnel, fmt: Format = "png") -> Chart:
    win = funnel.window
    title = f"Beta funnel, {win.label}"
    fig, ax = _figure()
    if funnel.announced == 0:
        _empty(ax, title, f"no beta announced in {win.label}")
        summary = f"Beta funnel, {win.label}: no data yet (no beta announced)."
    else:
        labels = ["joined", "gave feedback", "feedback shipped"]
        values = [funnel.joined, funnel.gave_feedback, funnel.shipped]
        bars = ax.barh(labels[::-1], values[::-1], color=[_ACCENT, "#7983F5", "#B0B7F5"][::-1])
        ax.bar_label(bars, fontsize=9)
        ax.set_xlabel("members (per beta)")
        ax.set_title(f"{title}: {funnel.announced} beta(s) announced", parse_math=False)
        fig.subplots_adjust(left=0.2)
        summary = (f"Beta funnel, {win.label}: {funnel.announced} beta(s) announced, {funnel.joined} joined, "
                   f"{funnel.gave_feedback} gave feedback, {funnel.shipped} had feedback shipped.")
    return _chart("betas", title, fig, summary, fmt)


def feedback_chart(stats: FeedbackStats, fmt: Format = "png") -> Chart:
    win = stats.window
    title = f"Feedback by status, {win.label}"
    fig, ax = _figure()
    if stats.total == 0:
        _empty(ax, title, f"no feedback in {win.label}")
        summary = f"Feedback, {win.label}: no data yet."
    else:
        labels = [s.replace("_", " ") for s in stats.by_status]
        bars = ax.bar(labels, list(stats.by_status.values()), color=_ACCENT)
        ax.bar_label(bars, fontsize=9)
        ax.set_ylabel("items")
        ax.set_title(f"{title} (median first staff answer: {duration(stats.median_first_answer)})",
                     parse_math=False)
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
        fig.subplots_adjust(bottom=0.2)
        parts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in stats.by_status.items())
        summary = (f"Feedback, {win.label}: {stats.total} item(s) ({parts}). {stats.answered} answered by staff; "
                   f"median time to the first staff answer: {duration(stats.median_first_answer)}.")
    return _chart("feedback", title, fig, summary, fmt)


def help_chart(stats: HelpStats, fmt: Format = "png") -> Chart:
    win = stats.window
    title = f"Help posts answered, {win.label}"
    fig, ax = _figure()
    if stats.posts == 0:
        _empty(ax, title, f"no help posts in {win.label}")
        summary = f"Help posts, {win.label}: no data yet."
    else:
        values = [stats.solved, stats.posts - stats.solved]
        ax.pie(values, labels=[f"solved ({stats.solved})", f"open ({stats.posts - stats.solved})"],
               colors=[_ACCENT, "#D0D3DA"], startangle=90, counterclock=False,
               wedgeprops={"width": 0.4}, autopct=lambda p: f"{p:.0f}%" if p else "")
        ax.set_title(f"{title}: {percent(stats.rate)} (median time to solution: "
                     f"{duration(stats.median_time_to_solution)})", parse_math=False)
        ax.set_aspect("equal")
        summary = (f"Help posts, {win.label}: {stats.solved} of {stats.posts} have an accepted solution "
                   f"({percent(stats.rate)}); median time to solution: {duration(stats.median_time_to_solution)}.")
    return _chart("help", title, fig, summary, fmt)


def timeline_chart(tl: MemberTimeline, name: str, fmt: Format = "png") -> Chart:
    title = f"{name}: points over time"
    fig, ax = _figure()
    if not tl.points:
        _empty(ax, title, "no contributions recorded for this member")
        summary = f"{name}: no data yet."
    else:
        times = [p.at for p in tl.points]
        ax.step(times, [p.total for p in tl.points], where="post", color=_ACCENT)
        for at, stage in tl.stage_changes:
            ax.axvline(at, color="#999999", linestyle="--", linewidth=0.8)
            ax.text(at, ax.get_ylim()[1] * 0.95, f" {stage}", parse_math=False, fontsize=8, va="top")
        ax.set_ylabel("points (all time)")
        ax.set_title(title, parse_math=False)
        fig.autofmt_xdate()
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(tl.by_kind.items(), key=lambda kv: -kv[1]))
        stages = ", ".join(f"{s} on {at.date().isoformat()}" for at, s in tl.stage_changes) or "none"
        summary = (f"{name}: {tl.total} points from {len(tl.points)} ledger entries ({kinds}); first on "
                   f"{times[0].date().isoformat()}, latest on {times[-1].date().isoformat()}. Stages reached: "
                   f"{stages}. Feedback filed: {tl.feedback}; betas joined: {tl.betas}; rewards received: "
                   f"{tl.rewards}.")
    return _chart("timeline", title, fig, summary, fmt)


def render_overview(overview: Overview, fmt: Format = "png") -> list[Chart]:
    """All /stats charts (PNG; SVG for the web dashboard); CPU-bound, so call it in a worker thread."""
    return [
        contributions_chart(overview.kinds, fmt),
        ladder_chart(overview.ladder, fmt),
        betas_chart(overview.betas, fmt),
        feedback_chart(overview.feedback, fmt),
        help_chart(overview.help, fmt),
    ]


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; raises ValueError if it isn't a PNG."""
    if png[:8] != PNG_SIGNATURE or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
