"""The shared input-hygiene rules (bot/platform/text.py) and the bounded duration parser, as units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.betas.models import parse_when
from bot.platform.clock import DurationTooLong, parse_duration
from bot.platform.errors import InvalidInput
from bot.platform.text import check_range, check_text, is_invisible, strip_bidi

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", " ", "\u200b", "\u200b\u200c\u200d\u2060\ufeff", "\u202e\u2066 \u00a0",
                                  "\t\n\u3164", "\u00ad"])
def test_invisible(text: str) -> None:
    assert is_invisible(text)
    with pytest.raises(InvalidInput, match="The title can't be empty"):
        check_text(text, "title", required=True)


@pytest.mark.parametrize("text", ["a", "\u200ba", "😀", "٠"])
def test_visible(text: str) -> None:
    assert not is_invisible(text)
    assert check_text(text, "title", required=True) == text


def test_nul_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match="The reason contains a NUL character"):
        check_text("ok\x00", "reason")
    assert check_text(None, "reason") is None


def test_bidi_controls_are_stripped_from_titles_only() -> None:
    hostile = "abc\u202egpj.exe\u202c\u2066\u2069\u200e\u200f"
    assert strip_bidi(hostile) == "abcgpj.exe"
    assert check_text(hostile, "title", title=True) == "abcgpj.exe"
    assert check_text(hostile, "details") == hostile


def test_check_range() -> None:
    check_range(None, "points", low=0, high=10)
    check_range(10, "points", low=0, high=10)
    with pytest.raises(InvalidInput, match=r"The points must be between 0 and 10 \(got 11\)"):
        check_range(11, "points", low=0, high=10)
    with pytest.raises(InvalidInput, match="at least 1"):
        check_range(0, "entry", low=1)


def test_durations_are_bounded() -> None:
    assert parse_duration("1d12h") == timedelta(days=1, hours=12)
    with pytest.raises(DurationTooLong):
        parse_duration("99999999999999d")


@pytest.mark.parametrize("text", ["9999-12-31T23:59", "99999999d", "9999-12-31", "400d", "9" * 50 + "s"])
def test_parse_when_refuses_more_than_a_year_ahead(text: str) -> None:
    with pytest.raises(InvalidInput, match="too far ahead"):
        parse_when(text, NOW, what="time (option `at`)")


@pytest.mark.parametrize("text", ["0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00"])
def test_parse_when_offsets_out_of_range_are_unreadable(text: str) -> None:
    with pytest.raises(InvalidInput, match="can't read the time"):
        parse_when(text, NOW, what="time")


def test_parse_when_within_a_year() -> None:
    assert parse_when("365d", NOW, what="x") == NOW + timedelta(days=365)
    assert parse_when("2027-03-01", NOW, what="x") == datetime(2027, 3, 1, tzinfo=UTC)
