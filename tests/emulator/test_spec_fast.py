"""The fast spec check (bot/emulator/spec_fast.py) only ever says "valid" when jsonschema agrees.

Real request and answer bodies (an interaction callback with an embed, a message, a command with options) and
every one-step mutation of them (each key dropped, each value replaced by a value of another type, an
over-long string, a negative number, ...) are judged by both: whenever the fast check says valid, jsonschema
finds no error. The unmutated bodies are valid for the fast check, so the emulator's usual requests skip
jsonschema; an invalid request is still refused with jsonschema's message."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from bot.emulator import spec as spec_module
from bot.emulator.spec import SpecValidator

validator_here = SpecValidator()
needs_spec = pytest.mark.skipif(not validator_here.enabled, reason="Discord's OpenAPI spec is not here")

EMBED = {"title": "sam's kudos", "type": "rich", "color": 5793266, "flags": 0,
         "thumbnail": {"url": "https://cdn.discordapp.com/embed/avatars/5.png"},
         "fields": [{"inline": False, "name": "Points", "value": "**0** points"},
                    {"inline": True, "name": "Stage", "value": "**consumer**\nNext: curator"}]}
CALLBACK = {"type": 4, "data": {"tts": False, "content": None, "flags": 64, "embeds": [EMBED],
                                "allowed_mentions": {"parse": []}}}
MESSAGE = {"content": "hello", "embeds": [EMBED],
           "allowed_mentions": {"parse": ["users"], "users": ["1234567890123456789"]},
           "message_reference": {"message_id": "1234567890123456789", "fail_if_not_exists": False}}
COMMANDS = [{"name": "profile", "description": "Your kudos card", "type": 1,
             "options": [{"type": 6, "name": "member", "description": "whose card", "required": False},
                         {"type": 3, "name": "kind", "description": "a kind", "choices": [
                             {"name": "help", "value": "help"}, {"name": "code", "value": "code"}]},
                         {"type": 4, "name": "days", "description": "days", "min_value": 1, "max_value": 365}]}]
ANSWER = {"interaction": {"id": "1578076652875809163", "type": 2, "response_message_id": "1578076653580452236",
                          "response_message_loading": False, "response_message_ephemeral": True},
          "resource": {"type": 4, "message": {
              "id": "1578076653580452236", "channel_id": "1578076610463006724", "content": "",
              "author": {"id": "1578076610450423808", "username": "Kudos", "global_name": None, "discriminator": "0",
                         "avatar": None, "bot": True, "system": False, "public_flags": 0, "flags": 0,
                         "banner": None, "accent_color": None, "avatar_decoration_data": None, "collectibles": None,
                         "primary_guild": None},
              "timestamp": "2026-12-03T15:53:13.460701+00:00", "edited_timestamp": None, "tts": False,
              "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [EMBED],
              "components": [], "pinned": False, "type": 20, "flags": 64, "webhook_id": "1578076610450423808",
              "application_id": "1578076610450423808"}}}

CASES = [  # (method, path, status or None for a request, body)
    ("POST", "/interactions/1578076652875809163/tok/callback", None, CALLBACK),
    ("POST", "/channels/1578076610463006724/messages", None, MESSAGE),
    ("POST", "/applications/1578076610450423808/commands", None, COMMANDS[0]),
    ("POST", "/interactions/1578076652875809163/tok/callback", 200, ANSWER),
]
ODD_VALUES: list[Any] = [None, True, -1, 5, 1.5, "", "x" * 5000, [], {}, [None], {"z": 1}, "1234567890123456789"]


def _mutations(body: Any) -> Iterator[Any]:
    """Every body one step from ``body``: a key dropped or added, a value replaced by another JSON value."""
    def at(node: Any, path: list[Any]) -> Iterator[Any]:
        if isinstance(node, dict):
            for key in node:
                yield from at(node[key], [*path, key])
                dropped = copy.deepcopy(body)
                _get(dropped, path).pop(key)
                yield dropped
            added = copy.deepcopy(body)
            _get(added, path)["unexpected_key"] = 1
            yield added
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from at(item, [*path, i])
        if path:
            for value in ODD_VALUES:
                changed = copy.deepcopy(body)
                _get(changed, path[:-1])[path[-1]] = copy.deepcopy(value)
                yield changed
    yield from at(body, [])


def _get(node: Any, path: list[Any]) -> Any:
    for part in path:
        node = node[part]
    return node


def _validator(method: str, path: str, status: int | None) -> Any:
    spec = validator_here._spec
    assert spec is not None
    template = spec.find_path(path)
    assert template is not None
    if status is None:
        return spec.validator(method, template)
    return spec.response_validator(method, template, status)


@needs_spec
@pytest.mark.parametrize(("method", "path", "status", "body"), CASES, ids=["callback", "message", "command", "answer"])
def test_the_fast_check_says_valid_only_where_jsonschema_finds_no_error(
        method: str, path: str, status: int | None, body: Any) -> None:
    validator = _validator(method, path, status)
    fast = spec_module._FAST[id(validator)]
    assert fast(body) and not list(validator.iter_errors(body))  # the usual body skips jsonschema
    judged = refused = 0
    for mutated in _mutations(body):
        errors = list(validator.iter_errors(mutated))
        judged += 1
        refused += bool(errors)
        if fast(mutated):
            assert not errors, (mutated, errors[0].message)
    assert judged > 50 and refused > 20  # the mutations do reach invalid bodies


@needs_spec
def test_an_invalid_request_is_still_refused_with_jsonschemas_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec_module, "_VERDICTS", {})
    v = SpecValidator()
    path = "/interactions/1578076652875809163/tok/callback"
    assert v.body_error("POST", path, CALLBACK) is None
    too_long = copy.deepcopy(CALLBACK)
    too_long["data"]["embeds"][0]["title"] = "t" * 300  # an embed title is at most 256 characters
    problem = v.body_error("POST", path, too_long)
    assert problem is not None and "title" in problem
    wrong_type = copy.deepcopy(CALLBACK)
    wrong_type["type"] = 99
    assert v.body_error("POST", path, wrong_type) is not None
    assert v.validated == 3 and len(v.violations) == 2
    v.violations.clear()


@needs_spec
def test_integer_snowflakes_are_still_accepted_through_the_full_check() -> None:
    """discord.py sends some ids as integers; the fast check is not sure of those and jsonschema's pass (which
    coerces a snowflake given as an integer, as before) accepts them."""
    v = SpecValidator()
    body = copy.deepcopy(MESSAGE)
    body["message_reference"]["message_id"] = 1234567890123456789
    assert v.body_error("POST", "/channels/1578076610463006724/messages", body) is None
