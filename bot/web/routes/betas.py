"""Betas: status, participants and the waitlist; open (announce now) and close, as /beta open and /beta close."""

from __future__ import annotations

from aiohttp import web

from bot.core.effects import BetaEffects
from bot.web.app import render
from bot.web.security import Refused, Staff, staff


def _cog(ctx: Staff) -> BetaEffects:
    cog = ctx.bot.effects.betas
    if cog is None:
        raise Refused(503, "The betas feature is not loaded.")
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
    return await _beta_page(request, ctx, beta_id, notice=f"{found.row.name} is announced in #{channel.name}.")


@staff
async def close_beta(request: web.Request, ctx: Staff) -> web.StreamResponse:
    beta_id = int(request.match_info["beta_id"])
    found = await ctx.bot.app.betas.get(ctx.guild.id, beta_id)
    if ctx.field("confirm", max_len=10) != "yes":
        raise Refused(400, "Tick the confirmation box to close the beta.")
    cog = _cog(ctx)
    result = await cog.close_now(ctx.guild, found, actor_id=ctx.member.id)
    await cog.refresh(ctx.guild.id, found.id)
    waiting = f", {len(result.waitlisted)} on the waitlist hear that it closed" if result.waitlisted else ""
    return await _beta_page(request, ctx, beta_id, notice=f"Closed {found.row.name}: {len(result.participants)} "
                            f"participant(s) get a thank-you{waiting}. The summary is in the staff log.")


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/betas", betas)
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/betas/{beta_id:\d{1,18}}", beta)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/betas/{beta_id:\d{1,18}}/open", open_beta)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/betas/{beta_id:\d{1,18}}/close", close_beta)

