"""Feedback: the board with filters, an item, and status changes through the same path as /feedback status
(so the reporter, co-reporters, voters and followers are told, and the thread is updated)."""

from __future__ import annotations

from aiohttp import web

from bot.feedback import STAFF_STATUSES, STATUSES, TYPES, label
from bot.feedback.models import MAX_NOTE, MAX_VERSION
from bot.platform.i18n import N_
from bot.web.app import render
from bot.web.lang import request_translator
from bot.web.security import Refused, Staff, staff

PAGE = 25


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


@staff
async def board(request: web.Request, ctx: Staff) -> web.StreamResponse:
    q = request.query
    status, type_ = _choice(q.get("status"), STATUSES), _choice(q.get("type"), TYPES)
    beta_id = int(q["beta"]) if q.get("beta", "").isdigit() and len(q["beta"]) < 19 else None
    offset = int(q["offset"]) if q.get("offset", "").isdigit() and len(q["offset"]) < 9 else 0
    svc = ctx.bot.app.feedback
    page = await svc.page(ctx.guild.id, status=status, type_=type_, beta_id=beta_id, offset=offset, limit=PAGE)
    betas = await ctx.bot.app.betas.all(ctx.guild.id)
    return render(request, "feedback.html", ctx=ctx, active="feedback", page=page, status=status, type=type_,
                  beta_id=beta_id, betas=betas, statuses=STATUSES, types=TYPES, label=label, page_size=PAGE)


async def _item_page(request: web.Request, ctx: Staff, item_id: int, *, notice: str | None = None,
                     problem: str | None = None) -> web.StreamResponse:
    item = await ctx.bot.app.feedback.get(ctx.guild.id, item_id)  # NotFound for another guild's item
    # Likely duplicates with their scores, as in the review queue and /feedback status's `of` (bot.search).
    duplicates = await ctx.bot.app.search.duplicates(ctx.guild.id, item.id, item.title, item.details)
    return render(request, "feedback_item.html", ctx=ctx, active="feedback", item=item, label=label,
                  staff_statuses=STAFF_STATUSES, notice=notice, problem=problem, duplicates=duplicates)


@staff
async def item(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _item_page(request, ctx, int(request.match_info["item_id"]))


@staff
async def change_status(request: web.Request, ctx: Staff) -> web.StreamResponse:
    item_id = int(request.match_info["item_id"])
    status = ctx.field("status", max_len=20, required=True)
    if status not in STAFF_STATUSES:
        raise Refused(400, N_("Unknown status: use one of {value}."), value=', '.join(STAFF_STATUSES))
    note = ctx.field("note", max_len=MAX_NOTE)
    version = ctx.field("version", max_len=MAX_VERSION)
    of_text = ctx.field("of", max_len=18)
    if of_text is not None and not of_text.isdigit():
        raise Refused(400, N_("'Duplicate of' takes a feedback number."))
    cog = ctx.bot.effects.feedback
    if cog is None:
        raise Refused(503, N_("The feedback feature is not loaded."))
    change, problems = await cog.set_status(ctx.guild, item_id, status, actor_id=ctx.member.id, note=note,
                                            version=version, of=int(of_text) if of_text else None)
    tr = request_translator(request)
    status_text = tr(label(change.item.status))
    text = tr("Feedback #{number} is now {status}.", number=change.item.id,
              status=status_text if tr.lang == "de" else status_text.lower())  # German keeps "In Arbeit"
    if change.target is not None:
        text += " " + tr.ngettext("Merged into {target} ({count} vote moved).",
                                  "Merged into {target} ({count} votes moved).", change.moved_votes,
                                  target=f"#{change.target.id}")
    text += " " + tr("{told}; the thread's status line is on its way.", told=cog.who_is_told(ctx.guild, change, tr))
    return await _item_page(request, ctx, item_id, notice=text,
                            problem=tr("Saved, but: {problems}", problems="; ".join(problems)) if problems else None)


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/feedback", board)
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/feedback/{item_id:\d{1,18}}", item)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/feedback/{item_id:\d{1,18}}/status", change_status)
