"""Item 5, memory: each process's resident size idle and under the intake load (PSS from
/proc/<pid>/smaps_rollup, a process tree's pages shared among its members counted once)."""

from __future__ import annotations

from typing import Any

from bench import procs
from bench.context import BenchContext
from bench.items.load_runs import LoadRun
from bench.results import ItemResult, Measure, Table, Target

MIB = 2**20
H = "H: same HTTP app, no database"


def note_idle(ctx: BenchContext) -> None:
    """Resident sizes of the freshly started, unloaded stack."""
    ctx.observations["idle_bytes"] = procs.memory_snapshot(ctx.stack.pids())


def assemble_memory(ctx: BenchContext) -> ItemResult:
    item = ItemResult("memory", "5. Memory")
    idle: dict[str, int] = ctx.observations.get("idle_bytes", {})
    runs: dict[int, tuple[LoadRun, LoadRun, LoadRun]] = ctx.observations.get("intake_runs", {})
    under = _peaks(run[0] for run in runs.values())
    nodb_under = _peaks(run[2] for run in runs.values()).get("intake_nodb", 0)
    nodb_idle = ctx.observations.get("nodb_idle_bytes", 0)
    item.measures += [
        Measure(
            "queue_gate idle", "MiB", idle.get("queue_gate", 0) / MIB, nodb_idle / MIB, H, "lower"
        ),
        Measure(
            "queue_gate under intake (peak)",
            "MiB",
            under.get("queue_gate", 0) / MIB,
            nodb_under / MIB,
            H,
            "lower",
        ),
    ]
    scale = ctx.observations.get("monitor_scale")
    if scale is not None:
        monitor, baseline = scale
        item.measures.append(
            Measure(
                "siak_monitor at 514 regions (peak)",
                "MiB",
                monitor.peak_bytes / MIB,
                baseline.peak_bytes / MIB,
                "bare asyncio+httpx probe loop",
                "lower",
            )
        )
    compiled = ctx.observations.get("monitor_compiled")
    if scale is not None and compiled is not None:
        name, window = compiled
        item.measures.append(
            Measure(
                f"siak_monitor at 514 regions (peak) vs {name}",
                "MiB",
                scale[0].peak_bytes / MIB,
                window.peak_bytes / MIB,
                name,
                "lower",
                Target("ratio ≤ 1.0", "ratio", at_most=1.0),
            )
        )
    names = sorted(set(idle) | set(under))
    item.tables.append(
        Table(
            "Every process of the stack, MiB (PostgreSQL: the server and all its backends)",
            ["process", "idle", "peak under intake"],
            [[name, _mib(idle.get(name)), _mib(under.get(name))] for name in names],
        )
    )
    item.notes.append(
        "siak_monitor idle watches province 73 (24 regions, the local stack's default); under "
        "intake it does the same, it has no part in intake."
    )
    return item


def _peaks(runs: Any) -> dict[str, int]:
    peaks: dict[str, int] = {}
    for run in runs:
        for name, size in run.memory_peaks.items():
            peaks[name] = max(peaks.get(name, 0), size)
    return peaks


def _mib(size: int | None) -> str:
    return "n/a" if not size else f"{size / MIB:,.0f}"
