"""Overview: the insights charts (SVG), the week's counts, and grants that failed."""

from __future__ import annotations

import base64

from aiohttp import web

from bot.core.checks import holds
from bot.insights.models import PERIODS
from bot.web.app import render
from bot.web.lang import request_translator
from bot.web.security import Staff, staff


@staff
async def overview(request: web.Request, ctx: Staff) -> web.StreamResponse:
    bot, gid = ctx.bot, ctx.guild.id
    period = request.query.get("period") or bot.guild_config(gid).insights.default_period
    if period not in PERIODS:
        period = bot.guild_config(gid).insights.default_period
    insights = bot.app.insights
    numbers = await insights.overview(gid, period)
    week = numbers if period == "7d" else await insights.overview(gid, "7d")
    lang = request_translator(request).lang  # the charts' labels in the page's language
    rendered = await bot.app.charts.draw_overview(numbers, "svg", lang)  # in the chart processes
    images = [(c.title, c.summary, "data:image/svg+xml;base64," + base64.b64encode(c.data).decode("ascii"))
              for c in rendered]
    grants = await bot.app.rewards.grant_counts(gid, days=7)
    tr = request_translator(request)
    counts = [
        (tr("Contributions"), week.kinds.total),
        (tr("Feedback reports"), week.feedback.total),
        (tr("Betas announced"), week.betas.announced),
        (tr("Beta joins"), week.betas.joined),
        (tr("Help posts"), week.help.posts),
        (tr("Help posts solved"), week.help.solved),
        (tr("Rewards granted"), sum(grants.values())),
        (tr("Rewards failed"), grants.get("failed", 0)),
    ]
    failed = await bot.app.rewards.failed_grants(gid, limit=20)
    # What the brand gave back (bot.giveback): the monthly balance, and members who gave much and got nothing.
    balance = await bot.app.giveback.balance(gid)

    def staff_or_gone(user_id: int) -> bool:
        member = ctx.guild.get_member(user_id)
        return member is None or holds(bot, member, "staff")

    to_thank = await bot.app.giveback.people_to_thank(gid, exclude=staff_or_gone)

    def is_staff(user_id: int) -> bool:
        member = ctx.guild.get_member(user_id)
        return member is not None and holds(bot, member, "staff")

    ladder = [stage.name for stage in bot.app.ledger_policy(gid).ladder]
    funnel = await bot.app.privileges.funnel(gid, ladder, exclude=is_staff)
    return render(request, "overview.html", ctx=ctx, active="overview", period=period, periods=PERIODS,
                  charts=images, counts=counts, failed=failed, balance=balance, to_thank=to_thank,
                  funnel=funnel)


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/", overview)
