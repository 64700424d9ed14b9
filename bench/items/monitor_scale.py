"""Item 4, monitor scale: siak_monitor probing all 514 regions, against a bare asyncio+httpx loop,
a Go net/http loop and Gatus probing the same URLs at the same interval; punctuality judged from
SIAK's side."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import database, procs
from bench.children import Child, run_child
from bench.compiled_baselines import (
    GATUS,
    GOPROBE,
    Build,
    build_gatus,
    build_goprobe,
    gatus_config,
)
from bench.context import BenchContext
from bench.import_floor import LAYERS
from bench.recording_sim import ARRIVALS_PATH
from bench.regions import all_region_codes
from bench.results import ItemResult, Measure, Table, Target
from bench.stack import free_port
from bench.stats import percentile

BASELINE = "bare asyncio+httpx probe loop"
READY_TIMEOUT_S = 180.0
"""Long enough for Gatus, which starts its endpoints one every 222 ms: about 115 s for 514.
Every prober is measured only once it has probed every region twice."""


@dataclass(frozen=True)
class ProbingWindow:
    seconds: float
    probes: int
    regions_seen: int
    cpu_s: float
    peak_bytes: int
    deviations_ms: list[float]

    @property
    def cpu_ms_per_probe(self) -> float:
        return self.cpu_s * 1000 / self.probes if self.probes else math.nan

    @property
    def core_share(self) -> float:
        return self.cpu_s / self.seconds


async def measure_monitor_scale(ctx: BenchContext) -> ItemResult:
    item = ItemResult("monitor_scale", "4. Monitor scale")
    await database.empty_submissions(ctx.db)  # 514 regions going UP must find nothing to send
    await ctx.stack.stop_monitor()
    baseline = await _baseline_window(ctx)
    compiled: dict[str, ProbingWindow] = {}
    for build in await asyncio.gather(build_goprobe(), build_gatus()):
        if build.executable is None:
            item.notes.append(f"{build.name} baseline skipped: {build.skipped}")
        else:
            compiled[build.name] = await _compiled_window(ctx, build)
    await ctx.stack.start_monitor("*")
    monitor_pid = ctx.stack.pids()["siak_monitor"]
    monitor = await _window(ctx, monitor_pid, ctx.config.monitor_window_s)
    interval = ctx.config.monitor_interval_s
    item.measures += [
        Measure(
            "CPU share of one core",
            "core",
            monitor.core_share,
            baseline.core_share,
            BASELINE,
            "lower",
            Target("< 10 % of one core", "figure", at_most=0.10),
        ),
        Measure(
            "CPU per probe",
            "ms",
            monitor.cpu_ms_per_probe,
            baseline.cpu_ms_per_probe,
            BASELINE,
            "lower",
        ),
        Measure(
            "probe-interval jitter p99",
            "ms",
            percentile(monitor.deviations_ms, 0.99),
            percentile(baseline.deviations_ms, 0.99),
            BASELINE,
            "lower",
            Target("< 500 ms", "figure", at_most=500.0),
        ),
        Measure(
            "resident memory",
            "MiB",
            monitor.peak_bytes / 2**20,
            baseline.peak_bytes / 2**20,
            BASELINE,
            "lower",
        ),
    ]
    item.measures += _against_compiled(item, monitor, compiled)
    rows = {"siak_monitor": monitor, BASELINE: baseline, **compiled}
    item.tables.append(_table(rows))
    item.tables.append(await _import_floors(ctx, monitor, compiled))
    item.notes.append(
        f"{len(all_region_codes())} regions every {interval:g} s (MONITOR_WATCH=*), the monitor's "
        "own random spread set to 0 (MONITOR_PROBE_JITTER_S=0) so the deviation measured is "
        "lateness, not design; jitter = |gap between two health requests of a region at the "
        f"simulator - {interval:g} s|. CPU from /proc/<pid>/stat over the window."
    )
    ctx.observations["monitor_scale"] = (monitor, baseline)
    ctx.observations["monitor_compiled"] = _judge(compiled)
    item.details["probe_loop_outcomes"] = ctx.observations.get("probe_loop_result", {}).get(
        "probes"
    )
    return item


async def _baseline_window(ctx: BenchContext) -> ProbingWindow:
    config = ctx.config
    warmup = 2 * config.monitor_interval_s
    child = await Child(
        "bench.probe_loop",
        [
            "--url-template",
            ctx.access.sim_url + "/regions/{region}/health",
            "--interval-s",
            str(config.monitor_interval_s),
            "--duration-s",
            str(warmup + config.baseline_probe_window_s + 2),
        ],
        env=ctx.child_env(),
    ).start()
    try:
        await asyncio.sleep(warmup)
        window = await _measured(ctx, child.pid, config.baseline_probe_window_s, warm=False)
        ctx.observations["probe_loop_result"] = await child.result(timeout_s=60)
    finally:
        await child.kill()
    return window


def _judge(compiled: dict[str, ProbingWindow]) -> tuple[str, ProbingWindow] | None:
    """Gatus when it could be built, else the Go loop: the monitor is judged against it."""
    for name in (GATUS, GOPROBE):
        if name in compiled:
            return name, compiled[name]
    return None


def _against_compiled(
    item: ItemResult, monitor: ProbingWindow, compiled: dict[str, ProbingWindow]
) -> list[Measure]:
    judge = _judge(compiled)
    if judge is None:
        item.notes.append("No compiled baseline ran: CPU per probe and memory are not judged.")
        return []
    name, window = judge
    if name != GATUS:
        item.notes.append(
            f"Gatus could not be built, so the targets set against Gatus are judged against "
            f"the {name} (bench/baselines/goprobe: the same URLs, interval, 3 s timeout, 64 "
            "probes in flight and kept connections, standard library only)."
        )
    return [
        Measure(
            f"CPU per probe vs {name}",
            "ms",
            monitor.cpu_ms_per_probe,
            window.cpu_ms_per_probe,
            name,
            "lower",
            Target("ratio ≤ 1.0", "ratio", at_most=1.0),
        ),
        Measure(
            f"resident memory vs {name}",
            "MiB",
            monitor.peak_bytes / 2**20,
            window.peak_bytes / 2**20,
            name,
            "lower",
            Target("ratio ≤ 1.0", "ratio", at_most=1.0),
        ),
    ]


async def _compiled_window(ctx: BenchContext, build: Build) -> ProbingWindow:
    """The built program probing every region over a window measured as the Python loop's."""
    assert build.executable is not None
    config = ctx.config
    template = ctx.access.sim_url + "/regions/{region}/health"
    if build.name == GOPROBE:
        args = [
            f"-url-template={template}",
            f"-regions={','.join(all_region_codes())}",
            f"-interval={config.monitor_interval_s:g}s",
            "-timeout=3s",
            # killed sooner
            f"-duration={READY_TIMEOUT_S + config.baseline_probe_window_s + 60:g}s",
        ]
        env = ctx.child_env()
    else:
        config_file = config.state_dir / "gatus.yaml"
        config_file.write_text(
            gatus_config(
                template,
                all_region_codes(),
                interval_s=config.monitor_interval_s,
                port=free_port(),
            )
        )
        args, env = [], {"GATUS_CONFIG_PATH": str(config_file), "GATUS_LOG_LEVEL": "WARN"}
    return await _child_window(ctx, build.name, args, env=env, executable=build.executable)


