"""Betas: status, participants and the waitlist; create and edit, open (announce now) and close, as ``/beta create``,
``/beta edit``, ``/beta open`` and ``/beta close``: the same checks and the same service and cog calls, so the
announcement goes out through its durable job and an edit refreshes it (and welcomes who moved in from the
waitlist) as the command's does."""

from __future__ import annotations

from typing import Any

import discord
from aiohttp import web

from bot.betas.models import MAX_INCENTIVE, MAX_NAME, MAX_TEXT, parse_when
from bot.core.effects import BetaEffects
from bot.platform.deferred import render_said
from bot.platform.errors import KudosError
from bot.platform.i18n import N_
from bot.web.app import render, status_of
from bot.web.lang import request_translator
from bot.web.routes.perks import number
from bot.web.security import Refused, Staff, staff

TEXT_FIELDS = ("name", "description", "incentive", "terms", "starts", "ends", "stage")
PICKS = ("channel", "feedback_forum", "role", "cohort_role", "private_channel")
NUMBERS = ("capacity", "min_points", "account_age_days")


def _cog(ctx: Staff) -> BetaEffects:
    cog = ctx.bot.effects.betas
    if cog is None:
        raise Refused(503, N_("The betas feature is not loaded."))
    return cog


@staff
async def betas(request: web.Request, ctx: Staff) -> web.StreamResponse:
    rows = await ctx.bot.app.betas.all(ctx.guild.id)
    return render(request, "betas.html", ctx=ctx, active="betas", betas=list(reversed(rows)))


async def _beta_page(request: web.Request, ctx: Staff, beta_id: int, *, notice: str | None = None
                     ) -> web.StreamResponse:
    svc = ctx.bot.app.betas
    beta = await svc.get(ctx.guild.id, beta_id)
    people = await svc.participants(ctx.guild.id, beta.id)
    joined = [p for p in people if p.status == "joined"]
    waiting = [p for p in people if p.status == "waitlisted"]
    others = [p for p in people if p.status not in ("joined", "waitlisted")]
    return render(request, "beta.html", ctx=ctx, active="betas", beta=beta, joined=joined, waiting=waiting,
                  others=others, notice=notice)


