"""What feedback looks like on Discord: the item card, notices, the board, the list and the CSV export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.core.cards import Card, Field
from bot.feedback import OPEN_STATUSES, FeedbackItem, label
from bot.platform import markdown
from bot.platform.i18n import Translator, translator
from cogs.feedback.ui import item_buttons

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


def status_text(item: FeedbackItem, tr: Translator | None = None) -> str:
    tr = tr or translator()
    text = f"**{tr(label(item.status))}**"
    if item.status == "shipped" and item.version:
        text += " " + tr("in {version}", version=markdown.inline(item.version))
    if item.status == "duplicate" and item.duplicate_of:
        text += " " + tr("of #{number}", number=item.duplicate_of)
    return text


def item_card(item: FeedbackItem, tr: Translator | None = None, *, lead: str | None = None,
              linked: Sequence[str] = ()) -> Card:
    """The item's status card in its thread (public: the server's language) with its Me too / Follow buttons:
    type, status, votes, the linked changes (``linked``: the GitHub issue, the report it was merged into), drawn
    as an embed or a V2 layout (:mod:`bot.core.cards`). ``lead``: the line above the card ("Reported by")."""
    tr = tr or translator()
    fields = [Field(tr("Type"), tr(label(item.type))), Field(tr("Status"), status_text(item, tr)),
              Field(tr("Votes"), tr.number(item.vote_count))]
    if item.steps:
        fields.append(Field(tr("Steps to reproduce"), markdown.block(item.steps)[:1024], inline=False))
    if item.version and not (item.status == "shipped"):
        fields.append(Field(tr("Version"), markdown.inline(item.version)[:1024]))
    if item.status_note:
        fields.append(Field(tr("Note from the team"), item.status_note[:1024], inline=False))
    changes = list(linked)
    if item.duplicate_of:
        changes.append(tr("Merged into #{number}", number=item.duplicate_of))
    if changes:
        fields.append(Field(tr("Linked changes"), "\n".join(changes)[:1024], inline=False))
    fields.append(Field(tr("Reporter"), f"<@{item.reporter_id}>"))
    return Card(title=f"#{item.id} · {markdown.inline(item.title)}"[:256],
                description=markdown.block(item.details)[:4000] or None,
                colour=COLOURS.get(item.status, discord.Colour.blurple()), fields=tuple(fields),
                footer=tr("Press “{me_too}” if this matters to you too; “{follow}” to hear about every update.",
                          me_too=tr("Me too"), follow=tr("Follow")),
                lead=lead, buttons=lambda: item_buttons(item.id, tr))


def item_embed(item: FeedbackItem, tr: Translator | None = None) -> discord.Embed:
    """The item's card as an embed (the review queue's card starts from it)."""
    return item_card(item, tr).embed()


def review_embed(item: FeedbackItem, outcome: str | None = None, duplicates: Sequence[Any] = (),
                 tr: Translator | None = None) -> discord.Embed:
    """The review queue's card (a /staff channel: the server's language, ``tr``)."""
    tr = tr or translator()
    embed = item_embed(item, tr)
    embed.title = tr("Review #{number} · {title}", number=item.id, title=markdown.inline(item.title))[:256]
    if duplicates:
        embed.add_field(name=tr("Likely duplicates"), value=duplicates_field(duplicates, tr), inline=False)
    embed.set_footer(text=outcome or tr("Approve to publish it in the feedback forum; reject to drop it."))
    return embed


def duplicate_choice(match: Any) -> str:
    """One likely duplicate as an autocomplete choice (plain text, at most 100 characters)."""
    return f"#{match.ref_id} · {match.title} · {label(match.status)} · score {match.score:.2f}"[:100]


def duplicates_field(matches: Sequence[Any], tr: Translator | None = None) -> str:
    """Likely duplicates for the review queue's embed (member titles escaped)."""
    tr = tr or translator()
    return "\n".join(f"#{m.ref_id} · {markdown.inline(m.title)} · {tr(label(m.status))} · "
                     + tr("score {score}", score=f"{m.score:.2f}") for m in matches)[:1024]


