"""`python -m bench.rawdb insert|drain`: the physical baselines in PostgreSQL, from a process of
their own. `insert` commits the row intake stores, back to back, at a given concurrency;
`drain` reads and marks deferred rows one at a time per region, in acceptance order."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

import asyncpg

from bench.payloads import ROW_COLUMNS, RowFactory
from bench.stats import Sample, split_windows

GATE_POOL_SIZE = 20
"""queue_gate's own pool size: the baseline gets the same number of connections."""
_INSERT = (
    f"INSERT INTO submission ({', '.join(ROW_COLUMNS)}) "
    f"VALUES ({', '.join(f'${n}' for n in range(1, len(ROW_COLUMNS) + 1))})"
)
_NEXT = """
SELECT seq, ticket_id, sealed_payload FROM submission
 WHERE region_code = $1 AND state IN ('queued', 'deferred', 'dispatching')
 ORDER BY seq LIMIT 1
"""
_MARK = "UPDATE submission SET state = 'delivered', updated_at = now() WHERE ticket_id = $1"
STATEMENT_TIMEOUT_S = 30.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.rawdb", description=__doc__)
    parser.add_argument("mode", choices=["insert", "drain"])
    parser.add_argument("--regions", required=True, help="comma-separated region codes")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--warmup-s", type=float, default=2.0)
    parser.add_argument("--window-s", type=float, default=4.0)
    parser.add_argument("--windows", type=int, default=1)
    parser.add_argument("--timeout-s", type=float, default=600.0)
    parser.add_argument("--key-prefix", default=f"raw-{time.time_ns()}")
    return parser.parse_args(argv)


async def insert(args: argparse.Namespace, pool: asyncpg.Pool) -> dict[str, Any]:
    rows = RowFactory(
        data_key=os.environ["GATE_DATA_KEY"],
        applicant_secret=os.environ["GATE_APPLICANT_KEY_SECRET"],
    )
    regions = args.regions.split(",")
    serial = iter(range(10**9))
    samples: list[Sample] = []
    started = time.perf_counter()
    measured_from = started + args.warmup_s
    until = measured_from + args.window_s * args.windows

    async def worker() -> None:
        while (begun := time.perf_counter()) < until:
            number = next(serial)
            row = rows.row(regions[number % len(regions)], f"{args.key_prefix}-{number}")
            async with pool.acquire() as connection:
                await connection.execute(_INSERT, *row, timeout=STATEMENT_TIMEOUT_S)
            samples.append(Sample(begun, time.perf_counter(), True))

    await asyncio.wait_for(
        asyncio.gather(*(worker() for _ in range(args.concurrency))),
        timeout=until - started + 2 * STATEMENT_TIMEOUT_S,
    )
    windows = split_windows(
        samples, measured_from=measured_from, window_s=args.window_s, windows=args.windows
    )
    return {"windows": [window.as_json() for window in windows], "rows": len(samples)}


async def drain(args: argparse.Namespace, pool: asyncpg.Pool) -> dict[str, Any]:
    order: dict[str, list[str]] = {}

    async def region_line(region: str) -> None:
        marked = order.setdefault(region, [])
        while True:
            async with pool.acquire() as connection:
                head = await connection.fetchrow(_NEXT, region, timeout=STATEMENT_TIMEOUT_S)
                if head is None:
                    return
                await connection.execute(_MARK, head["ticket_id"], timeout=STATEMENT_TIMEOUT_S)
            marked.append(head["ticket_id"])

    started = time.perf_counter()
    await asyncio.wait_for(
        asyncio.gather(*(region_line(region) for region in args.regions.split(","))),
        timeout=args.timeout_s,
    )
    elapsed = time.perf_counter() - started
    rows = sum(len(tickets) for tickets in order.values())
    return {"rows": rows, "elapsed_s": elapsed, "rate_per_s": rows / elapsed if elapsed else 0.0}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    size = min(GATE_POOL_SIZE, args.concurrency) if args.mode == "insert" else GATE_POOL_SIZE
    try:
        return await _run_with(args, size, server_settings=BARE_ROWS)
    except asyncpg.InsufficientPrivilegeError:
        # Not a superuser: the baseline pays for the gate's bookkeeping triggers too.
        return {**await _run_with(args, size, server_settings={}), "triggers_fired": True}


BARE_ROWS = {"session_replication_role": "replica"}
"""The baseline's sessions fire no triggers: it measures the row itself (same table, same
indexes, same commit), not the gate's bookkeeping of backlog counts."""


async def _run_with(
    args: argparse.Namespace, size: int, *, server_settings: dict[str, str]
) -> dict[str, Any]:
    async with asyncpg.create_pool(
        os.environ["DATABASE_URL"],
        min_size=size,
        max_size=size,
        timeout=30,
        server_settings=server_settings,
        reset=_nothing_to_reset,
    ) as pool:
        cpu_started = time.process_time()
        result = await (insert(args, pool) if args.mode == "insert" else drain(args, pool))
    return {**result, "client_cpu_s": time.process_time() - cpu_started}


async def _nothing_to_reset(_connection: asyncpg.Connection[Any]) -> None:
    """As in the gate: no session state to reset between uses."""


def main(argv: list[str] | None = None) -> None:
    result = asyncio.run(run(_arguments(argv)))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
