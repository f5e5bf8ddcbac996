"""A large request body the spec validator has judged before (the command sync every bot start sends) is not
validated again: the verdict is the same, a violation is still recorded each time, and a different body (one
character apart) is validated on its own."""

from __future__ import annotations

import pytest

from bot.emulator import spec as spec_module
from bot.emulator.spec import SpecValidator

validator_here = SpecValidator()
needs_spec = pytest.mark.skipif(not validator_here.enabled, reason="Discord's OpenAPI spec is not here")

PATH = "/applications/100000000000000001/commands"


def _commands(name_of_last: str) -> list[dict[str, object]]:
    commands: list[dict[str, object]] = [
        {"name": f"cmd{i}", "description": "a command of the bench " * 3, "type": 1,
         "options": [{"type": 3, "name": f"opt{j}", "description": "an option", "required": False}
                     for j in range(5)]}
        for i in range(12)
    ]
    commands.append({"name": name_of_last, "description": "the last one", "type": 1})
    return commands


@needs_spec
def test_a_repeated_large_body_gets_the_same_verdict_without_a_second_validation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec_module, "_VERDICTS", {})
    runs: list[int] = []
    real = SpecValidator._body_verdict

    def counted(validator, body):  # type: ignore[no-untyped-def]
        runs.append(1)
        return real(validator, body)

    monkeypatch.setattr(SpecValidator, "_body_verdict", staticmethod(counted))
    v = SpecValidator()
    good, bad = _commands("last"), _commands("x" * 40)  # a name is at most 32 characters
    assert v.body_error("PUT", PATH, good) is None
    assert v.body_error("PUT", PATH, good) is None
    assert len(runs) == 1 and v.validated == 2 and v.violations == []

    first = v.body_error("PUT", PATH, bad)
    second = v.body_error("PUT", PATH, bad)
    assert first is not None and first == second and "name" in first
    assert len(runs) == 2
    assert [m for _, _, m in v.violations] == [first, second]  # recorded each time, as before

    assert v.body_error("PUT", PATH, _commands("lasu")) is None  # another body: validated
    assert len(runs) == 3
    v.violations.clear()
