"""How big and how long a bench run is: `BENCH_SCALE` (smoke, default, large) and `BENCH_RUNS`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_MD = REPO_ROOT / "bench" / "results.md"
RESULTS_JSON = REPO_ROOT / "bench" / "results.json"
RESULTS_LARGE_MD = REPO_ROOT / "bench" / "results-large.md"
RESULTS_LARGE_JSON = REPO_ROOT / "bench" / "results-large.json"
STATE_DIR = REPO_ROOT / ".run" / "bench"
ITEM_KEYS = ("intake", "propagation", "replay", "backlog", "monitor_scale")
"""Measured in this order; memory is assembled from what they saw."""


@dataclass(frozen=True)
class BenchConfig:
    scale: str
    runs: int
    concurrencies: tuple[int, ...]
    warmup_s: float
    window_s: float
    status_changes: int
    replay_rows: int
    replay_regions: int
    drain_cap_s: float | None
    """The gate's drain of `replay_rows` is timed for at most this long (None: to the end)."""
    backlog_sizes: tuple[int, ...]
    backlog_batch: int
    idle_window_s: float
    """How long the gate is watched doing nothing but holding the backlog."""
    monitor_window_s: float
    monitor_interval_s: float
    baseline_probe_window_s: float
    idle_settle_s: float = 11.0
    """The wait before the idle window: longer than the gate's sweep period (5 s) and
    PostgreSQL's idle statistics flush (10 s), so it neither misses a sweep nor counts the step
    before."""
    items: tuple[str, ...] = ITEM_KEYS
    state_dir: Path = STATE_DIR

    @property
    def complete(self) -> bool:
        """A run of every item at a committed scale and its concurrencies: its results replace
        `bench/results.*`.
        The large scale writes `bench/results-large.*` beside them, whichever items ran (the
        report names them): it is run for the backlog at 1,000,000 rows, seldom whole."""
        return (
            self.scale != "smoke"
            and set(self.items) == set(ITEM_KEYS)
            and self.concurrencies == _SCALES[self.scale](self.runs).concurrencies
        )

    @property
    def results_md(self) -> Path:
        if self.scale == "large":
            return RESULTS_LARGE_MD
        return RESULTS_MD if self.complete else self.state_dir / "results.md"

    @property
    def results_json(self) -> Path:
        if self.scale == "large":
            return RESULTS_LARGE_JSON
        return RESULTS_JSON if self.complete else self.state_dir / "results.json"

    @property
    def intake_concurrency(self) -> int:
        """The concurrency the intake targets and the backlog item are judged at."""
        return 64 if 64 in self.concurrencies else self.concurrencies[len(self.concurrencies) // 2]


def _smoke(runs: int) -> BenchConfig:
    return BenchConfig(
        scale="smoke",
        runs=runs,
        concurrencies=(4, 16),
        warmup_s=0.5,
        window_s=1.0,
        status_changes=20,
        replay_rows=200,
        replay_regions=10,
        drain_cap_s=None,
        backlog_sizes=(0, 1_000),
        backlog_batch=100,
        # Smoke checks that every item runs and reports, not its figures: short windows.
        idle_window_s=1.0,
        idle_settle_s=1.0,
        monitor_window_s=3.0,
        monitor_interval_s=2.0,
        baseline_probe_window_s=3.0,
    )


def _default(runs: int) -> BenchConfig:
    return BenchConfig(
        scale="default",
        runs=runs,
        concurrencies=(16, 64, 256),
        warmup_s=2.0,
        window_s=4.0,
        status_changes=1_000,
        replay_rows=100_000,
        replay_regions=50,
        drain_cap_s=300.0,
        backlog_sizes=(0, 100_000),
        backlog_batch=20_000,
        idle_window_s=10.0,
        monitor_window_s=120.0,
        monitor_interval_s=5.0,
        baseline_probe_window_s=60.0,
    )


def _large(runs: int) -> BenchConfig:
    return BenchConfig(
        scale="large",
        runs=runs,
        concurrencies=(16, 64, 256),
        warmup_s=2.0,
        window_s=5.0,
        status_changes=1_000,
        replay_rows=1_000_000,
        replay_regions=50,
        drain_cap_s=None,
        backlog_sizes=(0, 100_000, 1_000_000),
        backlog_batch=20_000,
        idle_window_s=10.0,
        monitor_window_s=120.0,
        monitor_interval_s=5.0,
        baseline_probe_window_s=120.0,
    )


_SCALES = {"smoke": _smoke, "default": _default, "large": _large}


def config_from_environment(environ: Mapping[str, str] = os.environ) -> BenchConfig:
    scale = environ.get("BENCH_SCALE", "default").strip().lower() or "default"
    if scale not in _SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(_SCALES)}, got {scale!r}")
    default_runs = 1 if scale == "smoke" else 3
    raw_runs = environ.get("BENCH_RUNS", str(default_runs))
    if not raw_runs.isdigit() or not 1 <= int(raw_runs) <= 20:
        raise SystemExit(f"BENCH_RUNS must be a whole number from 1 to 20, got {raw_runs!r}")
    config = _SCALES[scale](int(raw_runs))
    items = tuple(i.strip() for i in environ.get("BENCH_ITEMS", "").split(",") if i.strip())
    unknown = set(items) - set(ITEM_KEYS)
    if unknown:
        raise SystemExit(f"BENCH_ITEMS may name {', '.join(ITEM_KEYS)}; unknown: {unknown}")
    state_dir = Path(environ.get("BENCH_STATE_DIR") or STATE_DIR).resolve()
    config = replace(config, items=items or ITEM_KEYS, state_dir=state_dir)
    raw_concurrencies = environ.get("BENCH_CONCURRENCIES", "").strip()
    if raw_concurrencies:
        # A shorter run (make test's bench case): the load at fewer client counts.
        counts = [c.strip() for c in raw_concurrencies.split(",")]
        if not all(c.isdigit() and 1 <= int(c) <= 4096 for c in counts):
            raise SystemExit(
                "BENCH_CONCURRENCIES must be client counts from 1 to 4096, comma-separated,"
                f" got {raw_concurrencies!r}"
            )
        config = replace(config, concurrencies=tuple(int(c) for c in counts))
    raw_cap = environ.get("BENCH_DRAIN_CAP_S")
    if raw_cap is not None:
        if not raw_cap.isdigit():
            raise SystemExit(
                f"BENCH_DRAIN_CAP_S must be whole seconds (0: no cap), got {raw_cap!r}"
            )
        config = replace(config, drain_cap_s=float(raw_cap) or None)
    return config
