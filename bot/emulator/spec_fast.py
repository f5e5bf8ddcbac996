"""A fast, conservative check that a JSON value is valid against a schema of Discord's OpenAPI description.

``jsonschema`` walks a schema through generic machinery (a new validator object per sub-schema, every ``$ref``
looked up through ``referencing``): 3 ms for an interaction callback on this machine, 10 ms for the answer
with its message. This module compiles each schema once into plain Python closures that answer only "valid
for certain" (True) or "not sure" (False). A False is never a verdict: the caller then runs ``jsonschema``
as before, which gives the verdict and its message (and coerces integer snowflakes, as the emulator does).
So the check may be stricter than the spec (it is, on purpose, wherever that is simpler), but it must never
call an invalid value valid:

- every keyword ``jsonschema`` validates in draft 2020-12 is either implemented here with the same meaning or
  compiles to "not sure" (``not``, ``if``, ``patternProperties``, ``prefixItems``, ``$dynamicRef`` ...; a
  sub-schema with its own ``$id`` or anchor, too, since it would change how references resolve);
- ``integer`` accepts only ``int`` (not ``1.0``), ``const``/``enum`` compare type and value strictly, and
  ``uniqueItems`` is decided only for arrays of strings, integers and booleans;
- ``format`` is an annotation for ``jsonschema`` without a format checker (the emulator's validators have
  none), so it is not checked here either.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

Check = Callable[[Any], bool]

_VALIDATED = frozenset(Draft202012Validator.VALIDATORS)
_HANDLED = frozenset({
    "$ref", "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
    "uniqueItems", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "const", "enum", "pattern", "format", "minProperties", "maxProperties", "oneOf", "anyOf", "allOf",
})
_SCOPE_KEYWORDS = frozenset({"$id", "$anchor", "$dynamicAnchor", "$recursiveAnchor", "$recursiveRef"})


def _yes(_: Any) -> bool:
    return True


def _no(_: Any) -> bool:
    return False


def _is_number(x: Any) -> bool:
    return (type(x) is int or type(x) is float)


_TYPE_TESTS: dict[str, Check] = {
    "object": lambda x: type(x) is dict,
    "array": lambda x: type(x) is list,
    "string": lambda x: type(x) is str,
    "integer": lambda x: type(x) is int,
    "number": _is_number,
    "boolean": lambda x: type(x) is bool,
    "null": lambda x: x is None,
}


def _JSON_TYPES_OF(x: Any) -> set[str]:  # noqa: N802 - a table-like helper
    """Every type name of draft 2020-12 ``x`` can satisfy (generous: used only to refute)."""
    t = type(x)
    if t is dict:
        return {"object"}
    if t is list:
        return {"array"}
    if t is str:
        return {"string"}
    if t is bool:
        return {"boolean"}
    if x is None:
        return {"null"}
    if t is int:
        return {"integer", "number"}
    return {"integer", "number"}  # a float (1.0 is an integer for jsonschema) or anything unexpected


def _differs(x: Any, c: Any) -> bool:
    """True only when ``jsonschema`` certainly finds ``x`` unequal to ``c``: a string against a non-string, or
    two strings or two (non-boolean) integers of different value."""
    if type(x) is str or type(c) is str:
        return type(x) is not type(c) or x != c
    return type(x) is int and type(c) is int and x != c


def same(a: Any, b: Any) -> bool:
    """JSON equality, stricter than ``jsonschema``'s (1 and 1.0 differ here; they are equal there)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _unique(items: list[Any]) -> bool:
    seen: set[tuple[type, Any]] = set()
    for x in items:
        if type(x) not in (str, int, bool):
            return False  # not decided here: "not sure"
        key = (type(x), x)
        if key in seen:
            return False
        seen.add(key)
    return True


