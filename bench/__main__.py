"""Run every benchmark and print one table of ratios against same-run baselines."""

from __future__ import annotations

import asyncio
import logging
import sys

from bench import flood, gateway, insights, ledger, memory, public, rewards, similar, startup
from bench.common import HEADER, SIDE_BY_SIDE_HEADER, Result, side_by_side

SUITES = {"startup": startup.run, "rewards": rewards.run, "ledger": ledger.run, "insights": insights.run,
          "gateway": gateway.run, "memory": memory.run,
          "flood": flood.run, "similar": similar.run, "public": public.run}


async def main(selected: list[str]) -> list[Result]:
    results: list[Result] = []
    for name, suite in SUITES.items():
        if selected and name not in selected:
            continue
        print(f"running {name}…", file=sys.stderr, flush=True)
        results += await suite()
    return results


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    results = asyncio.run(main(sys.argv[1:]))
    print(HEADER)
    for result in results:
        print(result.row())
    both = side_by_side(results)
    if both:
        print()
        print(SIDE_BY_SIDE_HEADER)
        print("\n".join(both))
