"""CSV exports from the dashboard's buttons, the same files as the commands give: the feedback board
(``/feedback export``), the ledger's entries over a period (``/export what:contributions``) and a beta's
participants (``/beta export``). Member text in them is defused against spreadsheet formulas
(``bot.platform.spreadsheet``). Each export is a POST with the CSRF token, like every action."""

from __future__ import annotations

from aiohttp import web

from bot.feedback.export import export_csv
from bot.insights.models import PERIODS
from bot.platform.i18n import N_
from bot.web.security import Refused, Staff, staff


def _download(data: bytes, filename: str) -> web.Response:
    return web.Response(body=data, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@staff
async def feedback(request: web.Request, ctx: Staff) -> web.StreamResponse:
    items = await ctx.bot.app.feedback.export(ctx.guild.id)
    return _download(export_csv(items), "feedback.csv")


@staff
async def ledger(request: web.Request, ctx: Staff) -> web.StreamResponse:
    period = ctx.field("period", max_len=10) or ctx.bot.guild_config(ctx.guild.id).insights.default_period
    if period not in PERIODS:
        raise Refused(400, N_("Unknown period: use one of {value}."), value=', '.join(PERIODS))
    found = await ctx.bot.app.insights.export(ctx.guild.id, "contributions", period)
    return _download(found.data, found.filename.replace("contributions-", "ledger-", 1))


@staff
async def beta_participants(request: web.Request, ctx: Staff) -> web.StreamResponse:
    svc = ctx.bot.app.betas
    beta = await svc.get(ctx.guild.id, int(request.match_info["beta_id"]))  # NotFound for another guild's beta
    people = await svc.participants(ctx.guild.id, beta.id)
    names = {p.user_id: m.display_name for p in people if (m := ctx.guild.get_member(p.user_id)) is not None}
    return _download(await svc.export_csv(ctx.guild.id, beta.id, names), svc.export_filename(beta.row.name))


def setup(app: web.Application) -> None:
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/export/feedback", feedback)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/export/ledger", ledger)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/betas/{beta_id:\d{1,18}}/export", beta_participants)
