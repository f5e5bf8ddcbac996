"""Modals: what a modal the bot opens may hold, and the submission a member's client sends back.

The rules are Discord's, from discord-api-docs: ``interactions/receiving-and-responding.mdx`` (Modal: "Between
1 and 5 (inclusive) components", title max 45) and ``components/reference.mdx`` (which component may sit where,
the limits of each). The OpenAPI spec checks the shapes; this checks what it can't: where a component may be,
``custom_id`` uniqueness, ``disabled`` in a modal, ``min_values`` against ``required``, option counts.

A submission (:func:`submission`) is what Discord's client sends: each Label's child answers in its own shape
(text ``value``; select and upload ``values``; radio ``value``; checkbox ``value`` true/false), and the
entities picked (users, roles, channels, uploaded files) ride in ``data.resolved``. Uploaded files are
served at the emulator's CDN route like Discord's ephemeral attachments.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from bot.emulator.rules import FormErrors

TOP_LEVEL = {1: "action row", 10: "text display", 18: "label"}
# components/reference.mdx, Label Child Components
LABEL_CHILDREN = {3: "string select", 4: "text input", 5: "user select", 6: "role select", 7: "mentionable select",
                  8: "channel select", 19: "file upload", 21: "radio group", 22: "checkbox group", 23: "checkbox"}
ENTITY_SELECTS = {5: 6, 6: 8, 7: 9, 8: 7}  # select type -> the option type whose values it resolves like
MAX_VALUES = {3: 25, 5: 25, 6: 25, 7: 25, 8: 25, 19: 10, 22: 10}


def check_modal(data: dict[str, Any]) -> None:
    """Refuse a modal Discord refuses (50035 Invalid Form Body)."""
    errs = FormErrors()
    errs.too_long(["data", "title"], data.get("title"), 45)
    errs.too_long(["data", "custom_id"], data.get("custom_id"), 100)
    comps = data.get("components") or []
    if not 1 <= len(comps) <= 5:
        errs.add(["data", "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    seen: set[str] = set()
    for i, top in enumerate(comps):
        at: list[str | int] = ["data", "components", i]
        kind = top.get("type")
        if kind not in TOP_LEVEL:
            # reference.mdx: selects, uploads and checkboxes "must be placed inside a Label" in modals
            errs.add([*at, "type"], "UNION_TYPE_CHOICES",
                     f"Value of field \"type\" must be one of {tuple(TOP_LEVEL)} in a modal.")
        elif kind == 1:
            children = top.get("components") or []
            if len(children) != 1 or children[0].get("type") != 4:
                # only a text input may still sit in an action row (deprecated, reference.mdx, Text Input)
                errs.add([*at, "components"], "COMPONENT_TYPE_INVALID",
                         "An action row in a modal holds exactly one text input.")
            for j, child in enumerate(children):
                _check_child(errs, [*at, "components", j], child, seen)
        elif kind == 18:
            errs.too_long([*at, "label"], top.get("label"), 45)
            errs.too_long([*at, "description"], top.get("description"), 100)
            child = top.get("component")
            if not isinstance(child, dict) or child.get("type") not in LABEL_CHILDREN:
                errs.add([*at, "component"], "COMPONENT_TYPE_INVALID",
                         f"A label holds one of {sorted(LABEL_CHILDREN)}.")
            else:
                _check_child(errs, [*at, "component"], child, seen)
    errs.raise_if_any()


def _check_child(errs: FormErrors, at: list[str | int], c: dict[str, Any], seen: set[str]) -> None:
    cid = c.get("custom_id")
    if not isinstance(cid, str) or not 1 <= len(cid) <= 100:
        errs.add([*at, "custom_id"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    elif cid in seen:  # reference.mdx, Custom ID: "must be unique per component"
        errs.add([*at, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
    else:
        seen.add(cid)
    if c.get("disabled"):  # "Using disabled in a modal will result in an error."
        errs.add([*at, "disabled"], "COMPONENT_DISABLED_IN_MODAL",
                 "Modals can not currently have disabled components in them.")
    kind = c.get("type")
    options = c.get("options")
    if kind in MAX_VALUES:
        limit = MAX_VALUES[kind]
        default_hi = len(options or []) if kind == 22 else 1
        lo, hi = c.get("min_values"), c.get("max_values")
        lo_v = 1 if lo is None else int(lo)
        hi_v = default_hi if hi is None else int(hi)
        if not 0 <= lo_v <= limit:
            errs.add([*at, "min_values"], "NUMBER_TYPE_MAX", f"min_values must be between 0 and {limit}.")
        if not 1 <= hi_v <= limit:
            errs.add([*at, "max_values"], "NUMBER_TYPE_MAX", f"max_values must be between 1 and {limit}.")
        if lo_v > hi_v:
            errs.add([*at, "min_values"], "SELECT_COMPONENT_MIN_VALUES_TOO_LARGE",
                     "min_values can't be larger than max_values.")
        if c.get("required", True) and lo is not None and int(lo) == 0:
            # "min_values must be either omitted or at least 1 if required is omitted or true"
            errs.add([*at, "min_values"], "COMPONENT_REQUIRED_MIN_VALUES",
                     "min_values must be at least 1 when the component is required.")
    if kind == 3:
        if not isinstance(options, list) or not 1 <= len(options) <= 25:
            errs.add([*at, "options"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
        else:
            _check_options(errs, at, options)
            if sum(1 for o in options if o.get("default")) > int(c.get("max_values") or 1):
                errs.add([*at, "options"], "SELECT_COMPONENT_TOO_MANY_DEFAULTS",
                         "More options are selected by default than max_values allows.")
    elif kind in (21, 22):
        lo_n, hi_n = (2, 10) if kind == 21 else (1, 10)
        if not isinstance(options, list) or not lo_n <= len(options) <= hi_n:
            errs.add([*at, "options"], "BASE_TYPE_BAD_LENGTH", f"Must be between {lo_n} and {hi_n} in length.")
        else:
            _check_options(errs, at, options)
    elif kind == 19 and len(c.get("file_types") or []) > 10:
        errs.add([*at, "file_types"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    elif kind == 4:
        lo, hi = c.get("min_length"), c.get("max_length")
        if lo is not None and not 0 <= int(lo) <= 4000:
            errs.add([*at, "min_length"], "NUMBER_TYPE_MAX", "min_length must be between 0 and 4000.")
        if hi is not None and not 1 <= int(hi) <= 4000:
            errs.add([*at, "max_length"], "NUMBER_TYPE_MAX", "max_length must be between 1 and 4000.")
        errs.too_long([*at, "value"], c.get("value"), 4000)
        errs.too_long([*at, "placeholder"], c.get("placeholder"), 100)


def _check_options(errs: FormErrors, at: list[str | int], options: list[dict[str, Any]]) -> None:
    values = [o.get("value") for o in options]
    if len(set(values)) != len(values):
        errs.add([*at, "options"], "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED", "Option values must be unique.")
    for k, o in enumerate(options):
        for key in ("label", "value", "description"):
            errs.too_long([*at, "options", k, key], o.get(key), 100)


# ---------------------------------------------------------------------------------------------- submitting


class Filler:
    """Builds a modal submission from what a test gives, keyed by the field's label (or custom id):

    - text input: a string;
    - string select / radio group / checkbox group: an option's value or label (a list for several);
    - user / role / channel / mentionable select: an id or an object with ``.id`` (a list for several);
    - file upload: ``(filename, bytes[, content_type])`` or a list of them;
    - checkbox: True / False.

    What the member can't do in Discord's client is refused: a required field left empty, a value outside the
    component's limits, an option that isn't there, a channel of a type the select filters out, a file
    whose extension ``file_types`` excludes.
    """

    def __init__(self, values: dict[str, Any], *, error: Callable[[str], Exception],
                 resolve: Callable[[dict[str, Any], int, Any], str],
                 upload: Callable[[dict[str, Any], Any], str], channel_type: Callable[[Any], int | None]) -> None:
        self.values = values
        self.used: set[str] = set()
        self.resolved: dict[str, Any] = {}
        self._error, self._resolve, self._upload, self._channel_type = error, resolve, upload, channel_type

    def build(self, modal: dict[str, Any]) -> dict[str, Any]:
        rows = []
        for top in modal.get("components") or []:
            if top.get("type") == 1:
                rows.append({"type": 1, "components": [self._answer(c, None) for c in top.get("components") or []]})
            elif top.get("type") == 18 and isinstance(top.get("component"), dict):
                row: dict[str, Any] = {"type": 18, "component": self._answer(top["component"], top.get("label"))}
                if top.get("id") is not None:
                    row["id"] = top["id"]
                rows.append(row)
        unknown_keys = set(self.values) - self.used
        if unknown_keys:
            raise self._error(f"modal has no fields {sorted(unknown_keys)}")
        data: dict[str, Any] = {"custom_id": modal["custom_id"], "components": rows}
        if self.resolved:
            data["resolved"] = self.resolved
        return data

    def _given(self, comp: dict[str, Any], label: str | None) -> tuple[bool, Any]:
        for key in (label, comp.get("label"), comp["custom_id"]):
            if key is not None and key in self.values:
                self.used.add(key)
                return True, self.values[key]
        return False, None

    def _answer(self, comp: dict[str, Any], label: str | None) -> dict[str, Any]:
        kind = int(comp["type"])
        name = label or comp.get("label") or comp["custom_id"]
        given, value = self._given(comp, label)
        out: dict[str, Any] = {"type": kind, "custom_id": comp["custom_id"]}
        if comp.get("id") is not None:
            out["id"] = comp["id"]
        if kind == 4:
            out["value"] = self._text(comp, name, given, value)
        elif kind == 23:
            if given and not isinstance(value, bool):
                raise self._error(f"checkbox {name!r} takes True or False, not {value!r}")
            out["value"] = bool(value) if given else bool(comp.get("default", False))
        elif kind == 21:
            picked = self._options(comp, name, [value] if given and value is not None else None)
            if not picked and comp.get("required", True):
                raise self._error(f"modal field {name!r} is required: pick one of its options")
            out["value"] = picked[0] if picked else None
        elif kind in (3, 22):
            picked = self._options(comp, name, _listed(value) if given else None)
            self._count(comp, name, len(picked))
            out["values"] = picked
        elif kind in ENTITY_SELECTS:
            out["values"] = self._entities(comp, name, _listed(value) if given else None)
        elif kind == 19:
            files = _listed(value) if given else []
            self._count(comp, name, len(files))
            out["values"] = [self._file(comp, name, f) for f in files]
        else:
            raise self._error(f"the emulator can't fill a component of type {kind} ({name!r})")
        return out

    def _text(self, comp: dict[str, Any], name: str, given: bool, value: Any) -> str:
        if not given:
            if comp.get("required", True):
                raise self._error(f"modal field {name!r} is required")
            return ""
        value = str(value)
        lo, hi = comp.get("min_length"), comp.get("max_length")
        if value and ((lo is not None and len(value) < lo) or (hi is not None and len(value) > hi)):
            raise self._error(f"modal field {name!r} takes {lo or 0}-{hi or 4000} characters, not {len(value)}")
        return value

    def _count(self, comp: dict[str, Any], name: str, n: int) -> None:
        kind = int(comp["type"])
        required = comp.get("required", True)
        lo = comp.get("min_values")
        lo = (1 if required else 0) if lo is None else int(lo)
        hi = comp.get("max_values")
        hi = (len(comp.get("options") or []) if kind == 22 else 1) if hi is None else int(hi)
        if n == 0 and not required:
            return
        if not lo <= n <= hi:
            raise self._error(f"modal field {name!r} takes {lo}-{hi} value(s), not {n}")

    def _options(self, comp: dict[str, Any], name: str, wanted: list[Any] | None) -> list[str]:
        options = comp.get("options") or []
        if wanted is None:  # untouched: the options selected by default
            return [str(o["value"]) for o in options if o.get("default")]
        picked = []
        for w in wanted:
            match = next((o for o in options if str(w) in (o.get("value"), o.get("label"))), None)
            if match is None:
                raise self._error(f"modal field {name!r} has no option {w!r} "
                                  f"(options: {[o.get('label') for o in options]})")
            picked.append(str(match["value"]))
        return picked

    def _entities(self, comp: dict[str, Any], name: str, wanted: list[Any] | None) -> list[str]:
        kind = int(comp["type"])
        if wanted is None:
            wanted = [d["id"] for d in comp.get("default_values") or []]
        self._count(comp, name, len(wanted))
        types = comp.get("channel_types")
        out = []
        for w in wanted:
            if kind == 8 and types and self._channel_type(w) not in types:
                raise self._error(f"modal field {name!r} only offers channels of types {types}, not {w!r}")
            out.append(self._resolve(self.resolved, ENTITY_SELECTS[kind], w))
        return out

    def _file(self, comp: dict[str, Any], name: str, value: Any) -> str:
        types = comp.get("file_types") or []
        if types and isinstance(value, tuple) and value:
            filename = str(value[0])
            ext = os.path.splitext(filename)[1].lower()
            family = _FAMILIES.get(ext)
            if ext not in [t.lower() for t in types] and family not in types:
                raise self._error(f"modal field {name!r} takes {types}, not {filename!r}")
        return self._upload(self.resolved, value)


# reference.mdx, File Type Filtering: the families match by extension
_FAMILIES = {ext: "image" for ext in (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp")} | {
    ext: "video" for ext in (".mp4", ".webm", ".mov")} | {ext: "audio" for ext in (".mp3", ".ogg", ".wav", ".flac")}


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
