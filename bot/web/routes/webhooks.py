"""Webhooks: the server's outbound endpoints and each one's delivery log (status, attempts, the last answer and
its latency), with a resend button; a form to register an endpoint (its generated secret shown once, on the
page that answers the form), and remove / send-a-test buttons (docs/webhooks.md). The same
``bot.app.webhooks`` calls as ``/webhooks``."""

from __future__ import annotations

from aiohttp import web

from bot.platform.events import OUTBOUND_TYPES
from bot.platform.i18n import N_
from bot.web.app import render
from bot.web.lang import request_translator
from bot.web.security import Staff, staff

LOG_SIZE = 50
# a delivery's status as the log shows it, in the page's language
DELIVERY_STATUS = {"pending": N_("pending"), "delivered": N_("delivered"), "failed": N_("failed")}


async def _page(request: web.Request, ctx: Staff, *, notice: str | None = None,
                secret: str | None = None) -> web.StreamResponse:
    svc = ctx.bot.app.webhooks
    endpoints = await svc.endpoints(ctx.guild.id)
    logs = {ep.id: await svc.log(ctx.guild.id, ep.id, limit=LOG_SIZE) for ep in endpoints}
    return render(request, "webhooks.html", ctx=ctx, active="webhooks", endpoints=endpoints, logs=logs,
                  notice=notice, secret=secret, event_types=OUTBOUND_TYPES,
                  DELIVERY_STATUS=DELIVERY_STATUS)


@staff
async def register(request: web.Request, ctx: Staff) -> web.StreamResponse:
    name = ctx.field("name", max_len=40, required=True) or ""
    url = ctx.field("url", max_len=2000, required=True) or ""
    events = [e.strip() for e in (ctx.field("events", max_len=1000) or "*").replace(" ", ",").split(",")
              if e.strip()]
    secret = await ctx.bot.app.webhooks.register(ctx.guild.id, name, url, events, actor_id=ctx.member.id)
    tr = request_translator(request)
    return await _page(request, ctx, notice=tr("Endpoint {name} registered.", name=name.strip().lower()), secret=secret)


@staff
async def remove(request: web.Request, ctx: Staff) -> web.StreamResponse:
    ep = await ctx.bot.app.webhooks.remove(ctx.guild.id, request.match_info["name"], actor_id=ctx.member.id)
    tr = request_translator(request)
    return await _page(request, ctx, notice=tr("Endpoint {name} removed; its log stays.", name=ep.name))


@staff
async def send_test(request: web.Request, ctx: Staff) -> web.StreamResponse:
    name = request.match_info["name"]
    delivery_id = await ctx.bot.app.webhooks.test(ctx.guild.id, name, actor_id=ctx.member.id)
    ctx.bot.tasks.spawn(ctx.bot.scheduler.run_due(), name="webhooks-test")
    tr = request_translator(request)
    return await _page(request, ctx, notice=tr("A {event} event is on its way to {name} (delivery #{id}).",
                                               event="webhook.test", name=name, id=delivery_id))


@staff
async def webhooks(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _page(request, ctx)


@staff
async def resend(request: web.Request, ctx: Staff) -> web.StreamResponse:
    delivery_id = int(request.match_info["delivery_id"])
    again = await ctx.bot.app.webhooks.resend(ctx.guild.id, delivery_id, actor_id=ctx.member.id)  # NotFound: 404
    ctx.bot.tasks.spawn(ctx.bot.scheduler.run_due(), name="webhooks-resend")
    tr = request_translator(request)
    return await _page(request, ctx, notice=tr("Delivery #{id} ({event}) is being sent again.", id=again.id,
                                               event=again.type))


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/webhooks", webhooks)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/webhooks/deliveries/{delivery_id:\d{1,18}}/resend", resend)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/webhooks/endpoints", register)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/webhooks/endpoints/{name:[a-z0-9][a-z0-9_-]{0,39}}/remove", remove)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/webhooks/endpoints/{name:[a-z0-9][a-z0-9_-]{0,39}}/test", send_test)
