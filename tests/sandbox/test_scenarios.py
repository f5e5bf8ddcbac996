"""The scenario runner: exit codes, error messages, transcript and final state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.sandbox.scenario import ScenarioError, parse


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_bundled_demo_runs_and_writes_state(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "state.json"
    assert main(["sandbox", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "== Kudos sandbox" in printed
    assert "bot replied (only they see it)" in printed
    assert "0 violation(s)" in printed
    state = json.loads(out.read_text())
    assert state["members"]["sam"]["roles"] == ["Staff"]
    assert any("Kudos status" in e for e in state["members"]["sam"]["ephemerals"])
    assert state["expect_failures"] == []
    assert {"points", "grants", "perk_codes", "betas", "feedback"} <= set(state["database"])


def test_failed_expect_exits_1_and_says_why(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, """
[[steps]]
as = "bob"
slash = "kudos status"
expect = { ephemeral_contains = "Welcome aboard" }
""")
    assert main(["sandbox", path]) == 1
    captured = capsys.readouterr()
    assert "no private reply to bob contains 'Welcome aboard'" in captured.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[steps]]\nas = 'zed'\nsay = 'hi'\nin = 'general'\n", "step 1: unknown member 'zed'"),
        ("[[steps]]\nas = 'bob'\nsay = 'hi'\n", "step 1: 'say' needs `in`"),
        ("[[steps]]\nas = 'bob'\nsay = 'hi'\nin = 'general'\nclick = 'X'\non = {id='a'}\n",
         "step 1: needs exactly one action"),
        ("[[steps]]\nadvance = 'soon'\n", "step 1: invalid duration 'soon'"),
        ("[[steps]]\nas = 'bob'\nsya = 'hi'\n", "unknown key 'sya' (did you mean 'say'?)"),
        ("[guild]\nname = 'x'\n[[guild.channels]]\nname = 'c'\ntype = 'stage'\n",
         "guild.channels[0].type: must be one of text, forum, announcement"),
        ("steps = [\n", "malformed TOML"),
    ],
)
def test_malformed_scenarios_exit_2(tmp_path, capsys, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    assert main(["sandbox", _write(tmp_path, text)]) == 2
    assert message in capsys.readouterr().err


def test_missing_button_and_unknown_label_exit_2(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, """
[[steps]]
as = "alice"
id = "hello"
say = "hello"
in = "general"

[[steps]]
as = "bob"
click = "Join"
on = { id = "hello" }
""")
    assert main(["sandbox", path]) == 2
    err = capsys.readouterr().err
    assert "step 2:" in err and "Join" in err

    path = _write(tmp_path, "[[steps]]\nas = 'bob'\nreact = '👍'\non = { id = 'nope' }\n")
    assert main(["sandbox", path]) == 2
    assert "step 1: no message or thread labelled 'nope' yet" in capsys.readouterr().err


def test_bad_config_override_exits_2(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "[config.guilds.default.points]\nanswer = -1\n")
    assert main(["sandbox", path]) == 2
    assert "guilds.default.points.answer" in capsys.readouterr().err


def test_parse_keeps_labels_and_actors() -> None:
    scenario = parse("""
[[steps]]
as = "alice"
id = "q"
post = "How do I sync?"
in = "help"
tags = ["Question"]

[[steps]]
advance = "1d12h"

[[steps]]
restart = true
""")
    assert [(s.action, s.actor, s.label) for s in scenario.steps] == [
        ("post", "alice", "q"), ("advance", None, None), ("restart", None, None)]
    with pytest.raises(ScenarioError, match="step 1: 'post' needs `as"):
        parse("[[steps]]\npost = 'x'\nin = 'help'\n")


OUTAGE = Path(__file__).resolve().parents[2] / "examples" / "outage.toml"


def test_outage_scenario_delivers_every_notice_once(capsys) -> None:  # type: ignore[no-untyped-def]
    """The bundled outage scenario (40 × HTTP 500 on the messages route during a status change to shipped):
    every DM and the status line arrive exactly once, and nobody is told their DMs are closed."""
    assert main(["sandbox", str(OUTAGE)]) == 0
    printed = capsys.readouterr().out
    assert "✗ 500" in printed  # the outage did hit the bot's requests
    assert "all expectations met" in printed


def test_negative_and_count_expectations_can_fail(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, """
[[steps]]
as = "bob"
slash = "kudos status"

[[steps]]
as = "alice"
say = "hello there"
in = "general"

[[steps]]
expect = { message_lacks = { in = "general", text = "hello there" } }

[[steps]]
expect = { no_message_in = "general" }

[[steps]]
expect = { message_count = { in = "general", contains = "hello", count = 2 } }

