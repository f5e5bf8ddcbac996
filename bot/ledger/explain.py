"""Turning ledger rows into sentences a member understands (receipts, ``explain``)."""

from __future__ import annotations

from datetime import datetime

from bot.ledger.models import Contribution
from bot.platform import markdown

# What the actor did, per kind: "+10 answer for …, accepted as the solution by @mod".
_BY = {
    "answer": "accepted as the solution by",
    "thanks": "thanks from",
    "curation": "for featuring a post by",
    "creation": "showcased by",
    "feedback_given": "recorded by",
    "feedback_acknowledged": "acknowledged by",
    "feedback_shipped": "shipped by",
    "beta": "recorded by",
}

# How each kind is earned, for "no record" answers (looked up by kind and by source-key prefix).
HOW_TO_EARN = {
    "answer": "only replies marked as the solution in a help forum count as answers",
    "thanks": "thanks count when a member thanks you with the thanks command",
    "curation": "curation counts when a curator features a post",
    "creation": "creations count when your post is showcased",
    "feedback": "feedback counts when your report is posted, acknowledged and shipped in the feedback forum",
    "feedback_given": "feedback counts when your report is posted (or approved) in the feedback forum",
    "feedback_acknowledged": "counts once per report when staff acknowledge, plan or start work on it",
    "feedback_shipped": "counts when staff mark your report (or one merged into it) as shipped",
    "beta": "beta credit counts when you take part in a beta",
}


def ts(when: datetime, style: str = "f") -> str:
    """A Discord timestamp tag: every member sees it in their own time zone."""
    return f"<t:{int(when.timestamp())}:{style}>"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if abs(n) == 1 else 's'}"


def link(guild_id: int, c: Contribution) -> str | None:
    where = c.thread_id or c.channel_id
    if c.message_id is None or where is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{where}/{c.message_id}"


def subject(guild_id: int, c: Contribution) -> str:
    url = link(guild_id, c)
    if url:
        return f"message {url}"
    if c.thread_id:
        return f"thread <#{c.thread_id}>"
    return f"`{c.source_key}`"


def _reason(c: Contribution) -> str:
    return f' ("{markdown.inline(c.reason)}")' if c.reason else ""  # thanks reasons, post titles: member text


def describe(guild_id: int, c: Contribution, *, reversal: Contribution | None = None) -> list[str]:
    """Sentences for one row (and its reversal, when given)."""
    if c.is_reversal:
        return [reversal_sentence(c)]
    by = f", {_BY.get(c.kind, 'credited by')} <@{c.actor_id}>" if c.actor_id else ""
    what = f"{c.kind} for {subject(guild_id, c)}{_reason(c)}{by}"
    if c.status == "capped":
        out = [f"0 points: {c.note or f'daily cap for {c.kind} reached'} — {what} on {ts(c.created_at)}."]
    elif c.status == "pending":
        until = ts(c.held_until) if c.held_until else "the end of probation"
        out = [
            f"Held: probation until {until} — +{c.points} {what} on {ts(c.created_at)} "
            "will count once your new-member probation ends."
        ]
    else:
        extra = f" ({c.note})" if c.note else ""
        if c.held_until is not None:
            extra += f" (held for new-member probation, counted since {ts(c.held_until)})"
        out = [f"+{c.points} {what} on {ts(c.created_at)}{extra}."]
    if reversal is not None:
        out.append(reversal_sentence(reversal))
    return out


def reversal_sentence(r: Contribution) -> str:
    who = f"<@{r.actor_id}>" if r.actor_id else "the system"
    why = markdown.inline(r.reason) or "no reason given"
    held = " (it was still on hold, so it never counted)" if r.status == "pending" else ""
    return f"Reversed by {who} on {ts(r.created_at)}: {why} ({r.points:+d} {r.kind}){held}."


def no_record(source_key: str | None) -> str:
    kind = (source_key or "").split(":", 1)[0]
    hint = HOW_TO_EARN.get(kind, HOW_TO_EARN["answer"])
    return f"No record: this message was never credited — {hint}."


def receipt(guild_id: int, c: Contribution, total: int | None = None) -> str:
    """A short note for the member about a new ledger row."""
    base = describe(guild_id, c)[0]
    if total is not None and c.status == "counted":
        base += f" You now have {plural(total, 'point')}."
    return base
