"""Perk pools from the dashboard, as ``/perks``: create a pool, add codes by uploading a TXT/CSV file, void a
code, reissue one. Codes stay masked on every page (``mask_code``) and never reach a log line; an upload's
problems name codes masked too."""

from __future__ import annotations

from aiohttp import web

from bot.platform.config.base import MAX_COUNT
from bot.platform.i18n import N_
from bot.rewards.codes import MAX_UPLOAD_BYTES, check_upload, import_summary
from bot.web.lang import request_translator
from bot.web.routes.rewards import rewards_page
from bot.web.security import Refused, Staff, staff, staff_upload

MAX_REASON = 300


def number(ctx: Staff, name: str, *, default: int, low: int = 0, high: int = MAX_COUNT) -> int:
    """A whole-number field (empty: ``default``); anything else is a 400 naming the field."""
    text = ctx.field(name, max_len=12)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise Refused(400, N_("The field {name} takes a whole number (got {value})."),
                           name=repr(name), value=repr(text[:12])) from None
    if not low <= value <= high:
        raise Refused(400, N_("The field {name} must be between {low} and {high}."),
                           name=repr(name), low=low, high=high)
    return value


@staff
async def create_pool(request: web.Request, ctx: Staff) -> web.StreamResponse:
    name = ctx.field("name", max_len=64, required=True)
    assert name is not None
    pool = await ctx.bot.app.rewards.create_pool(
        ctx.guild.id, name, description=ctx.field("description", max_len=300) or "",
        per_member_limit=number(ctx, "per_member_limit", default=0),
        low_stock_warning=number(ctx, "low_stock_warning", default=5), budget=number(ctx, "budget", default=0),
        budget_period_days=number(ctx, "budget_period_days", default=30, low=1, high=3650), actor_id=ctx.member.id)
    tr = request_translator(request)
    return await rewards_page(request, ctx, notice=tr("Created perk pool {name}. Upload its codes below.",
                                                      name=pool.name))


@staff_upload(MAX_UPLOAD_BYTES)
async def add_codes(request: web.Request, ctx: Staff) -> web.StreamResponse:
    pool = request.match_info["pool"]
    upload = ctx.files.get("file")
    if upload is None or not upload.data:
        raise Refused(400, N_("Choose a .txt (one code a line) or .csv (code[,expiry]) file to upload."))
    check_upload(upload.filename, len(upload.data))
    report, added = await ctx.bot.app.rewards.add_codes(ctx.guild.id, pool, upload.data, upload.filename,
                                                        actor_id=ctx.member.id)
    sentence, problems = import_summary(report, added, pool, request_translator(request))
    if added:
        return await rewards_page(request, ctx, notice=sentence)
    return await rewards_page(request, ctx, problem=sentence, problems=problems, http_status=400)


async def _void(request: web.Request, ctx: Staff, *, reissue: bool) -> web.StreamResponse:
    code_id = int(request.match_info["code_id"])
    reason = ctx.field("reason", max_len=MAX_REASON) or ""
    grant_id = await ctx.bot.app.rewards.void(ctx.guild.id, code_id, actor_id=ctx.member.id,
                                              reason=reason or ("reissued" if reissue else ""), reissue=reissue)
    tr = request_translator(request)
    if reissue:
        return await rewards_page(request, ctx, notice=tr("Code #{id} is void; a new code is on its way (grant "
                                                          "#{grant}).", id=code_id, grant=grant_id))
    return await rewards_page(request, ctx, notice=tr("Code #{id} is void.", id=code_id))


@staff
async def void(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _void(request, ctx, reissue=False)


@staff
async def reissue(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _void(request, ctx, reissue=True)


def setup(app: web.Application) -> None:
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/rewards/pools", create_pool)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/rewards/pools/{pool:[a-z0-9-]{1,64}}/codes", add_codes)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/rewards/codes/{code_id:\d{1,18}}/void", void)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/rewards/codes/{code_id:\d{1,18}}/reissue", reissue)
