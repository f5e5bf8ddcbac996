"""What feedback looks like on Discord: the item embed, notices, the board, the list and the CSV export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.feedback import OPEN_STATUSES, FeedbackItem, label
from bot.platform import markdown

COLOURS = {
    "pending_review": discord.Colour.light_grey(), "new": discord.Colour.blurple(),
    "acknowledged": discord.Colour.teal(), "planned": discord.Colour.purple(),
    "in_progress": discord.Colour.gold(), "shipped": discord.Colour.green(), "declined": discord.Colour.red(),
    "duplicate": discord.Colour.dark_grey(), "rejected": discord.Colour.dark_red(),
}


def thread_url(item: FeedbackItem) -> str:
    return f"https://discord.com/channels/{item.guild_id}/{item.thread_id}" if item.thread_id else ""


def ref(item: FeedbackItem) -> str:
    """``#12 “Dark mode”`` linked to its thread when it has one (the title made inert: it is member text)."""
    text = f"#{item.id} “{markdown.inline(item.title)}”"
    return f"[{text}]({thread_url(item)})" if item.thread_id else text


def status_text(item: FeedbackItem) -> str:
    text = f"**{label(item.status)}**"
    if item.status == "shipped" and item.version:
        text += f" in {markdown.inline(item.version)}"
    if item.status == "duplicate" and item.duplicate_of:
        text += f" of #{item.duplicate_of}"
    return text


def item_embed(item: FeedbackItem) -> discord.Embed:
    embed = discord.Embed(title=f"#{item.id} · {markdown.inline(item.title)}"[:256],
                          description=markdown.block(item.details)[:4000] or None,
                          colour=COLOURS.get(item.status, discord.Colour.blurple()))
    embed.add_field(name="Type", value=label(item.type), inline=True)
    embed.add_field(name="Status", value=status_text(item), inline=True)
    embed.add_field(name="Votes", value=str(item.vote_count), inline=True)
    if item.steps:
        embed.add_field(name="Steps to reproduce", value=markdown.block(item.steps)[:1024], inline=False)
    if item.version and not (item.status == "shipped"):
        embed.add_field(name="Version", value=markdown.inline(item.version)[:1024], inline=True)
    if item.status_note:
        embed.add_field(name="Note from the team", value=item.status_note[:1024], inline=False)
    embed.add_field(name="Reporter", value=f"<@{item.reporter_id}>", inline=True)
    embed.set_footer(text="Press “Me too” if this matters to you too; “Follow” to hear about every update.")
    return embed


def review_embed(item: FeedbackItem, outcome: str | None = None, duplicates: Sequence[Any] = ()) -> discord.Embed:
    embed = item_embed(item)
    embed.title = f"Review #{item.id} · {markdown.inline(item.title)}"[:256]
    if duplicates:
        embed.add_field(name="Likely duplicates", value=duplicates_field(duplicates), inline=False)
    embed.set_footer(text=outcome or "Approve to publish it in the feedback forum; reject to drop it.")
    return embed


def duplicate_choice(match: Any) -> str:
    """One likely duplicate as an autocomplete choice (plain text, at most 100 characters)."""
    return f"#{match.ref_id} · {match.title} · {label(match.status)} · score {match.score:.2f}"[:100]


def duplicates_field(matches: Sequence[Any]) -> str:
    """Likely duplicates for the review queue's embed (member titles escaped)."""
    return "\n".join(f"#{m.ref_id} · {markdown.inline(m.title)} · {label(m.status)} · score {m.score:.2f}"
                     for m in matches)[:1024]


def notice_text(item: FeedbackItem, event: str, status: str, note: str | None, version: str | None,
                target: FeedbackItem | None, *, user_id: int | None = None, coreporter: bool = False) -> str:
    """The DM (or thread mention) telling a member (``user_id``) about a change. ``coreporter``: the member
    is a co-reporter of ``target`` (the duplicate's reporters become co-reporters of the original)."""
    if event == "rejected":
        text = f"Your feedback “{markdown.inline(item.title)}” was reviewed and won't be published."
        return text + (f"\nReason: {discord.utils.escape_mentions(note)}" if note else "")
    if status == "duplicate" and target is not None:
        if user_id is not None and user_id == target.reporter_id and user_id == item.reporter_id:
            text = (f"Your report {ref(item)} was merged into your earlier report {ref(target)}, which covers the "
                    "same thing. You'll keep hearing about it there.")
        elif coreporter:
            credit = ("when it moves forward or ships, you're credited as its reporter is, and "
                      if target.status in OPEN_STATUSES else "")
            text = (f"Your report {ref(item)} was merged into {ref(target)}, which covers the same thing. You're "
                    f"credited there as a co-reporter: {credit}you'll hear about every update.")
        else:
            text = (f"Feedback {ref(item)} was merged into {ref(target)}, which covers the same thing. "
                    "Your vote and follow moved there, so you'll keep hearing about it.")
    elif status == "shipped":
        text = f"🎉 Feedback {ref(item)} has shipped" + (f" in {markdown.inline(version)}" if version else "") + ". Thank you!"
    else:
        text = f"Feedback {ref(item)} is now **{label(status)}**."
    if note:
        text += f"\nNote from the team: {discord.utils.escape_mentions(note)}"
    return text


def status_line(item: FeedbackItem, note: str | None) -> str:
    """The message posted in the thread when its status changes."""
    text = f"Status: {status_text(item)}"
    if note:
        text += f" — {discord.utils.escape_mentions(note)}"
    return text


def board_embed(items: Sequence[FeedbackItem], title: str) -> discord.Embed:
    embed = discord.Embed(title=title, colour=discord.Colour.blurple())
    if not items:
        embed.description = "No open feedback yet."
        return embed
    lines = [f"{n}. {ref(i)} — {i.vote_count} vote{'s' if i.vote_count != 1 else ''} · {label(i.status)}"
             for n, i in enumerate(items, start=1)]
    embed.description = "\n".join(lines)[:4000]
    return embed


def list_embed(items: Sequence[FeedbackItem], total: int, offset: int, limit: int, filters: str) -> discord.Embed:
    embed = discord.Embed(title="Feedback" + (f" ({filters})" if filters else ""), colour=discord.Colour.blurple())
    if not items:
        embed.description = "Nothing matches."
    else:
        embed.description = "\n".join(
            f"{ref(i)} · {label(i.type)} · {label(i.status)} · {i.vote_count} votes" for i in items)[:4000]
    pages = max((total + limit - 1) // limit, 1)
    embed.set_footer(text=f"Page {offset // limit + 1} of {pages} · {total} item{'s' if total != 1 else ''}")
    return embed


