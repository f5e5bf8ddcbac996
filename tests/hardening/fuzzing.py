"""Shared Hypothesis strategies for fuzzing members' input: nasty text of every kind."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u0000"]
MARKDOWN = ["**bold**", "__u__", "~~s~~", "`code`", "```py\nprint(1)\n```", "> quote", "||spoiler||", "# H1",
            "[link](https://evil.example/x)", "-# small", "\\*", "*"]
URLS = ["https://example.com", "http://127.0.0.1:1/x", "https://discord.gg/invite", "javascript:alert(1)",
        "https://evil.example/" + "a" * 200]


def nasty_text(mention_users: list[int], mention_roles: list[int], max_size: int = 4000) -> st.SearchStrategy[str]:
    """Unicode, zero-width characters, markdown, @everyone/@here, user and role mentions, URLs, long text."""
    pieces = st.one_of(
        st.text(max_size=30),
        st.sampled_from(ZERO_WIDTH + MARKDOWN + URLS + ["@everyone", "@here", "<@&0>", "<#0>", "{code}", "{0}",
                                                        "%s", "' OR 1=1 --", "\"; DROP TABLE grants; --"]),
        st.sampled_from([f"<@{u}>" for u in mention_users] + [f"<@!{u}>" for u in mention_users] or ["x"]),
        st.sampled_from([f"<@&{r}>" for r in mention_roles] or ["x"]),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8),
    )
    joined = st.lists(pieces, max_size=12).map(" ".join)
    long = st.sampled_from(["x", "é", "😀", "@everyone ", "\u200b"]).map(lambda c: (c * 4000))
    return st.one_of(joined, joined, joined, long).map(lambda s: s[:max_size])


def option_value(d: dict[str, Any], users: list[int], roles: list[int], channels: dict[int, int],
                 text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Any value a Discord client may send for the option ``d`` (it enforces lengths, ranges and choices)."""
    otype = int(d["type"])
    if d.get("choices"):
        return st.sampled_from([c["value"] for c in d["choices"]])
    if otype == 3:
        lo, hi = int(d.get("min_length") or 0), int(d.get("max_length") or 6000)
        return text.map(lambda s: s[:hi]).filter(lambda s: len(s) >= lo) if lo else text.map(lambda s: s[:hi])
    if otype == 4:
        lo, hi = d.get("min_value"), d.get("max_value")
        return st.integers(min_value=int(lo) if lo is not None else -(2**53),
                           max_value=int(hi) if hi is not None else 2**53)
    if otype == 10:
        lo, hi = d.get("min_value"), d.get("max_value")
        return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)
    if otype == 5:
        return st.booleans()
    if otype == 6:
        return st.sampled_from(users)
    if otype == 7:
        allowed = d.get("channel_types")
        fitting = [cid for cid, ctype in channels.items() if not allowed or ctype in allowed]
        return st.sampled_from(fitting or list(channels))
    if otype == 8:
        return st.sampled_from(roles)
    if otype == 9:
        return st.sampled_from(users + roles)
    raise LookupError(f"no strategy for option type {otype}")
