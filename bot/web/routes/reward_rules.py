"""Reward rules from the dashboard, as ``/rewards rule add | edit | disable | enable``: a form, its dry run (who
would get the rule now, who is skipped and why) and only then the save of exactly the rule the dry run showed.

The rule is built and checked by the same code as the slash commands (``bot.rewards.editing.build_rule``,
``RewardsService.check_rule``, the rewards cog's ``check_role``) and saved by ``RewardsService.save_rule``. A
rule from the config file is changed in the file, as with the commands.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.core.effects import RewardEffects
from bot.platform.config import RewardConfig
from bot.platform.errors import Conflict, InvalidInput, KudosError, NotAllowed
from bot.platform.i18n import N_
from bot.rewards.editing import TRIGGER_HELP, build_rule, digest, form_base, trigger_text
from bot.rewards.rules import Rule
from bot.web.app import render, status_of
from bot.web.lang import request_translator
from bot.web.routes.perks import number
from bot.web.routes.rewards import plain, rewards_page
from bot.web.security import Refused, Staff, staff

MAX_NAME = 100
MAX_DM = 1800
NUMBERS = ("role_duration_days", "bonus_points", "cooldown_days", "min_account_age_days", "min_membership_days")
ROLES = ("role", "has_role", "lacks_role")
CHECKS = ("repeatable", "demote")


def _effects(ctx: Staff) -> RewardEffects:
    found = ctx.bot.effects.rewards
    if found is None:
        raise Refused(503, N_("The rewards feature is not loaded."))
    return found


def values_of(config: RewardConfig) -> dict[str, Any]:
    """A rule as the form's fields."""
    c = config.conditions
    return {
        "name": config.name, "trigger": trigger_text(config), "role": config.role if isinstance(config.role, int) else "",
        "role_duration_days": config.role_duration_days or "", "perk_pool": config.perk_pool or "",
        "dm": config.dm or "", "bonus_points": config.bonus_points or "", "repeatable": config.repeatable,
        "cooldown_days": config.cooldown_days or "", "min_account_age_days": c.min_account_age_days or "",
        "min_membership_days": c.min_membership_days or "",
        "has_role": c.has_role[0] if c.has_role and isinstance(c.has_role[0], int) else "",
        "lacks_role": c.lacks_role[0] if c.lacks_role and isinstance(c.lacks_role[0], int) else "",
        "demote": config.demote,
    }


async def _form(request: web.Request, ctx: Staff, *, mode: str, values: dict[str, Any], http_status: int = 200,
                preview: Any = None, previewed: str = "", notice: str | None = None, problem: str | None = None
                ) -> web.StreamResponse:
    roles = sorted((r for r in ctx.guild.roles if not r.is_default() and not r.managed), key=lambda r: -r.position)
    pools = [p.name for p, _ in await ctx.bot.app.rewards.pool_stock(ctx.guild.id)]
    return render(request, "rule_form.html", http_status=http_status, ctx=ctx, active="rewards", mode=mode,
                  values=values, roles=roles, pools=pools, preview=preview, previewed=previewed, notice=notice,
                  problem=problem, trigger_help=TRIGGER_HELP)


