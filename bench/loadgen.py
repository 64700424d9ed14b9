"""`python -m bench.loadgen`: HTTP load from a process of its own; prints one JSON line with the
accepted rate and latencies of each measured window (warm-up excluded)."""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import os
import sys
import time
from collections.abc import Callable

from bench.http_load import Connection, Request, build_request, drive
from bench.payloads import body_bytes
from bench.stats import Sample, split_windows

REQUEST_TIMEOUT_S = 30.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("target", choices=["intake", "siak"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--regions", required=True, help="comma-separated region codes")
    parser.add_argument("--warmup-s", type=float, default=2.0)
    parser.add_argument("--window-s", type=float, default=4.0)
    parser.add_argument("--windows", type=int, default=1)
    parser.add_argument("--key-prefix", default=f"bench-{time.time_ns()}")
    return parser.parse_args(argv)


def intake_requests(
    host: str, regions: list[str], key_prefix: str, api_key: str
) -> Callable[[int], Request]:
    """POST /v1/submissions, the regions' bodies in turn, a new Idempotency-Key every time."""
    bodies = itertools.cycle([body_bytes(region) for region in regions])
    serials = itertools.count()

    def next_request(_worker: int) -> Request:
        return build_request(
            "POST",
            "/v1/submissions",
            host=host,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Idempotency-Key": f"{key_prefix}-{next(serials)}",
                "Content-Type": "application/json",
            },
            body=next(bodies),
        )

    return next_request


def siak_requests(host: str, regions: list[str], key_prefix: str) -> Callable[[int], Request]:
    """POST /regions/{code}/submissions straight to SIAK, each worker keeping to one region."""
    bodies = {region: body_bytes(region) for region in regions}
    serials = itertools.count()

    def next_request(worker: int) -> Request:
        region = regions[worker % len(regions)]
        return build_request(
            "POST",
            f"/regions/{region}/submissions",
            host=host,
            headers={
                "Idempotency-Key": f"{key_prefix}-{next(serials)}",
                "Content-Type": "application/json",
            },
            body=bodies[region],
        )

    return next_request


async def run(args: argparse.Namespace) -> dict[str, object]:
    host = f"127.0.0.1:{args.port}"
    regions = args.regions.split(",")
    if args.target == "intake":
        factory = intake_requests(host, regions, args.key_prefix, os.environ["BENCH_API_KEY"])
        expected = 202
    else:
        factory = siak_requests(host, regions, args.key_prefix)
        expected = 201
    samples: list[Sample] = []
    started = time.perf_counter()
    measured_from = started + args.warmup_s
    until = measured_from + args.window_s * args.windows
    cpu_started = time.process_time()
    workers = [
        drive(
            Connection("127.0.0.1", args.port, timeout_s=REQUEST_TIMEOUT_S),
            functools.partial(factory, worker),
            expected_status=expected,
            until=until,
            samples=samples,
        )
        for worker in range(args.concurrency)
    ]
    await asyncio.wait_for(
        asyncio.gather(*workers), timeout=until - started + 2 * REQUEST_TIMEOUT_S
    )
    windows = split_windows(
        samples, measured_from=measured_from, window_s=args.window_s, windows=args.windows
    )
    return {
        "windows": [window.as_json() for window in windows],
        "loadgen_cpu_s": time.process_time() - cpu_started,
        "requests": len(samples),
        "accepted": sum(sample.ok for sample in samples),
    }


def main(argv: list[str] | None = None) -> None:
    result = asyncio.run(run(_arguments(argv)))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
