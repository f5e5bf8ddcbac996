"""Validate REST requests against Discord's official OpenAPI description (read at runtime, never copied)."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import re
import weakref
from collections import deque
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bot.emulator.spec_fast import Check, FastChecks

log = logging.getLogger(__name__)

DEFAULT_SPEC_PATH = "/work/shared/discord-api-spec/openapi.json"
SPEC_ENV = "KUDOS_DISCORD_SPEC"
_BASE_URI = "urn:discord-openapi"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")

# Process-wide totals across every Emulator (reported by the pytest plugin).
TOTALS: dict[str, int] = {"validated": 0, "violations": 0, "emulators": 0, "responses_validated": 0,
                          "response_violations": 0}

# Every Emulator created in this process; the pytest plugin turns TRACKING on and checks PENDING ones
# after each test.
EMULATORS: weakref.WeakSet[Any] = weakref.WeakSet()
TRACKING = {"on": False}
PENDING: list[Any] = []

_LOADED: dict[str, _Spec] = {}
# The compiled fast check (spec_fast.py) of each validator's schema, by id of the validator (validators are kept
# by their _Spec for the life of the process): "valid for certain" skips jsonschema; otherwise it runs as before.
_FAST: dict[int, Check] = {}

# The verdict on a large request body already validated in this process, by (spec, method, route, body as
# canonical JSON): validating is deterministic, and every start of a bot sends the same command sync (a PUT of
# every application command, about two seconds of schema validation on a slow machine), so a test run or a
# benchmark pays it once. Small bodies are validated each time (cheap, and rarely repeated).
_VERDICTS: dict[tuple[str, str, str, str], str | None] = {}
_VERDICT_MIN_CHARS = 4096
_VERDICTS_MAX = 64
# For the emulator's answers the key has every snowflake-shaped string (17 to 20 digits) replaced by one fixed
# snowflake: the answer to the command sync carries new ids each time, and the spec checks a snowflake's form,
# never its value.
_SNOWFLAKE_STRING = re.compile(r'"[1-9][0-9]{16,19}"')
_NOTICE_GIVEN = False
# How long after an answer is sent the emulator checks it against the spec (queue_response): long enough for
# the client's waiters to have run (an Event, then wait_for's task: a few loop turns).
_CHECK_AFTER_S = 0.005


def _register_emulator(emu: Any) -> None:
    EMULATORS.add(emu)
    TOTALS["emulators"] += 1
    if TRACKING["on"]:
        PENDING.append(emu)


def _absolutize(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _absolutize(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = _BASE_URI + ref
        return out
    if isinstance(node, list):
        return [_absolutize(v) for v in node]
    return node


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    rx = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{rx}$")


def template_specificity(template: str) -> tuple[int, int]:
    segs = template.strip("/").split("/")
    return (-sum(1 for s in segs if not s.startswith("{")), -len(segs))


class _Spec:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = _absolutize(doc)
        resource = Resource.from_contents(self.doc, default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource(_BASE_URI, resource)
        self.paths: list[tuple[str, re.Pattern[str]]] = sorted(
            ((p, _template_regex(p)) for p in self.doc["paths"]), key=lambda t: template_specificity(t[0])
        )
        self._validators: dict[tuple[str, ...], Draft202012Validator | None] = {}
        self._fast = FastChecks(self._resolve)

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith(_BASE_URI + "#/"):
            raise LookupError(ref)
        try:
            return self._deref({"$ref": ref})
        except (KeyError, IndexError, TypeError) as exc:
            raise LookupError(ref) from exc

    def _compiled(self, schema: Any) -> Draft202012Validator | None:
        if schema is None:
            return None
        validator = Draft202012Validator(schema, registry=self.registry)
        _FAST[id(validator)] = self._fast.check(schema)
        return validator

    def find_path(self, path: str) -> str | None:
        for template, rx in self.paths:
            if rx.match(path):
                return template
        return None

    def _deref(self, node: Any) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"].removeprefix(_BASE_URI + "#/").split("/")
            node = self.doc
            for part in ref:
                node = node[part]
        return node

    def response_entry(self, method: str, template: str, status: int) -> dict[str, Any] | None:
        op = self.doc["paths"].get(template, {}).get(method.lower()) or {}
        responses = op.get("responses") or {}
        entry = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        return self._deref(entry) if entry is not None else None

    def response_validator(self, method: str, template: str, status: int) -> Draft202012Validator | None:
        key = (f"response {status}", method, template)
        if key not in self._validators:
            entry = self.response_entry(method, template, status) or {}
            schema = (((entry.get("content") or {}).get("application/json")) or {}).get("schema")
            self._validators[key] = self._compiled(schema)
        return self._validators[key]

    def validator(self, method: str, template: str) -> Draft202012Validator | None:
        key = (method, template)
        if key not in self._validators:
            op = self.doc["paths"].get(template, {}).get(method.lower()) or {}
            schema = (((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get("schema")
            self._validators[key] = self._compiled(schema)
        return self._validators[key]


def _load(path: str) -> _Spec | None:
    global _NOTICE_GIVEN
    if path in _LOADED:
        return _LOADED[path]
    if not Path(path).is_file():
        if not _NOTICE_GIVEN:
            log.warning("Discord OpenAPI spec not found at %s: request validation is skipped", path)
            _NOTICE_GIVEN = True
        return None
    with open(path, encoding="utf-8") as fh:
        spec = _Spec(json.load(fh))
    _LOADED[path] = spec
    return spec


def _is_snowflake_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (
        schema.get("format") == "snowflake" or schema.get("pattern") == "^(0|[1-9][0-9]*)$"
    )


_BITFIELD_KEYS = {"permissions", "allow", "deny", "default_member_permissions"}


def _types(schema: Any) -> list[str]:
    t = schema.get("type") if isinstance(schema, dict) else None
    return [t] if isinstance(t, str) else list(t or [])


def _walk_errors(errors: Any) -> Any:
    for err in errors:
        yield err
        if err.context:
            yield from _walk_errors(err.context)


def _set_at(instance: Any, path: list[Any], value: Any) -> None:
    node = instance
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _describe(errors: list[ValidationError]) -> str:
    """The most specific failure: among oneOf/anyOf branches, the leaf error deepest in the instance."""
    leaves = [e for e in _walk_errors(errors) if not e.context] or errors
    best = max(leaves, key=lambda e: (len(e.absolute_path), e.validator == "required"))
    where = "/".join(str(p) for p in best.absolute_path) or "<body>"
    return f"{where}: {best.message[:300]}"


def _spec_gaps(status: int, body: Any) -> Any:
    """Where the spec itself is wrong, make the emulator's (Discord-like) answer fit it before validating.

    - Field errors: the spec's ``InnerErrors`` types ``_errors[].code`` as an integer, but Discord sends strings
      such as "BASE_TYPE_REQUIRED" (opcodes-and-status-codes.mdx, "Example JSON Error Response").
    - 429 bodies: the spec's ``RatelimitedResponse`` requires ``code``; rate-limits.mdx lists it as "code?" and
      its examples have none.
    """
    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: fix(v) for k, v in node.items()}
            if isinstance(out.get("_errors"), list):
                out["_errors"] = [dict(e, code=0) if isinstance(e, dict) and isinstance(e.get("code"), str) else e
                                  for e in out["_errors"]]
            return out
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    if status >= 400 and isinstance(body, dict):
        body = fix(body)
        if status == 429 and "code" not in body:
            body = dict(body, code=0)
    return body


class SpecValidator:
    """Validates request bodies and the emulator's answers; keeps counts and the violations found."""

    def __init__(self, spec_path: str | None = None) -> None:
        self.path = spec_path or os.environ.get(SPEC_ENV) or DEFAULT_SPEC_PATH
        self._spec = _load(self.path)
        self.validated = 0
        self.violations: list[tuple[str, str, str]] = []
        self._responses_validated = 0
        self._response_violations: list[tuple[str, str, str]] = []
        self._answers: deque[tuple[str, str, int, bytes | None]] = deque()
        self._drain_scheduled = False

    @property
    def responses_validated(self) -> int:
        self.drain()
        return self._responses_validated

    @property
    def response_violations(self) -> list[tuple[str, str, str]]:
        """The answers found against the spec (every answer queued so far is checked first)."""
        self.drain()
        return self._response_violations

    def queue_response(self, method: str, path: str, status: int, body: bytes | None) -> None:
        """Check an answer (its JSON bytes, as sent) once it is on its way: a few milliseconds later, or when
        :attr:`response_violations` is read, whichever comes first. Every answer is still checked; the
        client just doesn't wait for the emulator to read the spec (a few milliseconds of ``jsonschema`` for a
        message), as it doesn't wait for Discord's own bookkeeping."""
        self._answers.append((method, path, status, body))
        if self._drain_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.drain()
            return
        self._drain_scheduled = True
        loop.call_later(_CHECK_AFTER_S, self.drain)

    def drain(self) -> None:
        self._drain_scheduled = False
        while self._answers:
            method, path, status, body = self._answers.popleft()
            self.check_response(method, path, status, None if body is None else json.loads(body))

    @property
    def enabled(self) -> bool:
        return self._spec is not None

    def _violation(self, method: str, path: str, message: str) -> None:
        self.violations.append((method, path, message))
        TOTALS["violations"] += 1
        log.error("Discord spec violation: %s %s: %s", method, path, message)

    def check_route(self, method: str, path: str) -> str | None:
        """Return the spec's template for ``path``; record a violation if the spec has no such operation."""
        if self._spec is None:
            return None
        template = self._spec.find_path(path)
        if template is None or method.lower() not in self._spec.doc["paths"][template]:
            self._violation(method, path, "route is not in Discord's API spec")
            return None
        return template

    def validate(self, method: str, path: str, body: Any) -> bool:
        """Validate a JSON body sent to ``method path`` (path relative to /api/v10). True when valid."""
        return self.body_error(method, path, body) is None

    def body_error(self, method: str, path: str, body: Any) -> str | None:
        """Like :meth:`validate` but return the violation message for an invalid body (None otherwise)."""
        if self._spec is None:
            return None
        template = self.check_route(method, path)
        if template is None:
            return None
        validator = self.validator_for(method, template)
        if validator is None or body is None:
            return None
        canonical = json.dumps(body, sort_keys=True, default=str)
        key = (self.path, method.upper(), template, canonical)
        if len(canonical) >= _VERDICT_MIN_CHARS and key in _VERDICTS:
            verdict = _VERDICTS[key]
            self._count_validated()
            if verdict is not None:
                self._violation(method, path, verdict)
            return verdict
        verdict = self._body_verdict(validator, body)
        self._count_validated()
        if len(canonical) >= _VERDICT_MIN_CHARS and len(_VERDICTS) < _VERDICTS_MAX:
            _VERDICTS[key] = verdict
        if verdict is not None:
            self._violation(method, path, verdict)
        return verdict

    def _count_validated(self) -> None:
        self.validated += 1
        TOTALS["validated"] += 1

    @staticmethod
    def _body_verdict(validator: Draft202012Validator, body: Any) -> str | None:
        fast = _FAST.get(id(validator))
        if fast is not None and fast(body):
            return None  # valid for certain (spec_fast.py); anything else gets jsonschema's full verdict
        instance = copy.deepcopy(body)
        errors: list[ValidationError] = []
        for _ in range(50):  # coerce integer snowflakes to strings where the spec wants a snowflake
            errors = list(validator.iter_errors(instance))
            fixes = [e for e in _walk_errors(errors) if e.validator == "type" and list(e.absolute_path)]
            changed = False
            for e in fixes:
                path_ = list(e.absolute_path)
                if isinstance(e.instance, int) and not isinstance(e.instance, bool) and _is_snowflake_schema(e.schema):
                    _set_at(instance, path_, str(e.instance))
                    changed = True
                elif (isinstance(e.instance, str) and e.instance.isdigit() and path_[-1] in _BITFIELD_KEYS
                      and "integer" in _types(e.schema)):
                    # Discord documents permission bitfields as strings; parts of the spec say integer
                    _set_at(instance, path_, int(e.instance))
                    changed = True
            if not changed:
                break
        if not errors:
            return None
        best = best_match(errors)
        where = "/".join(str(p) for p in best.absolute_path) or "<body>"
        return f"{where}: {best.message[:300]}"

    def check_response(self, method: str, path: str, status: int, body: Any) -> str | None:
        """Validate an answer of the emulator against the spec's response schema for that status. Returns the
        violation (also recorded), or None."""
        if self._spec is None:
            return None
        template = self._spec.find_path(path)
        if template is None or method.lower() not in self._spec.doc["paths"][template]:
            return None  # the request side reports unknown routes
        self._responses_validated += 1
        TOTALS["responses_validated"] += 1
        message: str | None = None
        if self._spec.response_entry(method, template, status) is None:
            message = f"status {status} is not an answer the spec documents"
        elif body is not None:
            validator = self._spec.response_validator(method, template, status)
            if validator is not None:
                canonical = json.dumps(body, sort_keys=True, default=str)
                key = (self.path, f"answer {method.upper()} {status}", template,
                       _SNOWFLAKE_STRING.sub('"100000000000000000"', canonical))
                if len(canonical) >= _VERDICT_MIN_CHARS and key in _VERDICTS:
                    message = _VERDICTS[key]
                else:
                    instance = _spec_gaps(status, body)
                    fast = _FAST.get(id(validator))
                    if fast is not None and fast(instance):
                        message = None  # valid for certain (spec_fast.py)
                    else:
                        errors = list(validator.iter_errors(instance))
                        message = _describe(errors) if errors else None
                    if len(canonical) >= _VERDICT_MIN_CHARS and len(_VERDICTS) < _VERDICTS_MAX:
                        _VERDICTS[key] = message
        if message is not None:
            self._response_violations.append((method, path, f"{status} {message}"))
            TOTALS["response_violations"] += 1
            log.error("Discord spec violation in the emulator's answer: %s %s: %s %s", method, path, status, message)
        return message

    def validator_for(self, method: str, template: str) -> Draft202012Validator | None:
        assert self._spec is not None
        return self._spec.validator(method, template)
