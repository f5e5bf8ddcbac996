"""Perk codes on their own: how much a masked code shows, and the shortest code an upload accepts."""

from __future__ import annotations

from bot.rewards.codes import MIN_CODE_LENGTH, mask_code, parse_codes


def test_a_masked_code_shows_at_most_a_quarter_of_itself() -> None:
    assert mask_code("ABCDE") == "•••••"
    assert mask_code("ABCDEFG") == "•••••••"
    assert mask_code("ABCDEFGH") == "A••••••H"
    assert mask_code("ABCD-1234-XYZ") == "A•••••••••••Z"
    assert mask_code("ACME-STORAGE-0001") == "AC•••••••••••••01"
    for n in range(0, 64):
        code = "".join(chr(ord("a") + i % 26) for i in range(n))
        masked = mask_code(code)
        assert len(masked) == n
        shown = sum(1 for ch in masked if ch != "•")
        assert shown * 4 <= n and shown <= 4, (n, masked)


def test_codes_shorter_than_the_minimum_are_refused_with_the_rule() -> None:
    assert MIN_CODE_LENGTH == 8
    short = parse_codes(b"GOOD-CODE-1\nABC1234\n")
    assert not short.ok and short.codes == [("GOOD-CODE-1", None)]
    assert short.invalid == ["line 2: ••••••• is not a valid code (8-200 letters, digits, - _ . : / + =)"]
    assert parse_codes(b"ABCD1234\n").codes == [("ABCD1234", None)]
