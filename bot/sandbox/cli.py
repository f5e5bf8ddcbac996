"""``kudos sandbox``: the offline demo, or any scenario, against the emulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.core.logs import setup_logging
from bot.core.oauth2 import SECRET_ENV
from bot.platform.config import ConfigError, merge_overrides
from bot.sandbox.harness import Harness
from bot.sandbox.runner import SANDBOX_SECRET, ScenarioRunner
from bot.sandbox.scenario import ScenarioError, load


class _QuickRetries:
    """``asyncio`` as ``discord.http`` sees it, with its 5xx back-off cut to 10 ms. discord.py retries a 5xx
    itself, sleeping 1 + 2·n seconds of wall-clock time between tries; in a scenario time moves only with
    ``advance`` (the bot runs on a fake clock), so an injected outage is replayed in moments instead of minutes.
    Rate-limit waits are real (a 429's ``retry_after``, and a bucket's wait for its reset when no request is
    left): the emulator's limits run on wall-clock time, so cutting them would only earn more 429s."""

    def __getattr__(self, name: str) -> object:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: object = None) -> object:
        caller = sys._getframe(1)  # the coroutine that awaits this sleep (discord.http's pinned code)
        response = caller.f_locals.get("response")
        backoff = caller.f_code.co_name == "request" and getattr(response, "status", None) != 429
        return await asyncio.sleep(min(delay, 0.01) if backoff else delay, result)


@contextlib.contextmanager
def quick_http_retries() -> Iterator[None]:
    import discord.http

    saved = discord.http.asyncio
    discord.http.asyncio = _QuickRetries()  # type: ignore[assignment]
    try:
        yield
    finally:
        discord.http.asyncio = saved


DEMO = Path(__file__).resolve().parent.parent.parent / "examples" / "demo.toml"


async def run_scenario(path: Path, *, json_out: str | None, database_url: str | None, quiet: bool,
                       dashboard: bool = False, port: int = 8080, locale: str | None = None) -> int:
    scenario = load(path)
    if locale:
        scenario.play_in(locale)
    out = (lambda _line: None) if quiet else print
    title = scenario.title or path.name
    out(f"== Kudos sandbox: {title} ==" + (f" (in {locale})" if locale else ""))
    out("   (the real bot, talking to a local Discord emulator; nothing leaves this machine)")
    # The dashboard is on in the sandbox: on localhost, on a free port unless --dashboard keeps it open.
    web = {"web": {"enabled": True, "host": "127.0.0.1", "port": port if dashboard else 0}}
    config = merge_overrides(web, scenario.config)
    if (config.get("linked_roles") or {}).get("enabled"):
        # the sandbox is its own Developer Portal: the bot gets the client secret it would (docs/linked-roles.md)
        os.environ.setdefault(SECRET_ENV, SANDBOX_SECRET)
    harness = Harness(scenario.world, config, database_url=database_url)
    with quick_http_retries():
        return await _run(harness, scenario, out, json_out=json_out, dashboard=dashboard)


async def _run(harness: Harness, scenario: Any, out: Any, *, json_out: str | None, dashboard: bool) -> int:
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
        if runner.still_english:
            print(f"  {len(runner.still_english)} check(s) met by a reply still in English "
                  f"({', '.join(runner.still_english)}; docs/languages.md, Known limits)")
        for failure in runner.failures:
            print(f"  ✗ {failure}", file=sys.stderr)
        if violations:
            for v in harness.emu.validator.violations[:5]:
                print(f"  spec violation: {v}", file=sys.stderr)
            code = max(code, 1)
        if dashboard:
            await keep_dashboard_open(harness)
        return code
    finally:
        await harness.stop()


async def keep_dashboard_open(harness: Harness) -> None:
    """Print a one-time login link for the first staff member of the demo, then serve until Ctrl-C."""
    from bot.web.security import is_staff_now

    bot = harness.bot
    assert bot is not None and bot.web is not None
    staff = [(name, uid) for name, uid in harness.members.items() if await is_staff_now(bot, harness.guild_id, uid)]
    if not staff:
        print("kudos sandbox: the scenario has no staff member, so nobody can log in to the dashboard",
              file=sys.stderr)
        return
    name, user_id = staff[0]
    print(f"\nDashboard: {bot.web.base_url}/  (as {name}, a staff member of the demo server)")
    print(f"Login link (works once): {bot.web.login_url(harness.guild_id, user_id)}")
    public = bot.guild_config(harness.guild_id).public
    if public.enabled:
        print(f"Public pages (no login): {bot.web.base_url}/p/{public.slug}/  (roadmap, requests, changelog, betas)")
    print("Serving until Ctrl-C.")
    await until_stopped()


async def until_stopped() -> None:
    """Until SIGINT or SIGTERM: then the sandbox stops like ``kudos run`` does (the bot closes, the chart
    process with it), instead of dying on SIGTERM's default action and leaving the chart process behind."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    print("\nkudos sandbox: stopped")


def run_sandbox(args: argparse.Namespace) -> int:
    setup_logging("WARNING")
    logging.getLogger("discord").setLevel(logging.ERROR)
    # The sandbox's dashboard always runs on a throw-away secret; no need to warn about it.
    logging.getLogger("bot.web.server").setLevel(logging.ERROR)
    path = Path(args.scenario) if args.scenario else DEMO
    try:
        return asyncio.run(run_scenario(path, json_out=args.json_out, database_url=args.database_url,
                                        quiet=args.quiet, dashboard=getattr(args, "dashboard", False),
                                        port=getattr(args, "port", 8080), locale=getattr(args, "locale", None)))
    except (ScenarioError, ConfigError) as exc:
        print(f"kudos sandbox: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nkudos sandbox: stopped")
        return 0
