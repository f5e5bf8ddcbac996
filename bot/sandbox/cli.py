"""``kudos sandbox``: the offline demo, or any scenario, against the emulator."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from bot.config import ConfigError
from bot.core.logs import setup_logging
from bot.sandbox.harness import Harness
from bot.sandbox.runner import ScenarioRunner
from bot.sandbox.scenario import ScenarioError, load

DEMO = Path(__file__).resolve().parent.parent.parent / "examples" / "demo.toml"


async def run_scenario(path: Path, *, json_out: str | None, database_url: str | None, quiet: bool) -> int:
    scenario = load(path)
    out = (lambda _line: None) if quiet else print
    title = scenario.title or path.name
    out(f"== Kudos sandbox: {title} ==")
    out("   (the real bot, talking to a local Discord emulator; nothing leaves this machine)")
    harness = Harness(scenario.world, scenario.config, database_url=database_url)
    try:
        await harness.start()
        for name in scenario.absent:
            harness.emu.remove_member(harness.guild_id, harness.members[name])
        await harness.settle()
        runner = ScenarioRunner(scenario, harness, out=out)
        await runner.refresh_codes()
        code = await runner.run()
        await runner.refresh_codes()
        if json_out:
            state = await runner.final_state()
            Path(json_out).write_text(  # noqa: ASYNC240 - one small file at the end
                json.dumps(state, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            out(f"final state written to {json_out}")
        validated = harness.emu.validator.validated
        violations = len(harness.emu.validator.violations)
        result = "all expectations met" if code == 0 else f"{len(runner.failures)} expectation(s) failed"
        print(f"sandbox: {len(scenario.steps)} steps, {result}; {validated} requests checked against "
              f"Discord's API spec, {violations} violation(s)")
        for failure in runner.failures:
            print(f"  ✗ {failure}", file=sys.stderr)
        if violations:
            for v in harness.emu.validator.violations[:5]:
                print(f"  spec violation: {v}", file=sys.stderr)
            return max(code, 1)
        return code
    finally:
        await harness.stop()


def run_sandbox(args: argparse.Namespace) -> int:
    setup_logging("WARNING")
    logging.getLogger("discord").setLevel(logging.ERROR)
    path = Path(args.scenario) if args.scenario else DEMO
    try:
        return asyncio.run(run_scenario(path, json_out=args.json_out, database_url=args.database_url,
                                        quiet=args.quiet))
    except (ScenarioError, ConfigError) as exc:
        print(f"kudos sandbox: {exc}", file=sys.stderr)
        return 2
