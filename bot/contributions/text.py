"""How profiles, receipts and leaderboards read (pure functions; the cog supplies channel names)."""

from __future__ import annotations

from bot.ledger import LedgerPolicy, Profile, Receipt
from bot.ledger.explain import plural, ts
from bot.platform import markdown
from bot.platform.i18n import N_, Translator, translator
from bot.rewards import NextReward, RewardProgress

_DONE_BY = {
    "answer": N_("accepted by {member}"),
    "thanks": N_("from {member}"),
    "curation": N_("for featuring a post by {member}"),
    "creation": N_("by {member}"),
    "feedback_given": N_("recorded by {member}"),
    "feedback_acknowledged": N_("heard by {member}"),
    "feedback_shipped": N_("shipped by {member}"),
    "beta": N_("recorded by {member}"),
}
# How a contribution kind reads to members (the key itself in English, as the slash options name it).
KIND_LABELS = {
    "answer": N_("answer"),
    "thanks": N_("thanks"),
    "curation": N_("curation"),
    "creation": N_("creation"),
    "feedback_given": N_("feedback_given"),
    "feedback_acknowledged": N_("feedback_acknowledged"),
    "feedback_shipped": N_("feedback_shipped"),
    "beta": N_("beta"),
}


def progress_bar(fraction: float, width: int = 10) -> str:
    """``▰▰▰▱▱▱▱▱▱▱ 30%``."""
    fraction = min(max(fraction, 0.0), 1.0)
    filled = round(fraction * width)
    return "▰" * filled + "▱" * (width - filled) + f" {round(fraction * 100)}%"


def _stats(profile: Profile) -> dict[str, tuple[int, int]]:
    stats = {k: (profile.points_by_kind[k], profile.counts_by_kind[k]) for k in profile.points_by_kind}
    stats["*"] = (profile.total_points, sum(profile.counts_by_kind.values()))
    return stats


def _requirement_fraction(req, stats: dict[str, tuple[int, int]]) -> float:  # type: ignore[no-untyped-def]
    points, count = req.progress(stats)
    parts = []
    if req.count:
        parts.append(min(count / req.count, 1.0))
    if req.points:
        parts.append(min(points / req.points, 1.0))
    return min(parts) if parts else 1.0


def stage_progress(policy: LedgerPolicy, profile: Profile) -> float:
    """How far the member is towards the next ladder stage, 0..1 (1 when at the top)."""
    if profile.next_stage is None:
        return 1.0
    stage = next(s for s in policy.ladder if s.name == profile.next_stage)
    stats = _stats(profile)
    parts = [_requirement_fraction(r, stats) for r in stage.all_of]
    if stage.any_of:
        parts.append(max(_requirement_fraction(r, stats) for r in stage.any_of))
    return sum(parts) / len(parts) if parts else 1.0


def next_reward_text(nxt: NextReward, tr: Translator | None = None) -> str | None:
    """The "Next reward" field of ``/profile``; ``None`` when the guild has no threshold rewards (no field).

    ``**helper** — role @Helper, a code from storage`` / ``2/3 answer credits ▰▰▰▰▰▰▰▱▱▱ 67%`` /
    ``1 more answer credit to go``. Names the reward and its perk pool, never a code."""
    if nxt.state == "none":
        return None
    tr = tr or translator()
    if nxt.state == "all_earned":
        return tr("All rewards earned 🎉")
    if nxt.state == "none_left" or nxt.progress is None:
        return tr("No reward left that you can earn right now.")
    p = nxt.progress
    gives = p.gives_in(tr)
    head = f"**{p.rule}**" + (" " + tr("(again)") if p.again else "") + (f" — {gives}" if gives else "")
    return f"{head}\n{_progress_line(p, tr)} {progress_bar(p.fraction)}\n{_to_go(p, tr)}"[:1024]


def _progress_line(p: RewardProgress, tr: Translator) -> str:
    """``2/3 answer credits``, ``40/100 points this season``, in ``tr``'s language."""
    if p.kind is not None:
        return tr.ngettext("{current}/{count} {kind} credit", "{current}/{count} {kind} credits", p.target,
                           current=tr.number(p.current), kind=_kind(p.kind, tr))
    if p.window_days:
        return tr.ngettext("{current}/{count} point within {days} days", "{current}/{count} points within {days} days",
                           p.target, current=tr.number(p.current), days=tr.number(p.window_days))
    if p.season:
        return tr.ngettext("{current}/{count} point this season", "{current}/{count} points this season", p.target,
                           current=tr.number(p.current))
    return tr.ngettext("{current}/{count} point", "{current}/{count} points", p.target, current=tr.number(p.current))


