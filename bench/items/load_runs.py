"""One load run against an HTTP app or the raw database, with what the machine spent on it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bench import database, procs
from bench.children import Child, run_child
from bench.context import BenchContext
from bench.stats import median

CHILD_MARGIN_S = 120.0


@dataclass(frozen=True)
class LoadRun:
    rate_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    windows: list[dict[str, Any]]
    cpu_s: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0
    accepted: int = 0
    db: database.DatabaseActivity | None = None
    memory_peaks: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_windows(cls, windows: list[dict[str, Any]], **extra: Any) -> LoadRun:
        return cls(
            rate_per_s=median(w["rate_per_s"] for w in windows),
            p50_ms=median(w["p50_ms"] for w in windows),
            p99_ms=median(w["p99_ms"] for w in windows),
            errors=sum(w["errors"] for w in windows),
            windows=windows,
            **extra,
        )

    def cpu_ms_per_accepted(self, name: str) -> float:
        spent = self.cpu_s.get(name)
        return float("nan") if spent is None or not self.accepted else spent * 1000 / self.accepted


def _window_args(ctx: BenchContext) -> list[str]:
    config = ctx.config
    return [
        "--warmup-s",
        str(config.warmup_s),
        "--window-s",
        str(config.window_s),
        "--windows",
        str(config.runs),
    ]


def _time_budget(ctx: BenchContext) -> float:
    return ctx.config.warmup_s + ctx.config.window_s * ctx.config.runs + CHILD_MARGIN_S


async def http_intake_run(
    ctx: BenchContext, *, port: int, concurrency: int, watched: dict[str, int]
) -> LoadRun:
    """The load generator against an intake app on `port`; CPU and memory of `watched` pids."""
    args = [
        "intake",
        "--port",
        str(port),
        "--concurrency",
        str(concurrency),
        "--regions",
        ",".join(ctx.regions.intake),
        *_window_args(ctx),
    ]
    before = procs.cpu_snapshot(watched)
    activity_before = await database.activity(ctx.db)
    started = time.perf_counter()
    child = await Child("bench.loadgen", args, env=ctx.child_env()).start()
    try:
        async with procs.sampling_memory(watched) as peaks:
            result = await child.result(timeout_s=_time_budget(ctx))
    finally:
        await child.kill()
    wall = time.perf_counter() - started
    cpu = procs.cpu_delta(before, procs.cpu_snapshot(watched))
    cpu["load generator"] = result["loadgen_cpu_s"]
    activity = (await database.activity(ctx.db)).minus(activity_before)
    return LoadRun.from_windows(
        result["windows"],
        cpu_s=cpu,
        wall_s=wall,
        accepted=result["accepted"],
        db=activity,
        memory_peaks=dict(peaks.peaks),
    )


async def raw_insert_run(ctx: BenchContext, *, concurrency: int) -> LoadRun:
    """Baseline D: the same rows committed by a bare asyncpg loop at the same concurrency."""
    args = [
        "insert",
        "--concurrency",
        str(concurrency),
        "--regions",
        ",".join(ctx.regions.intake),
        *_window_args(ctx),
    ]
    watched = {k: v for k, v in ctx.stack.pids().items() if k == "postgres"}
    before = procs.cpu_snapshot(watched)
    started = time.perf_counter()
    result = await run_child("bench.rawdb", args, env=ctx.child_env(), timeout_s=_time_budget(ctx))
    cpu = procs.cpu_delta(before, procs.cpu_snapshot(watched))
    cpu["load generator"] = result["client_cpu_s"]
    return LoadRun.from_windows(
        result["windows"], cpu_s=cpu, wall_s=time.perf_counter() - started, accepted=result["rows"]
    )
