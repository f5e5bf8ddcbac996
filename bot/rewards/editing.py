"""Making and changing a reward rule from staff input, the same way for ``/rewards rule add|edit`` and the
dashboard's rule form: the trigger's short form (``points:100/30d``), the options on top of a base rule, and the
validation by :class:`RewardConfig` with a one-line reason. Role ids only here (the Discord side resolves role
objects and checks that the bot can hand a role out)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import ValidationError

from bot.platform.config import RewardConfig
from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_

TRIGGER_HELP = ("event:beta_joined | points:100 | points:100/30d | points:100/season | kind:answer:5 | "
                "ladder:creator")
_TRIGGER = re.compile(r"^(?:(?P<event>event):(?P<name>\w+)|points:(?P<points>\d+)(?:/(?:(?P<days>\d+)d|(?P<season>season)))?"
                      r"|(?:kind:)?(?P<kind>[a-z]+):(?P<count>\d+)|ladder:(?P<stage>[\w-]+))$")
# Options that go under ``conditions`` (the rest are the rule's own keys).
CONDITION_OPTIONS = ("min_account_age_days", "min_membership_days", "has_role", "lacks_role")
# What the command and the form may set; other keys of a rule (role groups, bonus kind) come from the config file.
OPTIONS = ("trigger", "role", "role_duration_days", "perk_pool", "dm", "bonus_points", "repeatable", "cooldown_days",
           *CONDITION_OPTIONS, "demote")


def parse_trigger(text: str) -> dict[str, Any]:
    m = _TRIGGER.match(text.strip().lower())
    if not m:
        raise InvalidInput(N_("I can't read the trigger {text}. Use one of: {trigger_help}."),
                           text=repr(text), trigger_help=TRIGGER_HELP)
    if m["event"]:
        return {"event": m["name"]}
    if m["points"]:
        out: dict[str, Any] = {"points": int(m["points"])}
        if m["days"]:
            out["window_days"] = int(m["days"])
        if m["season"]:
            out["season"] = True
        return out
    if m["kind"]:
        return {"kind": m["kind"], "count": int(m["count"])}
    return {"ladder_stage": m["stage"]}


def trigger_text(config: RewardConfig) -> str:
    """The short form :func:`parse_trigger` reads back (``points:100/30d``), for a form showing a rule."""
    t = config.trigger
    if t.type == "event":
        return f"event:{t.event}"
    if t.type == "points":
        return f"points:{t.points}" + (f"/{t.window_days}d" if t.window_days else "/season" if t.season else "")
    if t.type == "kind":
        return f"kind:{t.kind}:{t.count}"
    return f"ladder:{t.ladder_stage}"


def validate_rule(data: dict[str, Any]) -> RewardConfig:
    try:
        return RewardConfig.model_validate(data, strict=False)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"] if p != "kudos_config")
        problem = (err.get("ctx") or {}).get("problem") or err["msg"]
        raise InvalidInput(N_("That rule doesn't work: {value}{problem}."),
                           value=where + ': ' if where else '', problem=problem) from None


def build_rule(base: dict[str, Any], options: dict[str, Any]) -> RewardConfig:
    """``base`` (``{"name": …}`` for a new rule, the current rule's dump for an edit) with the ``options`` that are
    not ``None`` on top; ``role`` an id, ``has_role`` / ``lacks_role`` an id or a list of ids, or ``[]`` to clear."""
    data = dict(base)
    conditions = dict(data.get("conditions") or {})
    for key, value in options.items():
        if value is None:
            continue
        if key not in OPTIONS:
            raise InvalidInput(N_("Unknown rule option {key}."), key=repr(key))
        if key == "trigger":
            data["trigger"] = parse_trigger(value)
        elif key in ("has_role", "lacks_role"):
            conditions[key] = list(value) if isinstance(value, list | tuple) else [value]
        elif key in CONDITION_OPTIONS:
            conditions[key] = value
        else:
            data[key] = value
    if conditions:
        data["conditions"] = conditions
    return validate_rule(data)


def digest(config: RewardConfig) -> str:
    """A short fingerprint of a rule's definition: the dashboard saves only the rule its dry run showed."""
    blob = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def form_base(config: RewardConfig) -> dict[str, Any]:
    """A rule without what the rule form shows (the form sends all of it: an empty field is cleared), keeping
    the keys only the config file sets (role groups, bonus kind)."""
    data = config.model_dump(mode="json")
    for key in OPTIONS:
        data.pop(key, None)
    conditions = {k: v for k, v in (data.pop("conditions", None) or {}).items() if k not in CONDITION_OPTIONS}
    if conditions:
        data["conditions"] = conditions
    return data
