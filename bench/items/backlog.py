"""Item 6, backlog at national scale: intake and replay with 0, 100k (and 1M) rows already
deferred in regions that stay closed, each beside its physical baseline at the same backlog."""

from __future__ import annotations

from bench import database
from bench.context import BenchContext
from bench.items.drain import Backlog, DrainRun, gate_drain, lay_backlog, raw_drain
from bench.items.idle_cost import idle_cost
from bench.items.load_runs import LoadRun, http_intake_run, raw_insert_run
from bench.results import ItemResult, Measure, Table, Target

D = "D: asyncpg INSERT+commit"
RAW = "(a) asyncpg read+mark, same order"
AT_ZERO = "the gate with 0 deferred, same run"
WITHIN_10_PERCENT = Target("ratio ≥ 0.9", "ratio", at_least=0.9)


async def measure_backlog(ctx: BenchContext) -> ItemResult:
    item = ItemResult("backlog", "6. Backlog at national scale")
    concurrency = ctx.config.intake_concurrency
    batch = ctx.config.backlog_batch
    rows: list[list[str]] = []
    costs: list[list[str]] = []
    laid: list[Backlog] = []
    at_zero: tuple[float, float] | None = None
    """Intake's and replay's rates with no backlog: what each larger backlog is judged by."""
    for size in ctx.config.backlog_sizes:
        backlog = await lay_backlog(ctx, size)
        laid.append(backlog)
        idle = await idle_cost(ctx, ctx.config.idle_window_s)
        gate_in, raw_in = await _intake_at(ctx, backlog, concurrency)
        raw_out = await raw_drain(ctx, batch=batch, background=backlog)
        gate_out = await gate_drain(ctx, batch=batch, background=backlog)
        label = f"{size:,} deferred"
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
        if at_zero is None:
            at_zero = (gate_in.rate_per_s, gate_out.rate_per_s)
        elif size:
            item.measures += [
                Measure(
                    f"accepted/s c={concurrency}, {label} vs 0",
                    "1/s",
                    gate_in.rate_per_s,
                    at_zero[0],
                    AT_ZERO,
                    "higher",
                    WITHIN_10_PERCENT,
                ),
                Measure(
                    f"replay rows/s, {label} vs 0",
                    "rows/s",
                    gate_out.rate_per_s,
                    at_zero[1],
                    AT_ZERO,
                    "higher",
                    WITHIN_10_PERCENT,
                ),
            ]
        costs.append(_cost_row(size, gate_in, gate_out))
        verdict = gate_out.verdict
        rows.append(
            [
                f"{size:,}",
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
    item.tables.append(
        Table(
            "CPU per row, ms, by rows already deferred elsewhere: less moved by other load on "
            "the machine than the rates (all of intake's run, warm-up included; the timed drain)",
            [
                "already deferred",
                "intake: queue_gate",
                "intake: PostgreSQL",
                "replay: queue_gate",
                "replay: PostgreSQL",
            ],
            costs,
        )
    )
    item.notes.append(
        "Idle: nobody submits and every region holding rows is closed; CPU as a share of one "
        "core, new PostgreSQL sessions and commits per second, over "
        f"{ctx.config.idle_window_s:g} s, starting {ctx.config.idle_settle_s:g} s after the "
        "backlog was seeded."
    )
    item.notes.append(
        "Each backlog is laid once with COPY, then vacuumed, analysed and checkpointed, as "
        "autovacuum and checkpoints leave one that built up over an outage ("
        + ", ".join(f"{b.rows:,} rows in {b.laid_s:.0f} s" for b in laid)
        + "); each measurement's own rows are deleted before the next, and the table settled "
        "the same way."
    )
    item.notes.append(
        f"The extra backlog is dealt over the {len(ctx.regions.background)} regions outside the "
        "watched province that are not replayed; they stay closed throughout, as in a national "
        "outage. Intake spreads over every region outside the watched province."
    )
    return item


async def _intake_at(
    ctx: BenchContext, backlog: Backlog, concurrency: int
) -> tuple[LoadRun, LoadRun]:
    watched = {k: v for k, v in ctx.stack.pids().items() if k in ("queue_gate", "postgres")}
    gate = await http_intake_run(
        ctx, port=ctx.access.gate_port, concurrency=concurrency, watched=watched
    )
    await database.clear_after(ctx.db, backlog.last_seq)
    raw = await raw_insert_run(ctx, concurrency=concurrency)
    return gate, raw


def _cost_row(size: int, intake: LoadRun, replay: DrainRun) -> list[str]:
    def per_replayed(name: str) -> str:
        spent = replay.cpu_s.get(name)
        return "n/a" if spent is None or not replay.rows else f"{spent * 1000 / replay.rows:.2f}"

    return [
        f"{size:,}",
        f"{intake.cpu_ms_per_accepted('queue_gate'):.2f}",
        f"{intake.cpu_ms_per_accepted('postgres'):.2f}",
        per_replayed("queue_gate"),
        per_replayed("postgres"),
    ]
