"""`python -m bench.probe_loop`: the least a monitor must do, probing every region's health URL on
a fixed interval with asyncio and httpx; the baseline for siak_monitor's cost and punctuality."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter

import httpx

from bench.regions import all_region_codes

MAX_CONCURRENT_PROBES = 64
"""siak_monitor's default: as many probes in flight, and connections, as the monitor allows."""
PROBE_TIMEOUT_S = 3.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.probe_loop", description=__doc__)
    parser.add_argument("--url-template", required=True, help="with {region}")
    parser.add_argument("--interval-s", type=float, default=5.0)
    parser.add_argument("--duration-s", type=float, required=True)
    return parser.parse_args(argv)


async def probe_forever(
    client: httpx.AsyncClient,
    url: str,
    interval_s: float,
    slots: asyncio.Semaphore,
    tally: Counter[str],
) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(random.uniform(0, interval_s))
    while True:
        started = loop.time()
        try:
            async with slots:
                response = await client.get(url, timeout=PROBE_TIMEOUT_S)
            tally["ok" if response.status_code == 200 else "failed"] += 1
        except httpx.HTTPError:
            tally["failed"] += 1
        await asyncio.sleep(max(0.0, interval_s - (loop.time() - started)))


async def run(args: argparse.Namespace) -> dict[str, object]:
    limits = httpx.Limits(
        max_connections=MAX_CONCURRENT_PROBES + 1,
        max_keepalive_connections=MAX_CONCURRENT_PROBES + 1,
    )
    slots = asyncio.Semaphore(MAX_CONCURRENT_PROBES)
    tally: Counter[str] = Counter()
    async with httpx.AsyncClient(limits=limits) as client:
        tasks = [
            asyncio.create_task(
                probe_forever(
                    client, args.url_template.format(region=code), args.interval_s, slots, tally
                )
            )
            for code in all_region_codes()
        ]
        await asyncio.sleep(args.duration_s)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"regions": len(tasks), "probes": dict(tally), "cpu_s": time.process_time()}


def main(argv: list[str] | None = None) -> None:
    result = asyncio.run(run(_arguments(argv)))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