async def _child_window(
    ctx: BenchContext, name: str, args: Sequence[str], *, env: dict[str, str], executable: Path
) -> ProbingWindow:
    child = await Child(name, args, env=env, executable=str(executable)).start()
    try:
        return await _measured(ctx, child.pid, ctx.config.baseline_probe_window_s, warm=True)
    finally:
        await child.kill()


async def _window(ctx: BenchContext, pid: int, seconds: float) -> ProbingWindow:
    return await _measured(ctx, pid, seconds, warm=True)


async def _measured(ctx: BenchContext, pid: int, seconds: float, *, warm: bool) -> ProbingWindow:
    """Resets the simulator's record, watches `pid` for `seconds`, reads the record back."""
    async with httpx.AsyncClient(base_url=ctx.access.sim_url, timeout=60) as sim:
        if warm:
            await _until_all_probed(sim, 2 * ctx.config.monitor_interval_s + READY_TIMEOUT_S)
        (await sim.post(f"{ARRIVALS_PATH}/reset")).raise_for_status()
        loop = asyncio.get_running_loop()
        cpu_before, started = procs.cpu_seconds(pid), loop.time()
        async with procs.sampling_memory({"probe": pid}, every_s=1.0) as peaks:
            await asyncio.sleep(seconds)
        cpu, elapsed = procs.cpu_seconds(pid) - cpu_before, loop.time() - started
        arrivals: dict[str, list[float]] = (await sim.get(ARRIVALS_PATH)).json()
    interval = ctx.config.monitor_interval_s
    deviations = [
        abs(later - earlier - interval) * 1000
        for times in arrivals.values()
        for earlier, later in itertools.pairwise(times)
    ]
    return ProbingWindow(
        seconds=elapsed,
        probes=sum(len(times) for times in arrivals.values()),
        regions_seen=len(arrivals),
        cpu_s=cpu,
        peak_bytes=peaks.peaks.get("probe", 0),
        deviations_ms=deviations,
    )