@staff
async def beta(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _beta_page(request, ctx, int(request.match_info["beta_id"]))


@staff
async def open_beta(request: web.Request, ctx: Staff) -> web.StreamResponse:
    beta_id = int(request.match_info["beta_id"])
    found = await ctx.bot.app.betas.get(ctx.guild.id, beta_id)  # NotFound for another guild's beta
    channel = await _cog(ctx).announce_now(ctx.guild, found, actor_id=ctx.member.id)
    tr = request_translator(request)
    return await _beta_page(request, ctx, beta_id, notice=tr("{name} is announced in {channel}.", name=found.row.name,
                                                             channel=f"#{channel.name}"))


@staff
async def close_beta(request: web.Request, ctx: Staff) -> web.StreamResponse:
    beta_id = int(request.match_info["beta_id"])
    found = await ctx.bot.app.betas.get(ctx.guild.id, beta_id)
    if ctx.field("confirm", max_len=10) != "yes":
        raise Refused(400, N_("Tick the confirmation box to close the beta."))
    cog = _cog(ctx)
    result = await cog.close_now(ctx.guild, found, actor_id=ctx.member.id)
    await cog.refresh(ctx.guild.id, found.id)
    tr = request_translator(request)
    text = [tr.ngettext("Closed {name}: {count} participant gets a thank-you.",
                        "Closed {name}: {count} participants get a thank-you.", len(result.participants),
                        name=found.row.name)]
    if result.waitlisted:
        text.append(tr.ngettext("{count} member on the waitlist hears that it closed.",
                                "{count} members on the waitlist hear that it closed.", len(result.waitlisted)))
    text.append(tr("The summary is in the staff log."))
    return await _beta_page(request, ctx, beta_id, notice=" ".join(text))


def _picked(ctx: Staff, key: str, kinds: tuple[type, ...]) -> Any:
    """A channel or role chosen in a select: one of this server's, of the right kind, or a 400 naming the field."""
    text = ctx.field(key, max_len=20)
    if text is None:
        return None
    found = (ctx.guild.get_role(int(text)) if kinds == (discord.Role,) else ctx.guild.get_channel(int(text))
             ) if text.isdigit() else None
    if found is None or not isinstance(found, kinds):
        if kinds == (discord.Role,):
            raise Refused(400, N_("The field {key} names no role of this server."), key=repr(key))
        raise Refused(400, N_("The field {key} names no such channel of this server."), key=repr(key))
    return found


async def _form(request: web.Request, ctx: Staff, *, values: dict[str, Any], http_status: int = 200,
                problem: str | None = None) -> web.StreamResponse:
    g = ctx.guild
    roles = sorted((r for r in g.roles if not r.is_default() and not r.managed), key=lambda r: -r.position)
    stages = [s.name for s in ctx.bot.app.ledger_policy(g.id).ladder]
    return render(request, "beta_form.html", http_status=http_status, ctx=ctx, active="betas", values=values,
                  problem=problem, roles=roles, stages=stages, text_channels=list(g.text_channels),
                  forums=list(g.forums), max_name=MAX_NAME, max_text=MAX_TEXT, max_incentive=MAX_INCENTIVE)


@staff
async def new_beta(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _form(request, ctx, values={"waitlist": True})


@staff
async def create_beta(request: web.Request, ctx: Staff) -> web.StreamResponse:
    """``/beta create`` and its description form in one page: the same checks, then the same creation."""
    values: dict[str, Any] = {k: (ctx.form.get(k) or "")[:MAX_TEXT] for k in (*TEXT_FIELDS, *PICKS, *NUMBERS)}
    values.update(waitlist=ctx.form.get("waitlist") == "on", create_cohort_role=ctx.form.get("create_cohort_role") == "on")
    cog = _cog(ctx)
    try:
        name = ctx.field("name", max_len=MAX_NAME, required=True)
        assert name is not None
        capacity = number(ctx, "capacity", default=0, low=0, high=10**9) or None
        role, cohort = _picked(ctx, "role", (discord.Role,)), _picked(ctx, "cohort_role", (discord.Role,))
        forum = _picked(ctx, "feedback_forum", (discord.ForumChannel,))
        draft = await cog.prepare_create(
            ctx.guild, name=name, capacity=capacity, waitlist=bool(values["waitlist"]),
            min_points=number(ctx, "min_points", default=0, high=10**12), role_id=role.id if role else None,
            stage=ctx.field("stage", max_len=100), account_age_days=number(ctx, "account_age_days", default=0,
                                                                           high=10**12),
            incentive=ctx.field("incentive", max_len=MAX_INCENTIVE), starts=ctx.field("starts", max_len=40),
            ends=ctx.field("ends", max_len=40), channel=_picked(ctx, "channel", (discord.TextChannel,)),
            feedback_forum_id=forum.id if forum else None, cohort_role_id=cohort.id if cohort else None,
            create_cohort_role=bool(values["create_cohort_role"]), terms=ctx.field("terms", max_len=MAX_TEXT),
            private_channel=_picked(ctx, "private_channel", (discord.TextChannel,)),
            description=ctx.field("description", max_len=MAX_TEXT) or "")
    except (KudosError, Refused) as exc:
        return await _form(request, ctx, values=values, http_status=status_of(exc),
                           problem=exc.translated(request_translator(request)))
    made = await cog.create_now(ctx.guild, draft, actor_id=ctx.member.id, create_role=bool(values["create_cohort_role"]))
    where, tr = f"#{made.channel.name}", request_translator(request)
    if made.scheduled_at is not None:
        text = tr("Beta {name} is created; its announcement goes out in {channel} at {when}.", name=draft.name,
                  channel=where, when=f"{made.scheduled_at:%Y-%m-%d %H:%M} UTC")
    elif made.waiting is not None:
        text = tr("Beta {name} is created. {waiting}", name=draft.name,  # the cog's line, its channel named here
                  waiting=render_said(tr, made.waiting, channel=where))
    else:
        text = tr("Beta {name} is announced in {channel}.", name=draft.name, channel=where)
    if made.cohort_role is not None:
        text += " " + tr("Cohort role: {role}.", role=f"@{made.cohort_role.name}")
    if made.private_channel is not None:
        text += " " + tr("Participants get {channel} with the cohort role.", channel=f"#{made.private_channel.name}")
    return await _beta_page(request, ctx, made.beta_id, notice=text)


@staff
async def edit_beta(request: web.Request, ctx: Staff) -> web.StreamResponse:
    """``/beta edit``: only the fields that differ from the beta's are changes; then the announcement is refreshed
    (and members who moved in from the waitlist welcomed) through the cog, as after the command."""
    beta_id = int(request.match_info["beta_id"])
    svc = ctx.bot.app.betas
    found = await svc.get(ctx.guild.id, beta_id)
    row = found.row
    changes: dict[str, Any] = {}
    for key, limit, current in (("name", MAX_NAME, row.name), ("description", MAX_TEXT, row.description),
                                ("incentive", MAX_INCENTIVE, row.incentive), ("terms", MAX_TEXT, row.terms)):
        value = ctx.field(key, max_len=limit)
        if (value or "") != (current or ""):
            changes[key] = value or ""
    capacity = number(ctx, "capacity", default=0, low=0, high=10**9) or None
    if capacity is not None and capacity != row.capacity:
        changes["capacity"] = capacity
    waitlist = ctx.form.get("waitlist") == "on"
    if waitlist != row.waitlist:
        changes["waitlist"] = waitlist
    ends = parse_when(ctx.field("ends", max_len=40), ctx.bot.clock.now(), what="end date (field `ends`)")
    if ends is not None:
        changes["ends_at"] = ends
    beta, promoted = await svc.edit(ctx.guild.id, beta_id, ctx.member.id, **changes)
    await _cog(ctx).refresh(ctx.guild.id, beta.id)  # as /beta edit: the announcement's edit, the welcome of the promoted
    tr = request_translator(request)
    text = tr("Updated {name}.", name=beta.row.name)
    if promoted:
        text += " " + tr.ngettext("{count} moved in from the waitlist.", "{count} moved in from the waitlist.",
                                  len(promoted))
    return await _beta_page(request, ctx, beta_id, notice=text)


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/betas", betas)
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/betas/new", new_beta)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/betas", create_beta)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/betas/{beta_id:\d{1,18}}/edit", edit_beta)
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/betas/{beta_id:\d{1,18}}", beta)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/betas/{beta_id:\d{1,18}}/open", open_beta)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/betas/{beta_id:\d{1,18}}/close", close_beta)