@staff
async def new_rule(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _form(request, ctx, mode="new", values={"repeatable": False, "demote": False})


@staff
async def edit_rule(request: web.Request, ctx: Staff) -> web.StreamResponse:
    name = (request.query.get("name") or "").strip()[:MAX_NAME]
    rule = await ctx.bot.app.rewards.rule(ctx.guild.id, name)
    if rule.origin == "config":
        raise NotAllowed(N_("Rule {name} comes from the config file; change it there."),
                         name=repr(name))
    return await _form(request, ctx, mode="edit", values=values_of(rule.config))


def _options(ctx: Staff) -> dict[str, Any]:
    """The form's fields as ``build_rule`` options (an empty field: the default, so clearing a field clears it)."""
    options: dict[str, Any] = {"trigger": ctx.field("trigger", max_len=100, required=True),
                               "perk_pool": ctx.field("perk_pool", max_len=64), "dm": ctx.field("dm", max_len=MAX_DM)}
    for key in NUMBERS:
        options[key] = number(ctx, key, default=0) or None
    for key in ROLES:
        text = ctx.field(key, max_len=20)
        if text is None:
            continue
        if not text.isdigit() or ctx.guild.get_role(int(text)) is None:
            raise Refused(400, N_("The field {key} names no role of this server."), key=repr(key))
        options[key] = int(text)
    for key in CHECKS:
        options[key] = ctx.form.get(key) == "on"
    return options


def _submitted(ctx: Staff) -> dict[str, Any]:
    """What was typed, to show the form again as it was sent."""
    values: dict[str, Any] = {k: (ctx.form.get(k) or "")[:MAX_DM] for k in ("name", "trigger", "perk_pool", "dm",
                                                                          *NUMBERS, *ROLES)}
    for key in ROLES:
        values[key] = int(values[key]) if values[key].isdigit() and len(values[key]) < 20 else ""
    values.update({k: ctx.form.get(k) == "on" for k in CHECKS})
    return values


@staff
async def save_rule(request: web.Request, ctx: Staff) -> web.StreamResponse:
    """The form's two buttons: *Dry run* (``step=preview``) and, once a dry run was shown, *Save* (``step=save``)."""
    mode = "edit" if ctx.form.get("mode") == "edit" else "new"
    step = "save" if ctx.form.get("step") == "save" else "preview"
    svc = ctx.bot.app.rewards
    name = ctx.field("name", max_len=MAX_NAME, required=True)
    assert name is not None
    values = _submitted(ctx)
    tr = request_translator(request)
    current = None
    if mode == "edit":
        current = await svc.rule(ctx.guild.id, name)
        if current.origin == "config":
            raise NotAllowed(N_("Rule {name} comes from the config file; change it there."),
                             name=repr(name))
        base = {**form_base(current.config), "name": name}
    else:
        base = {"name": name}
    try:
        config = build_rule(base, _options(ctx))
        await svc.check_rule(ctx.guild.id, config)
        _effects(ctx).check_role(ctx.guild, config)
        if mode == "new" and name in {r.name for r in await svc.rules(ctx.guild.id)}:
            raise Conflict(N_("A rule called {name} exists already; edit it instead."), name=repr(name))
    except (KudosError, Refused) as exc:
        return await _form(request, ctx, mode=mode, values=values, http_status=status_of(exc),
                           problem=exc.translated(tr))
    fingerprint = digest(config)
    if step == "save" and ctx.form.get("previewed") == fingerprint:
        saved = await svc.save_rule(ctx.guild.id, config, actor_id=ctx.member.id, must_be_new=mode == "new")
        rule_text = plain(saved.describe(tr), ctx.guild)
        if mode == "new":
            text = tr("Added {rule}. It applies from now on; its dry run on this page applies it to members who "
                      "already qualify.", rule=rule_text)
        else:
            text = tr("Updated {rule}.", rule=rule_text)
        return await rewards_page(request, ctx, notice=text)
    rule = Rule(current.id if current else 0, name, config, origin="command")
    try:
        result = await svc.preview_rule(ctx.guild.id, rule)
        preview: Any = (result, [ctx.guild.get_member(u) for u in result.user_ids[:50]], None)
    except InvalidInput as exc:  # an event rule: nothing to replay, it applies from now on
        preview = (None, [], exc.translated(tr))
    problem = tr("The rule changed since its dry run: check this dry run, then save.") if step == "save" else None
    return await _form(request, ctx, mode=mode, values=values, preview=preview, previewed=fingerprint,
                       problem=problem, notice=tr("Dry run of {rule}. Nothing is saved yet.",
                                                  rule=plain(rule.describe(tr), ctx.guild)))


async def _turn(request: web.Request, ctx: Staff, *, on: bool) -> web.StreamResponse:
    name = ctx.field("name", max_len=MAX_NAME, required=True)
    assert name is not None
    svc = ctx.bot.app.rewards
    if on:
        _effects(ctx).check_role(ctx.guild, (await svc.rule(ctx.guild.id, name)).config)
    await svc.set_rule_enabled(ctx.guild.id, name, on, actor_id=ctx.member.id)
    tr = request_translator(request)
    text = (tr("Rule {name} is on again; its dry run applies it to members who qualified meanwhile.", name=name)
            if on else tr("Rule {name} is off: it earns nothing until it is turned on again.", name=name))
    return await rewards_page(request, ctx, notice=text)


@staff
async def disable_rule(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _turn(request, ctx, on=False)


@staff
async def enable_rule(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return await _turn(request, ctx, on=True)


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/rewards/rules/new", new_rule)
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/rewards/rules/edit", edit_rule)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/rewards/rules", save_rule)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/rewards/rules/disable", disable_rule)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/rewards/rules/enable", enable_rule)
