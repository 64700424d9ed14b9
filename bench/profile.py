"""`python -m bench.profile`: py-spy samples of the gate under intake and the monitor at scale,
and of the gate taking status changes (`BENCH_ITEMS` picks among intake, monitor_scale and
propagation)."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from bench import procs
from bench.config import BenchConfig, config_from_environment
from bench.context import BenchContext, bench_context
from bench.items.intake import GATE_WATCHED, nodb_app
from bench.items.load_runs import http_intake_run
from bench.items.propagation import gate_round_trips
from bench.stack import BenchStack
from bench.stats import percentile

RATE_HZ = 100
TOP = 15
SETTLE_S = 5.0
PROPAGATION_ROUND = 50
"""Status changes sent between looks at whether the sampling is over."""


def py_spy_command(
    pid: int, *, duration_s: float, output: Path, rate_hz: int = RATE_HZ
) -> list[str]:
    """py-spy's raw (collapsed-stack) output: one `frame;frame;... count` line per stack.

    Idle samples are left out (py-spy's default), so the counts are CPU, not waiting."""
    return [
        str(Path(sys.executable).with_name("py-spy")),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(duration_s))),  # py-spy takes whole seconds
        "--rate",
        str(rate_hz),
        "--format",
        "raw",
        "--nolineno",
        "--output",
        str(output),
    ]


@dataclass(frozen=True)
class Frames:
    samples: int
    own: list[tuple[str, int]]
    cumulative: list[tuple[str, int]]
    packages: list[tuple[str, int]]
    """Own samples by where the innermost frame's code lives (`fastapi`, `services/queue_gate`)."""
    cpu_s: float = 0.0
    """CPU the process used while sampled (/proc): samples also count waits for a free core."""
    seconds: float = 0.0

    def render(self, title: str) -> str:
        share = self.cpu_s * 100 / max(self.seconds, 1.0)
        lines = [
            f"## {title}: {self.samples} samples in {self.seconds:g} s, "
            f"{self.cpu_s:.1f} s of CPU ({share:.1f} % of a core)",
            "",
        ]
        for heading, ranked in (
            ("own time by package", self.packages),
            ("own time", self.own),
            ("cumulative", self.cumulative),
        ):
            lines += [f"### {heading}", "", "| % | samples | frame |", "| ---: | ---: | --- |"]
            lines += [f"| {n * 100 / self.samples:.1f} | {n} | `{f}` |" for f, n in ranked]
            lines.append("")
        return "\n".join(lines)


def top_frames(collapsed: Iterable[str], *, top: int = TOP) -> Frames:
    """Own samples count the innermost frame; cumulative ones every frame on the stack, once."""
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    samples = 0
    for line in collapsed:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        samples += int(count)
        own[frames[-1]] += int(count)
        packages[package_of(frames[-1])] += int(count)
        for frame in set(frames):
            cumulative[frame] += int(count)
    return Frames(
        samples, own.most_common(top), cumulative.most_common(top), packages.most_common(top)
    )


def package_of(frame: str) -> str:
    """`handle (services/queue_gate/x.py)` -> `services/queue_gate`; `f (json/y.py)` -> `json`."""
    path = frame.rpartition(" (")[2].rstrip(")")
    parts = path.split("/")
    if len(parts) == 1:
        return path
    return (
        "/".join(parts[:2]) if parts[0] in ("services", "shared") and len(parts) > 2 else parts[0]
    )


async def record(pid: int, *, duration_s: float, output: Path) -> Frames:
    seconds = float(max(1, round(duration_s)))
    cpu_before = procs.cpu_seconds(pid)
    process = await asyncio.create_subprocess_exec(
        *py_spy_command(pid, duration_s=duration_s, output=output),
        stdout=asyncio.subprocess.DEVNULL,
    )
    if await process.wait() != 0:
        raise RuntimeError(f"py-spy exited with {process.returncode} sampling pid {pid}")
    cpu_s = procs.cpu_seconds(pid) - cpu_before
    frames = top_frames((await asyncio.to_thread(output.read_text)).splitlines())
    return replace(frames, cpu_s=cpu_s, seconds=seconds)


