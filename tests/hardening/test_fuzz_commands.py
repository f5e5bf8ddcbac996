"""Fuzzing every slash command and every modal the bot opens, with options enumerated from the command tree.

Per input: no crash (no unanswered interaction, no "something went wrong" reply, no emulator error, no error
logged by the bot), no unintended ping (every message the bot posted sends allowed_mentions that ping nobody
but the member acting or a member picked in a user option), and a reply for anything refused.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.errors import UNEXPECTED
from tests.hardening.conftest import hardening_config, hardening_world
from tests.hardening.fuzzing import nasty_text, option_value
from tests.hardening.invariants import check_all, describe
from tests.hardening.support import COUNTS, HardenedHarness

# CI: 40 examples per target, the same ones every run; KUDOS_FUZZ_EXAMPLES=500 for a longer local hunt.
FUZZ = settings(max_examples=int(os.environ.get("KUDOS_FUZZ_EXAMPLES", "40")), deadline=None, derandomize=True, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
ACTORS = ["sam", "bob", "carol", "mia"]


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "config problem" not in record.getMessage() and "is disabled" not in record.getMessage():
            self.records.append(record)


@pytest.fixture
def fuzz_harness(tmp_path: Any) -> Iterator[tuple[asyncio.Runner, HardenedHarness, ErrorLog]]:
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    with asyncio.Runner() as runner:
        h = HardenedHarness(hardening_world(3), hardening_config(), workdir=tmp_path)
        runner.run(h.start())
        try:
            yield runner, h, errors
        finally:
            runner.run(h.stop())
            logging.getLogger().removeHandler(errors)


def leaf_commands(h: HardenedHarness) -> list[tuple[str, list[dict[str, Any]]]]:
    """(qualified name, option definitions) of every slash command: the bot's tree, as registered."""
    assert h.bot is not None
    names = sorted(c.qualified_name for c in h.bot.tree.walk_commands() if isinstance(c, discord.app_commands.Command))
    out = []
    for name in names:
        parts = name.split()
        cmd = next(c for c in h.emu.commands(h.guild_id) if c["name"] == parts[0] and int(c.get("type") or 1) == 1)
        defs = cmd.get("options") or []
        for part in parts[1:]:
            defs = next(o for o in defs if o["name"] == part).get("options") or []
        if any(int(d["type"]) == 11 and d.get("required") for d in defs):
            continue  # a required attachment (/settings import): not generated here, the emulator refuses it
        out.append((name, defs))
    return out


def check_pings(h: HardenedHarness, since: int, actor: int, meant: set[int]) -> list[str]:
    problems = []
    for msg in list(h.emu.state.all_messages.values()):
        if msg.id <= since or msg.author_id != h.emu.bot_user_id:
            continue
        am = msg.allowed_mentions
        if am is None:
            if re.search(r"<@[!&]?\d+>|@everyone|@here", msg.content or ""):
                problems.append(f"message {msg.id} has mentions and no allowed_mentions: {msg.content[:80]!r}")
            continue
        parse = am.get("parse") or []
        if "everyone" in parse or "roles" in parse or "users" in parse:
            problems.append(f"message {msg.id}: allowed_mentions parse={parse}")
        users = {int(u) for u in am.get("users") or []}
        if users - ({actor} | meant):
            problems.append(f"message {msg.id} pings {sorted(users - ({actor} | meant))} (actor {actor})")
        if am.get("roles"):
            problems.append(f"message {msg.id} pings roles {am['roles']}")
    return problems


async def _one(h: HardenedHarness, errors: ErrorLog, data: Any, commands: list[tuple[str, list[dict[str, Any]]]],
               text: st.SearchStrategy[str]) -> None:
    users = [h.members[n] for n in ("alice", "bob", "sam", "dave")]
    roles = [h.role_id(n) for n in ("Helper Star", "Week Pass", "Staff")]
    channels = {h.channel_id(n): h.emu.state.channels[h.channel_id(n)].type
                for n in ("general", "showcase", "feedback", "help", "announcements", "staff-log")}
    # attachments are not generated here, so a command that requires one is left out
    name, defs = data.draw(st.sampled_from([c for c in commands if not any(
        int(d["type"]) == 11 and d.get("required") for d in c[1])]), label="command")
    actor = data.draw(st.sampled_from(ACTORS), label="actor")
    options: dict[str, Any] = {}
    for d in defs:
        if int(d["type"]) == 11:  # attachments: not generated here
            continue
        if d.get("required") or data.draw(st.booleans(), label=f"use {d['name']}"):
            options[d["name"]] = data.draw(option_value(d, users, roles, channels, text), label=d["name"])
    meant = {int(v) for d in defs if int(d["type"]) in (6, 9) and (v := options.get(d["name"])) in users}
    since = max(h.emu.state.all_messages, default=0)
    errors.records.clear()
    reply = await h.member(actor).slash(name, **options)
    COUNTS["fuzz inputs"] += 1
    replies = [reply]
    if reply.modal is not None:
        fields = {}
        for comp in h.emu._walk_components(reply.modal.get("components") or []):
            if comp.get("type") == 4:
                value = data.draw(text, label=f"field {comp.get('label')}")[: int(comp.get("max_length") or 4000)]
                if comp.get("required", True) and len(value) < int(comp.get("min_length") or 1):
                    value = "x" * int(comp.get("min_length") or 1)
                fields[comp["custom_id"]] = value
            elif comp.get("type") == 3 and comp.get("options"):  # a select (the feedback type): pick one
                option = data.draw(st.sampled_from(comp["options"]), label=f"pick {comp['custom_id']}")
                fields[comp["custom_id"]] = option["value"]
        replies.append(await h.member(actor).submit_modal(reply, fields))
        COUNTS["fuzz inputs"] += 1
    for r in replies:
        said = (r.content or "") + " ".join(str(e.get("description") or "") for e in r.embeds)
        assert not r.failed, f"/{name} {options}: no answer"
        assert UNEXPECTED not in said, f"/{name} {options}: unexpected error"
        assert said.strip() or r.embeds or r.modal is not None or r.message is not None, f"/{name}: empty reply"
    assert not h.emu.errors, h.emu.errors
    assert not errors.records, [rec.getMessage() for rec in errors.records]
    problems = check_pings(h, since, h.members[actor], meant)
    assert not problems, problems


def test_fuzz_every_slash_command_and_modal(fuzz_harness: Any) -> None:
    runner, h, errors = fuzz_harness
    commands = leaf_commands(h)
    assert len(commands) >= 30
    users = [h.members[n] for n in ("alice", "bob", "sam")]
    text = nasty_text(users, [h.role_id("Staff"), h.guild_id])

    @FUZZ
    @given(data=st.data())
    def case(data: Any) -> None:
        runner.run(_one(h, errors, data, commands, text))

    case()
    found = runner.run(check_all(h, quiet=False))
    assert not found, describe(found)


def test_fuzz_feedback_and_beta_forms(fuzz_harness: Any) -> None:
    """The forms members fill most: the feedback form of each type, and the beta description form."""
    runner, h, errors = fuzz_harness
    users = [h.members[n] for n in ("alice", "bob", "sam")]
    text = nasty_text(users, [h.role_id("Staff"), h.guild_id])
    commands = [(n, d) for n, d in leaf_commands(h) if n in ("feedback new", "beta create", "thanks")]

    @FUZZ
    @given(data=st.data())
    def case(data: Any) -> None:
        runner.run(_one(h, errors, data, commands, text))

    case()
    found = runner.run(check_all(h, quiet=False))
    assert not found, describe(found)