def _to_go(p: RewardProgress, tr: Translator) -> str:
    """``1 more answer credit to go`` (or reached: it comes with the next credit)."""
    n = p.remaining
    if not n:
        if p.kind is not None:
            return tr("Reached: it comes with your next {kind} credit", kind=_kind(p.kind, tr))
        return tr("Reached: it comes with your next credit")
    if p.kind is not None:
        kind = _kind(p.kind, tr)  # (apart: pybabel reads a ``tr`` inside the call as a new message)
        return tr.ngettext("{count} more {kind} credit to go", "{count} more {kind} credits to go", n, kind=kind)
    if p.window_days:
        return tr.ngettext("{count} more point within {days} days to go", "{count} more points within {days} days to go",
                           n, days=tr.number(p.window_days))
    if p.season:
        return tr.ngettext("{count} more point this season to go", "{count} more points this season to go", n)
    return tr.ngettext("{count} more point to go", "{count} more points to go", n)


def _kind(kind: str, tr: Translator) -> str:
    return tr(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def receipt_line(r: Receipt, *, channel: str | None = None, thread: str | None = None,
                 tr: Translator | None = None) -> str:
    """``+10 answer in #help 'sync fails', accepted by <@x>`` (with the entry's state when not counted).

    ``channel`` is the channel or forum name, ``thread`` the post title when known (else the title recorded
    with the entry, or for a reversal with the entry it reverses: a reversal's reason is never a title)."""
    tr = tr or translator()
    title = thread or r.title
    title = markdown.inline(title) or None  # post titles and reasons are member text: never markup or links
    kind = tr(KIND_LABELS[r.kind]) if r.kind in KIND_LABELS else r.kind
    where = ""
    if channel:
        where = " " + (tr("in #{channel} '{title}'", channel=markdown.inline(channel), title=title) if title
                       else tr("in #{channel}", channel=markdown.inline(channel)))
    elif r.thread_id or r.channel_id:
        where = " " + tr("in {channel}", channel=f"<#{r.thread_id or r.channel_id}>")
    if r.status == "reversal":
        why = " — " + tr("reason: {reason}", reason=markdown.inline(r.reason)) if r.reason else ""
        by = member(r.actor_id, tr) if r.actor_id else tr("the system")
        return f"{r.points:+d} {kind}{where}, " + tr("reversed by {member}", member=by) + f"{why} ({ts(r.created_at, 'd')})"
    by = ", " + tr(_DONE_BY.get(r.kind, N_("by {member}")), member=member(r.actor_id, tr)) if r.actor_id else ""
    said = f" — “{markdown.inline(r.reason)}”" if r.reason and r.kind == "thanks" else ""
    line = f"+{r.points} {kind}{where}{by}{said}"
    if r.status == "pending":
        until = ts(r.held_until, "d") if r.held_until else tr("the end of probation")
        line += " " + tr("(held until {until}: new-member probation)", until=until)
    elif r.status == "capped":
        line = f"0 {kind}{where}{by} " + (tr("(daily cap reached: {note})", note=r.note) if r.note
                                          else tr("(daily cap reached)"))
    elif r.status == "reversed":
        line = f"~~{line}~~ " + tr("(reversed)")
    return line


def member(user_id: int | None, tr: Translator | None = None) -> str:
    """A member's mention, or ``erased member`` for the pseudonym (a negative id) an erasure left."""
    if user_id is not None and user_id < 0:
        tr = tr or translator()
        return tr("erased member")
    return f"<@{user_id}>"


def leaderboard_line(rank: int, user_id: int, points: int, *, tr: Translator | None = None) -> str:
    tr = tr or translator()
    medal = {1: "🥇", 2: "🥈", 3: "🥉"}.get(rank, f"**{rank}.**")
    return f"{medal} {member(user_id, tr)} — " + tr.ngettext("{count} point", "{count} points", points)


def release_receipt(points: int, count: int, total: int) -> str:
    """The receipt for credit released when a member's new-member probation ended."""
    return (f"Your new-member probation ended: {points:+d} point{'s' if abs(points) != 1 else ''} released "
            f"({plural(count, 'contribution')}). You now have {plural(total, 'point')}.")