def notice_text(item: FeedbackItem, event: str, status: str, note: str | None, version: str | None,
                target: FeedbackItem | None, *, user_id: int | None = None, coreporter: bool = False,
                tr: Translator | None = None) -> str:
    """The DM (or thread mention) telling a member (``user_id``) about a change. ``coreporter``: the member
    is a co-reporter of ``target`` (the duplicate's reporters become co-reporters of the original)."""
    tr = tr or translator()
    if event == "rejected":
        text = tr("Your feedback “{title}” was reviewed and won't be published.", title=markdown.inline(item.title))
        return text + ("\n" + tr("Reason: {reason}", reason=discord.utils.escape_mentions(note)) if note else "")
    if status == "duplicate" and target is not None:
        if user_id is not None and user_id == target.reporter_id and user_id == item.reporter_id:
            text = tr("Your report {item} was merged into your earlier report {target}, which covers the same "
                      "thing. You'll keep hearing about it there.", item=ref(item), target=ref(target))
        elif target.status in OPEN_STATUSES and coreporter:
            text = tr("Your report {item} was merged into {target}, which covers the same thing. You're credited "
                      "there as a co-reporter: when it moves forward or ships, you're credited as its reporter is, "
                      "and you'll hear about every update.", item=ref(item), target=ref(target))
        elif coreporter:
            text = tr("Your report {item} was merged into {target}, which covers the same thing. You're credited "
                      "there as a co-reporter: you'll hear about every update.", item=ref(item), target=ref(target))
        else:
            text = tr("Feedback {item} was merged into {target}, which covers the same thing. Your vote and follow "
                      "moved there, so you'll keep hearing about it.", item=ref(item), target=ref(target))
    elif status == "shipped":
        text = (tr("🎉 Feedback {item} has shipped in {version}. Thank you!", item=ref(item),
                   version=markdown.inline(version)) if version
                else tr("🎉 Feedback {item} has shipped. Thank you!", item=ref(item)))
    else:
        text = tr("Feedback {item} is now **{status}**.", item=ref(item), status=tr(label(status)))
    if note:
        text += "\n" + tr("Note from the team: {note}", note=discord.utils.escape_mentions(note))
    return text


def status_line(item: FeedbackItem, note: str | None, tr: Translator | None = None) -> str:
    """The message posted in the thread when its status changes (public: the server's language)."""
    tr = tr or translator()
    text = tr("Status: {status}", status=status_text(item, tr))
    if note:
        text += f" — {discord.utils.escape_mentions(note)}"
    return text


def board_embed(items: Sequence[FeedbackItem], title: str, tr: Translator | None = None) -> discord.Embed:
    tr = tr or translator()
    embed = discord.Embed(title=title, colour=discord.Colour.blurple())
    if not items:
        embed.description = tr("No open feedback yet.")
        return embed
    lines = [f"{n}. {ref(i)} — " + tr.ngettext("{count} vote", "{count} votes", i.vote_count)
             + f" · {tr(label(i.status))}" for n, i in enumerate(items, start=1)]
    embed.description = "\n".join(lines)[:4000]
    return embed


def list_embed(items: Sequence[FeedbackItem], total: int, offset: int, limit: int, filters: str,
               tr: Translator | None = None) -> discord.Embed:
    tr = tr or translator()
    embed = discord.Embed(title=tr("Feedback") + (f" ({filters})" if filters else ""), colour=discord.Colour.blurple())
    if not items:
        embed.description = tr("Nothing matches.")
    else:
        embed.description = "\n".join(
            f"{ref(i)} · {tr(label(i.type))} · {tr(label(i.status))} · "
            + tr.ngettext("{count} vote", "{count} votes", i.vote_count) for i in items)[:4000]
    pages = max((total + limit - 1) // limit, 1)
    embed.set_footer(text=tr("Page {page} of {pages}", page=tr.number(offset // limit + 1), pages=tr.number(pages))
                     + " · " + tr.ngettext("{count} item", "{count} items", total))
    return embed


