"""Item 6, backlog at national scale: intake and replay with 0, 100k (and 1M) rows already
deferred in regions that stay closed, each beside its physical baseline at the same backlog."""

from __future__ import annotations

from bench.context import BenchContext
from bench.items.drain import gate_drain, raw_drain, seed
from bench.items.idle_cost import idle_cost
from bench.items.load_runs import LoadRun, http_intake_run, raw_insert_run
from bench.results import ItemResult, Measure, Table

D = "D: asyncpg INSERT+commit"
RAW = "(a) asyncpg read+mark, same order"


async def measure_backlog(ctx: BenchContext) -> ItemResult:
    item = ItemResult("backlog", "6. Backlog at national scale")
    concurrency = ctx.config.intake_concurrency
    batch = ctx.config.backlog_batch
    rows: list[list[str]] = []
    for backlog in ctx.config.backlog_sizes:
        await seed(ctx, batch=0, background=backlog)
        idle = await idle_cost(ctx, ctx.config.idle_window_s)
        gate_in, raw_in = await _intake_at(ctx, backlog, concurrency)
        raw_out = await raw_drain(ctx, batch=batch, background=backlog)
        gate_out = await gate_drain(ctx, batch=batch, background=backlog)
        label = f"{backlog:,} deferred"
        item.measures += [
            Measure(
                f"accepted/s c={concurrency}, {label}",
                "1/s",
                gate_in.rate_per_s,
                raw_in.rate_per_s,
                D,
                "higher",
            ),
            Measure(
                f"p99 latency c={concurrency}, {label}",
                "ms",
                gate_in.p99_ms,
                raw_in.p99_ms,
                D,
                "lower",
            ),
            Measure(
                f"replay rows/s, {label}",
                "rows/s",
                gate_out.rate_per_s,
                raw_out.rate_per_s,
                RAW,
                "higher",
            ),
        ]
        verdict = gate_out.verdict
        rows.append(
            [
                f"{backlog:,}",
                f"{gate_in.rate_per_s:,.0f}",
                f"{raw_in.rate_per_s:,.0f}",
                f"{gate_in.p99_ms:.1f}",
                f"{gate_out.rate_per_s:,.0f}",
                f"{raw_out.rate_per_s:,.0f}",
                "yes" if verdict and verdict.in_order and verdict.exactly_once else "NO",
                f"{100 * idle.gate_core_share:.0f} % / {100 * idle.postgres_core_share:.0f} %",
                f"{idle.sessions_per_s:.0f} / {idle.commits_per_s:.0f}",
            ]
        )
    item.tables.append(
        Table(
            f"Intake at c={concurrency} and replay of {batch:,} rows over "
            f"{len(ctx.regions.replay)} regions, by rows already deferred elsewhere",
            [
                "already deferred",
                "gate /s",
                "D /s",
                "gate p99 ms",
                "replay rows/s",
                "(a) rows/s",
                "order + exactly once",
                "idle CPU gate / PostgreSQL",
                "idle sessions/s / commits/s",
            ],
            rows,
        )
    )
    item.notes.append(
        "Idle: nobody submits and every region holding rows is closed; CPU as a share of one "
        "core, new PostgreSQL sessions and commits per second, over "
        f"{ctx.config.idle_window_s:g} s, starting {ctx.config.idle_settle_s:g} s after the "
        "backlog was seeded."
    )
    item.notes.append(
        f"The extra backlog is dealt over the {len(ctx.regions.background)} regions outside the "
        "watched province that are not replayed; they stay closed throughout, as in a national "
        "outage. Intake spreads over every region outside the watched province."
    )
    return item


async def _intake_at(ctx: BenchContext, backlog: int, concurrency: int) -> tuple[LoadRun, LoadRun]:
    gate_pid = {k: v for k, v in ctx.stack.pids().items() if k == "queue_gate"}
    gate = await http_intake_run(
        ctx, port=ctx.access.gate_port, concurrency=concurrency, watched=gate_pid
    )
    await seed(ctx, batch=0, background=backlog)
    raw = await raw_insert_run(ctx, concurrency=concurrency)
    return gate, raw
