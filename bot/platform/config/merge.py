"""Deep merge of raw (TOML-shaped) configuration dictionaries."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["merge_overrides"]


def merge_overrides(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return a new dict: ``base`` with ``overrides`` applied on top.

    Tables (dicts) present on both sides are merged key by key, recursively; every other
    value (scalars, arrays, arrays of tables, or a table replacing a scalar) is replaced
    wholesale by the override. Neither argument is modified and the result shares no
    mutable state with them.
    """
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_overrides(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
