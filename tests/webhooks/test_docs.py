"""docs/webhooks.md shows each event type's JSON Schema exactly as the file the tests validate against, and
every type of the catalogue has a valid schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator

from bot.platform.events import OUTBOUND_TYPES
from bot.webhooks.schemas import schema
from bot.webhooks.signing import sign, verify

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def test_the_page_shows_every_schema_as_the_files_have_it() -> None:
    text = DOC.read_text(encoding="utf-8")
    shown = {m.group(1): json.loads(m.group(2))
             for m in re.finditer(r"### `([a-z_.]+)`\n\n[^\n]*\n\n```json\n(.*?)\n```", text, re.S)}
    assert sorted(shown) == sorted(OUTBOUND_TYPES)
    for type_ in OUTBOUND_TYPES:
        Draft202012Validator.check_schema(schema(type_))
        assert shown[type_] == schema(type_), type_
        assert schema(type_)["properties"]["type"] == {"const": type_}


def test_the_documented_recipe_verifies_what_kudos_signs() -> None:
    from datetime import UTC, datetime

    text = DOC.read_text(encoding="utf-8")
    recipe = re.search(r"```python\n(def verify.*?|import hashlib.*?)```", text, re.S)
    assert recipe is not None
    namespace: dict[str, object] = {}
    exec(recipe.group(1), namespace)  # noqa: S102 - the page's own example code
    now = datetime.now(UTC)  # the recipe reads time.time(), so the header must be signed for now
    body = b'{"id":"evt_x"}'
    header = sign("s3cret", now, body)
    assert namespace["verify"]("s3cret", header, body) is True  # type: ignore[operator]
    assert namespace["verify"]("other", header, body) is False  # type: ignore[operator]
    assert namespace["verify"]("s3cret", header, body + b" ") is False  # type: ignore[operator]
    assert verify("s3cret", header, body, now=now)
