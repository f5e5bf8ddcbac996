"""The config loader fuzzed: random TOML text and random values at real key paths of config.example.toml.

Every input ends as a valid config or one ConfigError line naming the problem, never another exception.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.platform.config import ConfigError, KudosConfig
from bot.platform.config.loader import loads_config, parse_config
from tests.hardening.support import COUNTS

EXAMPLE = tomllib.loads((Path(__file__).parents[2] / "config.example.toml").read_text())
FUZZ = settings(max_examples=int(os.environ.get("KUDOS_FUZZ_EXAMPLES", "50")), deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

scalars = st.one_of(
    st.integers(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(), st.booleans(), st.text(max_size=40),
    st.sampled_from(["", "0", "-1", "1e9", "nan", "inf", "@everyone", "<@&1>", "\u200b", "x" * 5000, "UTC",
                     "Not/AZone", "0 0 * * *", "* * *", "sqlite+aiosqlite:///k.db", "postgresql://u:pw@h/db",
                     "staff", "Staff", "#general", "123456789012345678"]),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)), st.dates(), st.times(),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=8)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, prefix + (i,))
    return out


ALL_PATHS = paths(EXAMPLE)


def outcome(call: Any) -> None:
    COUNTS["fuzz inputs"] += 1
    try:
        result = call()
    except ConfigError as exc:
        text = str(exc)
        assert text and "\n" not in text, repr(text)
        assert "Traceback" not in text
        return
    assert isinstance(result, KudosConfig)


def test_the_example_config_is_valid() -> None:
    assert isinstance(parse_config(EXAMPLE), KudosConfig)


@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(ALL_PATHS), values, st.sampled_from(["set", "delete", "add"])),
                      min_size=1, max_size=4))
def test_random_values_at_real_key_paths(edits: list[tuple[tuple[Any, ...], Any, str]]) -> None:
    data = copy.deepcopy(EXAMPLE)
    for path, value, how in edits:
        node: Any = data
        try:
            for key in path[:-1]:
                node = node[key]
            last = path[-1]
            if how == "delete":
                del node[last]
            elif how == "add" and isinstance(node, dict):
                node[f"{last}_extra"] = value
            else:
                node[last] = value
        except (KeyError, IndexError, TypeError):
            continue
    outcome(lambda: parse_config(data))


toml_lines = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["[bot]", "[guilds.default]", "[guilds.123]", "[[guilds.default.rewards]]", "[scheduler]",
                     "[[scheduler.cron]]", "[guilds.default.channels]", "[guilds.default.betas]", "a = 1",
                     'database_url = "sqlite+aiosqlite:///x.db"', "log_level = 'LOUD'", "x = [1, 'a']",
                     "x = {a = 1}", "staff_roles = ['Staff', 7]", 'name = "a"', "count = -3", "= 1", "[", "]]",
                     'trigger = { kind = "answer", count = 0 }', "shard_count = 1e400", "\ufeff[bot]", "\x00"]),
)


@FUZZ
@given(lines=st.lists(toml_lines, max_size=10))
def test_random_toml_text(lines: list[str]) -> None:
    outcome(lambda: loads_config("\n".join(lines)))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_random_bytes_in_a_file(raw: bytes) -> None:
    import tempfile

    from bot.platform.config import load_config

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_bytes(raw)
        outcome(lambda: load_config(path))
