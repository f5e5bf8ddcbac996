"""Webhooks: the server's outbound endpoints and each one's delivery log (status, attempts, the last answer and
its latency), with a resend button (docs/webhooks.md)."""

from __future__ import annotations

from aiohttp import web

from bot.web.app import render
from bot.web.security import Staff, staff

LOG_SIZE = 50


async def _page(request: web.Request, ctx: Staff, *, notice: str | None = None) -> web.StreamResponse:
    svc = ctx.bot.app.webhooks
    endpoints = await svc.endpoints(ctx.guild.id)
    logs = {ep.id: await svc.log(ctx.guild.id, ep.id, limit=LOG_SIZE) for ep in endpoints}
    return render(request, "webhooks.html", ctx=ctx, active="webhooks", endpoints=endpoints, logs=logs,
                  notice=notice)


@staff
async def webhooks(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _page(request, ctx)


@staff
async def resend(request: web.Request, ctx: Staff) -> web.StreamResponse:
    delivery_id = int(request.match_info["delivery_id"])
    again = await ctx.bot.app.webhooks.resend(ctx.guild.id, delivery_id, actor_id=ctx.member.id)  # NotFound: 404
    ctx.bot.tasks.spawn(ctx.bot.scheduler.run_due(), name="webhooks-resend")
    return await _page(request, ctx, notice=f"Delivery #{again.id} ({again.type}) is being sent again.")


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/webhooks", webhooks)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/webhooks/deliveries/{delivery_id:\d{1,18}}/resend", resend)
