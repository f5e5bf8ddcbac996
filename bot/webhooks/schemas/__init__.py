"""The JSON Schema of each outbound event type (``<type>.json``, draft 2020-12); docs/webhooks.md shows them."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def schema(type_: str) -> dict[str, Any]:
    return json.loads(resources.files(__name__).joinpath(f"{type_}.json").read_text(encoding="utf-8"))
