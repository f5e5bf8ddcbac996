"""Rewards: the rules with the dry-run preview, perk pools with stock (codes masked), grants waiting for approval
(approve or deny, as the staff log's buttons), failed grants with retry."""

from __future__ import annotations

import re

import discord
from aiohttp import web

from bot.platform.errors import KudosError
from bot.rewards.codes import MAX_UPLOAD_BYTES
from bot.web.app import name_of, render
from bot.web.lang import request_translator
from bot.web.security import Staff, staff

_ROLE = re.compile(r"<@&(\d+)>")


def plain(text: str, guild: discord.Guild) -> str:
    """Discord markup in a rule's description as page text: role mentions become role names."""
    def role(m: re.Match[str]) -> str:
        found = guild.get_role(int(m.group(1)))
        return f"@{found.name}" if found else f"role {m.group(1)}"
    return _ROLE.sub(role, text).replace("**", "")


async def rewards_page(request: web.Request, ctx: Staff, *, notice: str | None = None, problem: str | None = None,
                       problems: list[str] | None = None, preview_name: str | None = None, http_status: int = 200
                       ) -> web.StreamResponse:
    """The Rewards page, with what an action did (``notice``) or why it did nothing (``problem``, ``problems``)."""
    svc = ctx.bot.app.rewards
    rules = await svc.rules(ctx.guild.id)
    preview = None
    if preview_name:
        try:
            rule = await svc.rule(ctx.guild.id, preview_name)
            result = await svc.preview(ctx.guild.id, rule.name)
            preview = (rule.name, result, [ctx.guild.get_member(u) for u in result.user_ids[:50]])
        except KudosError as exc:
            problem = exc.translated(request_translator(request))
    pools = [(pool, stock, await svc.pool_codes(pool.id, limit=10))
             for pool, stock in await svc.pool_stock(ctx.guild.id)]
    failed = await svc.failed_grants(ctx.guild.id, limit=50)
    held = await svc.held_grants(ctx.guild.id)
    tr = request_translator(request)
    described = [(r, plain(r.describe(tr), ctx.guild)) for r in rules]
    return render(request, "rewards.html", http_status=http_status, ctx=ctx, active="rewards", rules=described,
                  preview=preview, pools=pools, failed=failed, held=held, notice=notice, problem=problem,
                  problems=problems or [], max_upload_kb=MAX_UPLOAD_BYTES // 1024)


@staff
async def rewards(request: web.Request, ctx: Staff) -> web.StreamResponse:
    name = (request.query.get("preview") or "").strip()[:100] or None
    return await rewards_page(request, ctx, preview_name=name)


@staff
async def retry(request: web.Request, ctx: Staff) -> web.StreamResponse:
    grant_id = int(request.match_info["grant_id"])
    grant = await ctx.bot.app.rewards.retry(ctx.guild.id, grant_id, actor_id=ctx.member.id)
    tr = request_translator(request)
    return await rewards_page(request, ctx, notice=tr("Grant #{id} is queued again.", id=grant.id))


async def _decide(request: web.Request, ctx: Staff, *, approve: bool) -> web.StreamResponse:
    """Approve or deny a grant held over a pool's budget: the staff log's Approve / Reject buttons' service call
    (an approved grant goes to the dispatcher, which delivers the code by DM; a denied one is revoked)."""
    grant_id = int(request.match_info["grant_id"])
    grant = await ctx.bot.app.rewards.approve(ctx.guild.id, grant_id, actor_id=ctx.member.id, approve=approve)
    who = name_of(ctx.guild, grant.user_id)
    tr = request_translator(request)
    if approve:
        return await rewards_page(request, ctx, notice=tr("Approved grant #{id} ({rule}) for {member}: the code is on "
                                                          "its way.", id=grant.id, rule=grant.rule_name, member=who))
    return await rewards_page(request, ctx, notice=tr("Denied grant #{id} ({rule}) for {member}.", id=grant.id,
                                                      rule=grant.rule_name, member=who))


@staff
async def approve(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _decide(request, ctx, approve=True)


@staff
async def deny(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _decide(request, ctx, approve=False)


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/rewards", rewards)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/rewards/grants/{grant_id:\d{1,18}}/retry", retry)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/rewards/grants/{grant_id:\d{1,18}}/approve", approve)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/rewards/grants/{grant_id:\d{1,18}}/deny", deny)
