"""Run every benchmark and print one table of ratios against same-run baselines."""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback

from bench import flood, gateway, insights, ledger, memory, public, rewards, similar, startup
from bench.common import HEADER, SIDE_BY_SIDE_HEADER, Result, side_by_side

SUITES = {"startup": startup.run, "rewards": rewards.run, "ledger": ledger.run, "insights": insights.run,
          "gateway": gateway.run, "memory": memory.run,
          "flood": flood.run, "similar": similar.run, "public": public.run}


async def main(selected: list[str], failed: list[str]) -> list[Result]:
    """Run the ``selected`` suites (all when empty); a suite that raises is named in ``failed`` (its traceback on
    stderr) and the others still run, so one broken suite never loses the rest of the table."""
    unknown = sorted(set(selected) - set(SUITES))
    if unknown:
        raise SystemExit(f"unknown bench suite(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    results: list[Result] = []
    for name, suite in SUITES.items():
        if selected and name not in selected:
            continue
        print(f"running {name}…", file=sys.stderr, flush=True)
        try:
            results += await suite()
        except Exception:
            traceback.print_exc()
            failed.append(name)
    return results


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    failed: list[str] = []
    results = asyncio.run(main(sys.argv[1:], failed))
    print(HEADER)
    for result in results:
        print(result.row())
    both = side_by_side(results)
    if both:
        print()
        print(SIDE_BY_SIDE_HEADER)
        print("\n".join(both))
    if failed:
        print(f"\nFAILED suites (no rows): {', '.join(failed)}; tracebacks above on stderr", flush=True)
        sys.exit(1)
