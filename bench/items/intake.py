"""Item 1, durable intake: queue_gate against (D) bare asyncpg inserts and (H) the same HTTP app
without a database, at each concurrency, from a load generator process of its own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bench import database, procs
from bench.context import BenchContext
from bench.items.load_runs import LoadRun, http_intake_run, raw_insert_run
from bench.results import ItemResult, Measure, Table, Target
from bench.stack import free_port
from deploy.local.component import Paths
from deploy.local.python_service import PythonService

GATE_WATCHED = ("queue_gate", "postgres", "kafka", "siak_monitor", "siak_sim")
D = "D: asyncpg INSERT+commit"
Runs = dict[int, tuple[LoadRun, LoadRun, LoadRun]]
"""Per concurrency: queue_gate (one process), baseline D, baseline H."""
H = "H: same HTTP app, no database"
WORKERS = 2
"""The documented `GATE_WORKERS` for a machine like the bench's (2 cores): one per core."""


@contextlib.asynccontextmanager
async def nodb_app(ctx: BenchContext) -> AsyncIterator[PythonService]:
    port = free_port()
    service = PythonService(
        Paths(ctx.config.state_dir),
        name="intake_nodb",
        module="bench.nodb_app",
        port=port,
        ready_path="/healthz",
        env={**ctx.child_env(), "BENCH_NODB_PORT": str(port)},
    )
    await asyncio.to_thread(service.ensure_running)
    try:
        yield service
    finally:
        await asyncio.to_thread(service.stop)


async def measure_intake(ctx: BenchContext) -> ItemResult:
    item = ItemResult("intake", "1. Durable intake")
    gate_pids = {k: v for k, v in ctx.stack.pids().items() if k in GATE_WATCHED}
    runs: Runs = {}
    async with nodb_app(ctx) as nodb:
        nodb_pid = nodb.pid()
        assert nodb_pid is not None
        ctx.observations["nodb_idle_bytes"] = procs.resident_bytes(nodb_pid)
        for concurrency in ctx.config.concurrencies:
            await database.empty_submissions(ctx.db)
            gate = await http_intake_run(
                ctx, port=ctx.access.gate_port, concurrency=concurrency, watched=gate_pids
            )
            item.details[f"outbox_rows_left_c{concurrency}"] = await ctx.db.fetchval(
                "SELECT count(*) FROM outbox"
            )
            await database.empty_submissions(ctx.db)
            raw = await raw_insert_run(ctx, concurrency=concurrency)
            bare = await http_intake_run(
                ctx, port=nodb.port, concurrency=concurrency, watched={"intake_nodb": nodb_pid}
            )
            runs[concurrency] = (gate, raw, bare)
    await database.empty_submissions(ctx.db)
    ctx.observations["intake_runs"] = runs
    workers = await _with_workers(ctx)
    _report(ctx, item, runs, workers)
    return item


async def _with_workers(ctx: BenchContext) -> dict[int, LoadRun]:
    """The gate again at each concurrency, served by `WORKERS` processes; then one again."""
    await ctx.stack.start_gate(WORKERS)
    runs: dict[int, LoadRun] = {}
    try:
        gate_pids = {k: v for k, v in ctx.stack.pids().items() if k in GATE_WATCHED}
        for concurrency in ctx.config.concurrencies:
            await database.empty_submissions(ctx.db)
            runs[concurrency] = await http_intake_run(
                ctx, port=ctx.access.gate_port, concurrency=concurrency, watched=gate_pids
            )
    finally:
        await database.empty_submissions(ctx.db)
        await ctx.stack.start_gate(1)
    return runs


