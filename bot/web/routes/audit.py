"""Audit log: who did what, filtered by member, action and date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from aiohttp import web

from bot.platform.i18n import N_
from bot.web.app import MAX_ID, render
from bot.web.security import Refused, Staff, staff


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise Refused(400, N_("The {name} date must look like 2026-01-31."), name=name) from None


@staff
async def audit(request: web.Request, ctx: Staff) -> web.StreamResponse:
    q = request.query
    member_text = (q.get("member") or "").strip()
    if member_text and not (member_text.isascii() and member_text.isdigit() and int(member_text) <= MAX_ID):
        raise Refused(400, N_("Filter by a member's numeric id (copy it from their profile page)."))
    action = (q.get("action") or "").strip()
    if len(action) > 50:
        raise Refused(400, N_("The action filter is too long."))
    start, end = _day(q.get("from"), "start"), _day(q.get("to"), "end")
    since = datetime(start.year, start.month, start.day, tzinfo=UTC) if start else None
    until = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1) if end else None
    web_svc = ctx.bot.app.web
    entries = await web_svc.audit(ctx.guild.id, member_id=int(member_text) if member_text else None,
                                  action=action or None, since=since, until=until)
    actions = await web_svc.audit_actions(ctx.guild.id)
    return render(request, "audit.html", ctx=ctx, active="audit", entries=entries, actions=actions,
                  member=member_text, action=action, start=start.isoformat() if start else "",
                  end=end.isoformat() if end else "")


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/audit", audit)