async def profile_intake(ctx: BenchContext, out: Path) -> Frames:
    """The gate sampled over the measured windows (warm-up left out) of one intake run."""
    pids = ctx.stack.pids()
    watched = {k: v for k, v in pids.items() if k in GATE_WATCHED}
    return await _sampled_under_intake(
        ctx, out, "queue_gate", port=ctx.access.gate_port, pid=pids["queue_gate"], watched=watched
    )


async def profile_intake_nodb(ctx: BenchContext, out: Path) -> Frames:
    """Baseline H (the same route with no database) sampled as `profile_intake` samples the
    gate: what the two profiles share is the framework's, what only the gate's has is storing."""
    async with nodb_app(ctx) as nodb:
        pid = nodb.pid()
        assert pid is not None
        return await _sampled_under_intake(
            ctx, out, "intake_nodb", port=nodb.port, pid=pid, watched={"intake_nodb": pid}
        )


async def _sampled_under_intake(
    ctx: BenchContext, out: Path, name: str, *, port: int, pid: int, watched: dict[str, int]
) -> Frames:
    config = ctx.config
    concurrency = config.intake_concurrency
    load = asyncio.create_task(
        http_intake_run(ctx, port=port, concurrency=concurrency, watched=watched)
    )
    await asyncio.sleep(config.warmup_s)
    frames = await record(
        pid,
        duration_s=config.window_s * config.runs,
        output=out / f"{name}-intake-c{concurrency}.txt",
    )
    run = await load
    print(f"{name} c={concurrency}: {run.rate_per_s:,.0f}/s, p99 {run.p99_ms:.1f} ms", flush=True)
    return frames


async def profile_monitor(ctx: BenchContext, out: Path) -> Frames:
    """The monitor watching every region, sampled after two probe rounds of warm-up."""
    config = ctx.config
    await ctx.stack.start_monitor("*")
    await asyncio.sleep(2 * config.monitor_interval_s)
    return await record(
        ctx.stack.pids()["siak_monitor"],
        duration_s=config.monitor_window_s,
        output=out / "siak_monitor-all-regions.txt",
    )


async def profile_propagation(ctx: BenchContext, out: Path) -> Frames:
    """The gate sampled while item 2 sends it status changes, one at a time, as it does."""
    config = ctx.config
    recording = asyncio.create_task(
        record(
            ctx.stack.pids()["queue_gate"],
            duration_s=config.window_s * config.runs,
            output=out / "queue_gate-propagation.txt",
        )
    )
    latencies: list[float] = []
    while not recording.done():
        latencies += await gate_round_trips(ctx, PROPAGATION_ROUND)
    print(
        f"propagation: {len(latencies)} changes, p50 {percentile(latencies, 0.5):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms",
        flush=True,
    )
    return await recording


async def run_profile(config: BenchConfig) -> Path:
    out = config.state_dir.parent / "bench-profile"
    out.mkdir(parents=True, exist_ok=True)
    BenchStack.clear(config.state_dir)
    stack = BenchStack(config.state_dir, interval_s=config.monitor_interval_s)
    try:
        await stack.up()
        async with bench_context(config, stack) as ctx:
            await asyncio.sleep(SETTLE_S)
            sections = [
                (title, await profile(ctx, out))
                for item, title, profile in _profiles(config)
                if item in config.items
            ]
    finally:
        await asyncio.to_thread(stack.down)
    summary = out / "summary.md"
    summary.write_text(
        f"# py-spy at {RATE_HZ} Hz, BENCH_SCALE={config.scale}\n\n"
        + "\n".join(frames.render(title) for title, frames in sections)
    )
    return summary


def _profiles(
    config: BenchConfig,
) -> list[tuple[str, str, Callable[[BenchContext, Path], Awaitable[Frames]]]]:
    return [
        ("intake", f"queue_gate under intake at c={config.intake_concurrency}", profile_intake),
        (
            "intake",
            f"baseline H (no database) under intake at c={config.intake_concurrency}",
            profile_intake_nodb,
        ),
        ("propagation", "queue_gate taking status changes one at a time", profile_propagation),
        (
            "monitor_scale",
            f"siak_monitor, every region every {config.monitor_interval_s:g} s",
            profile_monitor,
        ),
    ]


def main() -> int:
    summary = asyncio.run(run_profile(config_from_environment()))
    print(summary.read_text())
    print(f"wrote {summary} beside the raw stacks", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