async def _until_all_probed(sim: httpx.AsyncClient, timeout_s: float) -> None:
    """Every region has been probed at least twice since the monitor (re)started."""
    expected = len(all_region_codes())

    async def all_probed() -> bool:
        arrivals: dict[str, list[float]] = (await sim.get(ARRIVALS_PATH)).json()
        return len(arrivals) >= expected and min(len(t) for t in arrivals.values()) >= 2

    (await sim.post(f"{ARRIVALS_PATH}/reset")).raise_for_status()
    await _poll(all_probed, timeout_s)


async def _poll(condition: Callable[[], Awaitable[bool]], timeout_s: float) -> None:
    """The simulator is another process: asking it again is the only way to learn."""
    async with asyncio.timeout(timeout_s):
        for _ in range(int(timeout_s) + 1):
            if await condition():
                return
            await asyncio.sleep(1.0)


async def _import_floors(
    ctx: BenchContext, monitor: ProbingWindow, compiled: dict[str, ProbingWindow]
) -> Table:
    """Where siak_monitor's memory goes: each layer of what it imports, in a process that does
    nothing else, beside the monitor at work and the compiled probers."""
    rows = []
    for layer, modules in LAYERS.items():
        floor = await run_child("bench.import_floor", modules, env=ctx.child_env(), timeout_s=60)
        rows.append([layer, str(floor["modules"]), f"{floor['pss_bytes'] / 2**20:.1f}"])
    rows.append(["siak_monitor probing every region", "", f"{monitor.peak_bytes / 2**20:.1f}"])
    rows += [[name, "", f"{w.peak_bytes / 2**20:.1f}"] for name, w in compiled.items()]
    return Table(
        "siak_monitor's memory: imports alone (PSS once imported, nothing running) and at work",
        ["", "modules", "MiB"],
        rows,
    )


def _table(windows: dict[str, ProbingWindow]) -> Table:
    def row(name: str, window: ProbingWindow) -> list[str]:
        return [
            name,
            f"{window.seconds:.0f}",
            f"{window.probes:,}",
            str(window.regions_seen),
            f"{window.cpu_s:.2f}",
            f"{100 * window.core_share:.1f} %",
            f"{window.cpu_ms_per_probe:.3f}",
            f"{percentile(window.deviations_ms, 0.5):.1f}",
            f"{percentile(window.deviations_ms, 0.99):.1f}",
            f"{max(window.deviations_ms, default=math.nan):.1f}",
            f"{window.peak_bytes / 2**20:.0f}",
        ]

    return Table(
        "Probing all regions: CPU, punctuality at SIAK, memory",
        [
            "",
            "window s",
            "probes",
            "regions",
            "CPU s",
            "of one core",
            "CPU ms/probe",
            "jitter p50 ms",
            "jitter p99 ms",
            "jitter max ms",
            "peak MiB",
        ],
        [row(name, window) for name, window in windows.items()],
    )