class FastChecks:
    """Compiled checks of one spec document, one per schema object (the schemas live as long as the spec)."""

    def __init__(self, resolve: Callable[[str], Any]) -> None:
        self._resolve = resolve  # an absolute $ref -> its schema, or raises LookupError
        self._compiled: dict[int, tuple[Any, Check]] = {}

    def check(self, schema: Any) -> Check:
        if schema is True:
            return _yes
        if schema is False or not isinstance(schema, dict):
            return _no
        hit = self._compiled.get(id(schema))
        if hit is not None and hit[0] is schema:
            return hit[1]
        fn = self._build(schema)
        self._compiled[id(schema)] = (schema, fn)  # the schema is kept, so its id is never reused meanwhile
        return fn

    def _ref(self, ref: str) -> Check:
        cell: list[Check] = []

        def follow(x: Any) -> bool:
            if not cell:
                try:
                    cell.append(self.check(self._resolve(ref)))
                except LookupError:
                    cell.append(_no)
            return cell[0](x)

        return follow

    def _refute(self, schema: Any, depth: int = 0) -> Check:
        """A test true only for values ``schema`` certainly rejects: a type it excludes, a required property
        missing, a present property whose ``const`` differs (of the same JSON type), through ``$ref`` and
        ``allOf``. Anything else: not refuted."""
        if schema is False:
            return _yes
        if not isinstance(schema, dict) or depth > 8:
            return _no
        tests: list[Check] = []
        if isinstance(schema.get("$ref"), str):
            try:
                target = self._resolve(schema["$ref"])
            except LookupError:
                target = None
            if target is not None:
                tests.append(self._refute(target, depth + 1))
        for part in schema.get("allOf") or ():
            tests.append(self._refute(part, depth + 1))
        if "type" in schema:
            names = {schema["type"]} if isinstance(schema["type"], str) else set(schema["type"])
            tests.append(lambda x: not (names & _JSON_TYPES_OF(x)))
        if "const" in schema:
            c = schema["const"]
            tests.append(lambda x: _differs(x, c))
        if isinstance(schema.get("enum"), list):
            options = schema["enum"]
            tests.append(lambda x: all(_differs(x, o) for o in options))
        req = schema.get("required")
        if isinstance(req, list) and req:
            tests.append(lambda x: type(x) is dict and any(k not in x for k in req))
        props = schema.get("properties")
        if isinstance(props, dict):
            # a discriminator: a property with its own const or enum (such as an option's or callback's "type")
            keyed = [(k, self._refute(v, depth + 1)) for k, v in props.items()
                     if isinstance(v, dict) and ("const" in v or "enum" in v)]
            if keyed:
                tests.append(lambda x: type(x) is dict and any(k in x and r(x[k]) for k, r in keyed))
        if not tests:
            return _no
        return lambda x: any(t(x) for t in tests)

    def _build(self, s: dict[str, Any]) -> Check:  # noqa: C901 - one branch per keyword
        keys = s.keys()
        if (keys & _VALIDATED) - _HANDLED or keys & _SCOPE_KEYWORDS:
            return _no
        first: list[Check] = []  # cheap tests first: a failing oneOf branch usually fails on a const
        later: list[Check] = []
        if "type" in s:
            names = [s["type"]] if isinstance(s["type"], str) else list(s["type"])
            if any(n not in _TYPE_TESTS for n in names):
                return _no
            tests = [_TYPE_TESTS[n] for n in names]
            first.append(tests[0] if len(tests) == 1 else (lambda x: any(t(x) for t in tests)))
        if "const" in s:
            c = s["const"]
            first.append(lambda x: same(x, c))
        if "enum" in s:
            options = list(s["enum"])
            first.append(lambda x: any(same(x, o) for o in options))
        if "required" in s:
            req = list(s["required"])
            first.append(lambda x: type(x) is not dict or all(k in x for k in req))
        if "minProperties" in s or "maxProperties" in s:
            lo, hi = s.get("minProperties", 0), s.get("maxProperties", float("inf"))
            first.append(lambda x: type(x) is not dict or lo <= len(x) <= hi)
        if "minLength" in s or "maxLength" in s:
            lo_s, hi_s = s.get("minLength", 0), s.get("maxLength", float("inf"))
            first.append(lambda x: type(x) is not str or lo_s <= len(x) <= hi_s)
        for word, ok in (("minimum", lambda v, m: v >= m), ("maximum", lambda v, m: v <= m),
                         ("exclusiveMinimum", lambda v, m: v > m), ("exclusiveMaximum", lambda v, m: v < m)):
            if word in s:
                bound = s[word]
                if not _is_number(bound):
                    return _no
                first.append(lambda x, b=bound, ok=ok: not _is_number(x) or ok(x, b))
        if "pattern" in s:
            rx = re.compile(s["pattern"])
            first.append(lambda x: type(x) is not str or rx.search(x) is not None)
        if "minItems" in s or "maxItems" in s:
            lo_i, hi_i = s.get("minItems", 0), s.get("maxItems", float("inf"))
            first.append(lambda x: type(x) is not list or lo_i <= len(x) <= hi_i)
        if s.get("uniqueItems") is True:
            first.append(lambda x: type(x) is not list or _unique(x))
        if "properties" in s or "additionalProperties" in s:
            props = s.get("properties") or {}
            if not isinstance(props, dict):
                return _no
            # properties with a const (a discriminator such as "type") first
            order = sorted(props, key=lambda k: not (isinstance(props[k], dict) and "const" in props[k]))
            checks = [(k, self.check(props[k])) for k in order]
            extra = s.get("additionalProperties", True)
            extra_check = None if extra is True else self.check(extra)
            known = frozenset(props)

            def objects(x: Any) -> bool:
                if type(x) is not dict:
                    return True
                for k, fn in checks:
                    if k in x and not fn(x[k]):
                        return False
                if extra_check is not None:
                    for k, v in x.items():
                        if k not in known and not extra_check(v):
                            return False
                return True

            later.append(objects)
        if "items" in s:
            if not isinstance(s["items"], dict | bool):
                return _no
            item = self.check(s["items"])
            later.append(lambda x: type(x) is not list or all(item(v) for v in x))
        if "$ref" in s:
            if not isinstance(s["$ref"], str):
                return _no
            later.append(self._ref(s["$ref"]))
        if "allOf" in s:
            parts = [self.check(p) for p in s["allOf"]]
            later.append(lambda x: all(p(x) for p in parts))
        if "anyOf" in s:
            alts = [self.check(p) for p in s["anyOf"]]
            later.append(lambda x: any(p(x) for p in alts))
        if "oneOf" in s:
            # Exactly one branch valid: one is valid for certain and every other is refuted for certain (a
            # branch merely "not sure" might be valid too, which would make the whole oneOf invalid).
            branches = [(self.check(p), self._refute(p)) for p in s["oneOf"]]

            def exactly_one(x: Any) -> bool:
                found = False
                for valid, refuted in branches:
                    if refuted(x):
                        continue
                    if found or not valid(x):
                        return False
                    found = True
                return found

            later.append(exactly_one)
        steps = first + later
        if not steps:
            return _yes
        if len(steps) == 1:
            return steps[0]

        def all_of(x: Any) -> bool:
            for step in steps:
                if not step(x):
                    return False
            return True

        return all_of
