"""bot.platform.markdown: member text is inert, and ordinary text reads as written."""

from __future__ import annotations

import pytest

from bot.platform.markdown import block, inline


@pytest.mark.parametrize(("text", "inert"), [
    ("x](https://evil.example/phish) [y", "x\\]\\(https://evil.example/phish\\) \\[y"),
    ("-# tiny print", "\\-# tiny print"),
    ("# Heading", "\\# Heading"),
    ("> quote", "\\> quote"),
    ("@everyone look", "@\u200beveryone look"),
    ("<@424242> hi", "\\<@424242> hi"),
    ("line one\n# two", "line one # two"),
])
def test_inline_defuses_markup(text: str, inert: str) -> None:
    assert inline(text) == inert


@pytest.mark.parametrize("text", ["bonus: helper-bonus", "1+1=2", "C# and F# #1", "a - b", "rate > 5"])
def test_marks_that_only_count_at_a_line_start_stay_mid_line(text: str) -> None:
    assert inline(text) == text


def test_block_keeps_lines_and_escapes_each_line_start() -> None:
    assert block("Steps:\n- open\n  # then\r\n> done") == "Steps:\n\\- open\n  \\# then\n\\> done"
