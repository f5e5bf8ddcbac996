"""Settings: a server's settings as forms grouped the way config.example.toml groups them, each field with its
effective value and where it comes from; saving goes through the same ``bot.app.settings`` as ``/settings set``
(validated by the config models, audited, applied at once in every process). A group is saved all or nothing;
each field carries the version it was loaded at, and a save based on a stale one is refused (409) saying so."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import discord
from aiohttp import web

from bot.platform import deferred
from bot.platform.errors import Conflict, InvalidInput
from bot.platform.i18n import N_
from bot.settings import RESET, Setting
from bot.settings.keys import parse_value, toml_value
from bot.web.app import render
from bot.web.lang import request_translator
from bot.web.security import Refused, Staff, staff

GROUPS: dict[str, str] = {  # the groups' titles, said in the page's language (tr(group.title))
    "": N_("Roles"), "channels": N_("Channels"), "points": N_("Points"), "caps": N_("Caps"),
    "solutions": N_("Solutions"), "announcements": N_("Announcements"), "betas": N_("Betas"),
    "curation": N_("Curation"), "creation": N_("Creation"), "ledger": N_("Ledger"), "seasons": N_("Seasons"),
    "feedback": N_("Feedback"), "reward_delivery": N_("Reward delivery"), "privacy": N_("Privacy"),
    "insights": N_("Insights"),
}
_FIELD_PROBLEM = "`{key}`: {problem}"  # the settings service's message for one field's value
MAX_VALUE = 2000
_KEY_IN_ERROR = re.compile(r"^`([^`]+)`")


@dataclass(slots=True)
class Field:
    setting: Setting
    shown: Any  # str, or the list of names selected for "roles"/"channels"
    error: str | None = None

    @property
    def key(self) -> str:
        return self.setting.key.path


@dataclass(slots=True)
class Group:
    name: str
    title: str
    fields: list[Field] = field(default_factory=list)
    error: str | None = None


def _group_of(setting: Setting) -> str:
    return "seasons" if setting.key.path == "seasons" else setting.key.section


def _name(ref: Any, items: dict[int, str]) -> str:
    return items.get(ref, str(ref)) if isinstance(ref, int) else str(ref)


def _shown(setting: Setting, guild: discord.Guild) -> Any:
    value, kind = setting.value, setting.key.kind
    if kind == "roles":
        return [_name(v, {r.id: r.name for r in guild.roles}) for v in value or []]
    if kind == "channels":
        return [_name(v, {c.id: c.name for c in guild.channels}) for v in value or []]
    if value is None:
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("text", "choice", "role", "channel"):
        return _name(value, {c.id: c.name for c in [*guild.channels, *guild.roles]})
    return toml_value(value)


def _submitted(setting: Setting, form: Any) -> Any:
    """What the form sent for the field, in the shape :func:`_shown` gives (a str, or a list of names)."""
    name = f"f:{setting.key.path}"
    if setting.key.kind in ("roles", "channels"):
        return [v.strip() for v in form.getall(name, []) if isinstance(v, str) and v.strip()]
    value = form.get(name)
    if not isinstance(value, str):
        return None
    if len(value) > MAX_VALUE:
        raise Refused(400, N_("The field {path} is too long (at most {max_value} characters)."),
                           path=repr(setting.key.path), max_value=MAX_VALUE)
    return value if setting.key.kind == "text" else value.strip()


def _value(setting: Setting, text: Any) -> Any:
    """The submitted field as a config value (raises InvalidInput for a value that is not TOML)."""
    kind = setting.key.kind
    if kind in ("roles", "channels"):
        return [int(t) if t.isdigit() else t for t in text]
    if kind == "bool":
        if text not in ("true", "false"):
            raise InvalidInput(N_("choose true or false"))
        return text == "true"
    if kind in ("role", "channel"):
        return int(text) if text.isdigit() else text
    if kind in ("text", "choice"):
        return text
    return parse_value(text)


def _groups(ctx: Staff, settings: list[Setting]) -> dict[str, Group]:
    groups = {name: Group(name, title) for name, title in GROUPS.items()}
    for setting in settings:
        if setting.key.entry:
            continue  # a table's entries are edited in the table (caps.points_per_kind_per_day)
        groups.setdefault(_group_of(setting), Group(_group_of(setting), _group_of(setting))).fields.append(
            Field(setting, _shown(setting, ctx.guild)))
    return {k: g for k, g in groups.items() if g.fields}


def _page(request: web.Request, ctx: Staff, groups: dict[str, Group], *, http_status: int = 200,
          notice: str | None = None, problem: str | None = None) -> web.StreamResponse:
    return render(request, "settings.html", ctx=ctx, active="settings", groups=list(groups.values()),
                  roles=sorted(r.name for r in ctx.guild.roles if not r.is_default()),
                  channels=sorted(c.name for c in ctx.guild.channels), http_status=http_status, notice=notice,
                  problem=problem, version=ctx.bot.app.settings.version(ctx.guild.id))


@staff
async def page(request: web.Request, ctx: Staff) -> web.StreamResponse:
    return _page(request, ctx, _groups(ctx, ctx.bot.app.settings.show(ctx.guild.id)))


@staff
async def save(request: web.Request, ctx: Staff) -> web.StreamResponse:
    svc = ctx.bot.app.settings
    name = request.match_info["group"]
    groups = _groups(ctx, svc.show(ctx.guild.id))
    group = groups.get("" if name == "roles" else name)
    if group is None:
        raise Refused(404, N_("No such group of settings."))
    form = await request.post()  # the same form the staff check read (aiohttp keeps it): multi-selects
    tr = request_translator(request)
    changes: dict[str, Any] = {}
    expected: dict[str, int] = {}
    for item in group.fields:
        setting = item.setting
        version = form.get(f"v:{item.key}")
        if version is None:
            continue  # not in this form
        if not isinstance(version, str) or not version.isdigit() or len(version) > 9:
            raise Refused(400, N_("The version of {key} is not a number: reload the page."),
                               key=repr(item.key))
        if form.get(f"reset:{item.key}") == "1":
            if setting.source == "server":
                changes[item.key], expected[item.key] = RESET, int(version)
            continue
        text = _submitted(setting, form)
        if text is None or text == item.shown:
            continue
        item.shown = text  # shown again as typed if the save is refused
        try:
            changes[item.key] = _value(setting, text)
        except InvalidInput as exc:
            item.error = exc.translated(tr)
            continue
        expected[item.key] = int(version)
    title = tr(group.title)
    if any(f.error for f in group.fields):
        group.error = tr("Nothing in this group was saved: fix the fields marked below.")
        return _page(request, ctx, groups, http_status=400)
    if not changes:
        return _page(request, ctx, groups, notice=tr("{group}: nothing changed.", group=title))
    try:
        changed = await svc.change(ctx.guild.id, changes, ctx.member.id, expected=expected, via="dashboard")
    except (InvalidInput, Conflict) as exc:
        key = _KEY_IN_ERROR.match(exc.message)
        target = next((f for f in group.fields if key and f.key == key.group(1)), None)
        if target is not None:  # the field's own problem (a value's problem as the config models word it)
            target.error = (str(deferred.render(tr, exc.values["problem"]))
                            if exc.template == _FIELD_PROBLEM and "problem" in exc.values else exc.translated(tr))
        else:
            group.error = exc.translated(tr)
        status = 409 if isinstance(exc, Conflict) else 400
        if not group.error:
            group.error = (tr("Someone else saved this meanwhile: nothing in this group was saved. Check the field "
                              "marked below.") if status == 409 else
                           tr("Nothing in this group was saved: fix the field marked below."))
        return _page(request, ctx, groups, http_status=status)
    fresh = _groups(ctx, svc.show(ctx.guild.id))
    if changed:
        text = tr("{group}: saved {keys}. It applies now.", group=title, keys=", ".join(changed))
    else:
        text = tr("{group}: saved nothing new. It applies now.", group=title)
    return _page(request, ctx, fresh, notice=text)


def setup(app: web.Application) -> None:
    app.router.add_get(r"/g/{guild_id:\d{1,20}}/settings", page)
    app.router.add_post(r"/g/{guild_id:\d{1,20}}/settings/{group:[a-z_]{1,30}}", save)