[[steps]]
as = "bob"
expect = { dm_count = { contains = "anything", count = 0 }, dm_lacks = "anything" }
""")
    assert main(["sandbox", path]) == 1
    err = capsys.readouterr().err
    assert "step 3: a message in 'general' contains 'hello there'" in err
    assert "step 4: there are messages in 'general'" in err
    assert "step 5: 1 message(s) in 'general' contain 'hello', expected 2" in err
    assert "step 6" not in err  # a count of 0 and a DM that is absent both hold


@pytest.mark.parametrize("expect", ['{ dm_count = { contains = "x" } }', '{ dm_count = { contains = "x", count = -1 } }',
                                    '{ message_lacks = { in = "general" } }'])
def test_malformed_counts_exit_2(tmp_path, capsys, expect: str) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, f'[[steps]]\nas = "bob"\nexpect = {expect}\n')
    assert main(["sandbox", path]) == 2
    assert "step 1" in capsys.readouterr().err


SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def _steps(printed: str) -> dict[int, list[str]]:
    """The transcript's lines grouped under the ``[N] …`` line of their step."""
    steps: dict[int, list[str]] = {}
    current = 0
    for line in printed.splitlines():
        if line.startswith("[") and "]" in line and line[1:line.index("]")].isdigit():
            current = int(line[1:line.index("]")])
        steps.setdefault(current, []).append(line)
    return steps


def test_options_name_members_roles_and_channels(capsys) -> None:  # type: ignore[no-untyped-def]
    """``options = { member = "bob" }`` (and ``@bob``, a role name, a channel name) resolve by the option's
    type in the bot's command tree: /thanks, /contrib give|history|explain, /rewards history, /profile and
    /beta create (role and channel options) all run from a scenario."""
    assert main(["sandbox", str(SCENARIOS / "named_options.toml")]) == 0
    captured = capsys.readouterr()
    assert "all expectations met" in captured.out
    steps = _steps(captured.out)
    assert any("Entry #" in line and "+7 answer for @bob" in line for line in steps[2])
    assert any("bot gave @bob the role 'Beta Tester'" in line for line in steps[9])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ('{ member = "zed" }', "step 2: option 'member': unknown member 'zed' (known: alice, bob, carol, mia, sam)"),
        ('{ member = "bob", points = "many" }', "step 2: this step could not run (ValueError"),
    ],
)
def test_bad_option_value_exits_2_with_step(tmp_path, capsys, options: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, f"""
[[steps]]
as = "alice"
say = "hi"
in = "general"

[[steps]]
as = "sam"
slash = "contrib give"
options = {options.replace('}', ', kind = "answer", reason = "x" }')}
""")
    assert main(["sandbox", path]) == 2
    err = capsys.readouterr().err
    assert message in err, err  # without the runner's guard, main() raised (a traceback, exit 1)


def test_step_problems_are_exit_2_never_a_traceback(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Values of the wrong shape reach Python code in the runner: each is reported with its step number."""
    assert main(["sandbox", _write(tmp_path, "[[steps]]\nfault = 'boom'\n")]) == 2
    assert "step 1: this step could not run" in capsys.readouterr().err
    assert main(["sandbox", _write(tmp_path, "[[steps]]\nas = 'sam'\nslash = 'contrib history'\n"
                                            "options = { member = 'bob', nope = 1 }\n")]) == 2
    assert "step 1: unknown option 'nope'" in capsys.readouterr().err


def test_context_menu_replies_show_under_their_step(capsys) -> None:  # type: ignore[no-untyped-def]
    """"Mark as solution" and "Feature this post" answer with a follow-up after deferring; "Thank" answers at
    once. Each reply is printed under the step that used the menu."""
    assert main(["sandbox", str(SCENARIOS / "context_menus.toml")]) == 0
    steps = _steps(capsys.readouterr().out)
    assert steps[3][0].startswith("[3] alice uses 'Mark as solution' on message 'a'")
    assert any(line.startswith("  bot follow-up (only they see it): '✅ Marked") for line in steps[3]), steps[3]
    assert any(line.startswith("  bot follow-up (only they see it): '⭐ Featured in #showcase") for line in steps[4])
    assert any("<@" not in line and "for @bob" in line for line in steps[4] if "Featured" in line)
    assert any(line.startswith("  bot replied (only they see it): '🙏 Thanks sent") for line in steps[5])


def test_a_scenario_sets_each_member_s_and_the_server_s_locale(capsys) -> None:  # type: ignore[no-untyped-def]
    """``locale = "de"`` per member (their client) and per guild (its preferred locale): the German member's
    form and replies are German, the French server's forum post French (docs/languages.md)."""
    path = Path(__file__).parent / "scenarios" / "languages.toml"
    assert main(["sandbox", str(path), "--quiet"]) == 0, capsys.readouterr().out


def test_a_locale_discord_does_not_have_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"guild.members\[0\].locale: 'de-DE' is not a Discord locale"):
        parse('[guild]\n[[guild.members]]\nname = "hans"\nlocale = "de-DE"\n')
