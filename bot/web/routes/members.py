"""Members: search by name; a profile with the ledger, the grants, and the reason for each."""

from __future__ import annotations

from aiohttp import web

from bot.platform.errors import NotFound
from bot.platform.i18n import N_
from bot.web.app import render
from bot.web.security import Refused, Staff, staff

MAX_QUERY = 100
RESULTS = 50


@staff
async def members(request: web.Request, ctx: Staff) -> web.StreamResponse:
    query = (request.query.get("q") or "").strip()
    if len(query) > MAX_QUERY:
        raise Refused(400, N_("The search is too long (at most {max_query} characters)."),
                           max_query=MAX_QUERY)
    found: dict[int, str] = {}
    if query:
        needle = query.casefold()
        for m in ctx.guild.members:
            if needle in m.display_name.casefold() or needle in m.name.casefold() or query == str(m.id):
                found[m.id] = m.display_name
                if len(found) >= RESULTS:
                    break
        for user_id, name in await ctx.bot.app.web.member_names(ctx.guild.id, query, limit=RESULTS):
            found.setdefault(user_id, name)
    results = sorted(found.items(), key=lambda kv: kv[1].casefold())[:RESULTS]
    return render(request, "members.html", ctx=ctx, active="members", query=query, results=results)


@staff
async def profile(request: web.Request, ctx: Staff) -> web.StreamResponse:
    user_id = int(request.match_info["user_id"])
    services = ctx.bot.app
    member = ctx.guild.get_member(user_id)
    prof = await services.ledger.profile(ctx.guild.id, user_id, receipts=0)
    receipts = await services.ledger.history(ctx.guild.id, user_id, limit=100)
    grants = await services.rewards.history(ctx.guild.id, user_id, limit=100)
    if member is None and not receipts and not grants:
        raise NotFound(N_("There is no member {user_id} in this server."), user_id=user_id)
    return render(request, "member.html", ctx=ctx, active="members", user_id=user_id, member=member,
                  profile=prof, receipts=receipts, grants=grants)


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/members", members)
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/members/{user_id:\d{1,20}}", profile)