def _report(ctx: BenchContext, item: ItemResult, runs: Runs, workers: dict[int, LoadRun]) -> None:
    judged = ctx.config.intake_concurrency
    for concurrency, (gate, raw, bare) in runs.items():
        at = f"c={concurrency}"
        served = workers[concurrency]
        by_workers = f"{at}, {WORKERS} workers"
        item.measures += [
            Measure(f"accepted/s {at}", "1/s", gate.rate_per_s, raw.rate_per_s, D, "higher"),
            Measure(
                f"accepted/s {at}",
                "1/s",
                gate.rate_per_s,
                bare.rate_per_s,
                H,
                "higher",
                Target("ratio ≥ 0.8", "ratio", at_least=0.8) if concurrency == judged else None,
            ),
            Measure(f"p50 latency {at}", "ms", gate.p50_ms, raw.p50_ms, D, "lower"),
            Measure(f"p99 latency {at}", "ms", gate.p99_ms, raw.p99_ms, D, "lower"),
            Measure(f"p99 latency {at}", "ms", gate.p99_ms, bare.p99_ms, H, "lower"),
            Measure(
                f"accepted/s {by_workers}",
                "1/s",
                served.rate_per_s,
                raw.rate_per_s,
                D,
                "higher",
                Target("ratio ≥ 0.4", "ratio", at_least=0.4) if concurrency == judged else None,
            ),
            Measure(
                f"accepted/s {by_workers}", "1/s", served.rate_per_s, bare.rate_per_s, H, "higher"
            ),
            Measure(
                f"p99 latency {by_workers}",
                "ms",
                served.p99_ms,
                raw.p99_ms,
                D,
                "lower",
                Target("≤ 50 ms", "figure", at_most=50.0) if concurrency == judged else None,
            ),
        ]
    item.tables.append(_latency_table(runs, workers))
    item.tables.append(_cost_table(runs, workers))
    item.details["runs"] = {
        str(c): {
            "gate": g.windows,
            "raw": r.windows,
            "nodb": b.windows,
            f"gate_{WORKERS}_workers": workers[c].windows,
        }
        for c, (g, r, b) in runs.items()
    }


def _latency_table(runs: Runs, workers: dict[int, LoadRun]) -> Table:
    rows = []
    for concurrency, (gate, raw, bare) in runs.items():
        served = workers[concurrency]
        rows.append(
            [
                str(concurrency),
                *(f"{run.rate_per_s:,.0f}" for run in (gate, served, raw, bare)),
                *(f"{run.p50_ms:.1f} / {run.p99_ms:.1f}" for run in (gate, served, raw, bare)),
                f"{gate.errors} / {served.errors}",
            ]
        )
    return Table(
        "Accepted per second and p50 / p99 latency (ms), median of the measured windows; "
        f"queue_gate served by one process and by {WORKERS} (`GATE_WORKERS={WORKERS}`)",
        [
            "concurrency",
            "queue_gate /s",
            f"{WORKERS} workers /s",
            "D /s",
            "H /s",
            "queue_gate ms",
            f"{WORKERS} workers ms",
            "D ms",
            "H ms",
            "gate errors (1 / 2 workers)",
        ],
        rows,
    )


def _cost_table(runs: Runs, workers: dict[int, LoadRun]) -> Table:
    rows = []
    for concurrency, (gate, raw, bare) in runs.items():
        activity = gate.db
        rows.append(
            [
                str(concurrency),
                f"{gate.cpu_ms_per_accepted('queue_gate'):.2f}",
                f"{workers[concurrency].cpu_ms_per_accepted('queue_gate'):.2f}",
                f"{bare.cpu_ms_per_accepted('intake_nodb'):.2f}",
                f"{gate.cpu_ms_per_accepted('postgres'):.2f}",
                f"{gate.cpu_ms_per_accepted('kafka'):.2f}",
                f"{gate.cpu_ms_per_accepted('load generator'):.2f}",
                _per(activity.commits if activity else None, gate.accepted),
                _per(activity.sessions if activity else None, gate.accepted),
                f"{raw.cpu_ms_per_accepted('postgres'):.2f}",
            ]
        )
    return Table(
        "Where intake's time goes: CPU ms per accepted submission, PostgreSQL transactions and "
        "new sessions per accepted submission (whole run, warm-up included)",
        [
            "concurrency",
            "queue_gate CPU ms",
            f"{WORKERS} workers CPU ms",
            "H CPU ms",
            "PostgreSQL CPU ms",
            "Kafka CPU ms",
            "load generator CPU ms",
            "transactions",
            "new sessions",
            "PostgreSQL CPU ms under D",
        ],
        rows,
    )


def _per(count: int | None, accepted: int) -> str:
    return "n/a" if count is None or not accepted else f"{count / accepted:.1f}"
