"""Item 3, replay: a deferred backlog over many regions drained in per-region order to SIAK,
against (a) bare asyncpg reading and marking the same rows and (b) SIAK's own top speed."""

from __future__ import annotations

from dataclasses import asdict

from bench.children import run_child
from bench.context import BenchContext
from bench.items.drain import DrainRun, gate_drain, raw_drain
from bench.results import ItemResult, Measure, Table, Target
from bench.stats import median

RAW = "(a) asyncpg read+mark, same order"
SIM = "(b) simulator's top receive rate"


async def simulator_top_rate(ctx: BenchContext) -> list[float]:
    """Baseline (b): POSTs straight to the simulator, one connection per replayed region."""
    config = ctx.config
    regions = ctx.regions.replay
    result = await run_child(
        "bench.loadgen",
        [
            "siak",
            "--port",
            str(ctx.access.sim_port),
            "--concurrency",
            str(len(regions)),
            "--regions",
            ",".join(regions),
            "--warmup-s",
            str(config.warmup_s),
            "--window-s",
            str(config.window_s),
            "--windows",
            str(config.runs),
        ],
        env=ctx.child_env(),
        timeout_s=config.warmup_s + config.window_s * config.runs + 120,
    )
    return [window["rate_per_s"] for window in result["windows"]]


async def measure_replay(ctx: BenchContext) -> ItemResult:
    rows = ctx.config.replay_rows
    item = ItemResult("replay", "3. Replay")
    sim_rates = await simulator_top_rate(ctx)
    raw = await raw_drain(ctx, batch=rows, background=0)
    gate = await gate_drain(ctx, batch=rows, background=0, cap_s=ctx.config.drain_cap_s)
    sim_rate = median(sim_rates)
    lower = min(raw.rate_per_s, sim_rate)
    lower_name = RAW if raw.rate_per_s <= sim_rate else SIM
    drain = f"drain rate, {rows:,} deferred"
    item.measures += [
        Measure(
            drain,
            "rows/s",
            gate.rate_per_s,
            lower,
            f"lower of (a), (b): {lower_name}",
            "higher",
            Target("ratio ≥ 0.5", "ratio", at_least=0.5),
        ),
        Measure(drain, "rows/s", gate.rate_per_s, raw.rate_per_s, RAW, "higher"),
        Measure(drain, "rows/s", gate.rate_per_s, sim_rate, SIM, "higher"),
        Measure(
            f"time to drain {rows:,}" + ("" if gate.complete else " (projected)"),
            "s",
            gate.seconds_for_batch,
            raw.seconds,
            RAW,
            "lower",
        ),
    ]
    item.tables.append(_run_table(gate, raw, sim_rate))
    item.notes += _notes(ctx, gate)
    item.details.update(
        verdict=asdict(gate.verdict) if gate.verdict else None,
        gate_rows_timed=gate.rows,
        gate_seconds_timed=gate.seconds,
        complete=gate.complete,
        simulator_rates=sim_rates,
        gate_cpu_s=gate.cpu_s,
        runs="each drain runs once; the simulator's rate is the median of its windows",
    )
    return item


def _notes(ctx: BenchContext, gate: DrainRun) -> list[str]:
    verdict = gate.verdict
    assert verdict is not None
    rows = ctx.config.replay_rows
    notes = [
        f"{rows:,} deferred rows dealt round-robin over {len(ctx.regions.replay)} regions, "
        "seeded with COPY; regions flipped UP by status events; pacing opened wide (no "
        "canaries, initial rate = max rate = 100,000/s per region)."
    ]
    if not gate.complete:
        notes.append(
            f"Time-boxed: the gate's drain was timed for {gate.seconds:.0f} s "
            f"(`BENCH_DRAIN_CAP_S`, 0 = to the end), in which it delivered {gate.rows:,} of "
            f"{rows:,}; the rate is that part's, the time to drain all is projected from it. "
            "At half the lower baseline the whole backlog drains within the cap."
        )
    notes.append(
        f"Checked at SIAK after the drain: each region's tickets arrived in acceptance order: "
        f"{_yes(verdict.in_order)}; each exactly once: {_yes(verdict.exactly_once)} "
        f"({verdict.received:,} received, {verdict.duplicates} repeats, "
        f"{verdict.delivered_rows:,} rows delivered in the database)."
    )
    return notes


def _run_table(gate: DrainRun, raw: DrainRun, sim_rate: float) -> Table:
    per_row = {name: spent * 1000 / gate.rows for name, spent in gate.cpu_s.items()}

    def cpu(name: str) -> str:
        return f"{per_row.get(name, float('nan')):.2f}"

    return Table(
        "Drain: rows per second, seconds timed, and CPU ms per replayed row in the gate's drain",
        [
            "",
            "rows/s",
            "rows timed",
            "seconds",
            "queue_gate CPU ms/row",
            "PostgreSQL CPU ms/row",
            "Kafka CPU ms/row",
            "simulator CPU ms/row",
        ],
        [
            [
                "queue_gate",
                f"{gate.rate_per_s:,.0f}",
                f"{gate.rows:,}",
                f"{gate.seconds:,.1f}",
                cpu("queue_gate"),
                cpu("postgres"),
                cpu("kafka"),
                cpu("siak_sim"),
            ],
            [
                "(a) asyncpg read+mark",
                f"{raw.rate_per_s:,.0f}",
                f"{raw.rows:,}",
                f"{raw.seconds:,.1f}",
                "",
                "",
                "",
                "",
            ],
            ["(b) simulator top rate", f"{sim_rate:,.0f}", "", "", "", "", "", ""],
        ],
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"
