"""`python -m bench` (`make bench`): starts the stack, measures every item beside its baseline,
writes `bench/results.md` and `bench/results.json`, stops the stack."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bench.config import BenchConfig, config_from_environment
from bench.context import BenchContext, bench_context
from bench.items.backlog import measure_backlog
from bench.items.intake import measure_intake
from bench.items.memory import assemble_memory, note_idle
from bench.items.monitor_scale import measure_monitor_scale
from bench.items.propagation import measure_propagation
from bench.items.replay import measure_replay
from bench.machine import describe
from bench.report import write_results
from bench.results import ItemResult
from bench.stack import BenchStack

Step = Callable[[BenchContext], Awaitable[ItemResult]]
SETTLE_S = 5.0
STEP_TIMEOUT_S = {"smoke": 300.0, "default": 1800.0, "large": 14_400.0}
# The order they run in: the monitor item last, since it restarts the monitor watching all
# regions (which opens every gate).
STEPS: list[tuple[str, str, Step]] = [
    ("intake", "1. Durable intake", measure_intake),
    ("propagation", "2. Status propagation", measure_propagation),
    ("replay", "3. Replay", measure_replay),
    ("backlog", "6. Backlog at national scale", measure_backlog),
    ("monitor_scale", "4. Monitor scale", measure_monitor_scale),
]


async def run_bench(config: BenchConfig) -> list[ItemResult]:
    started = time.monotonic()
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    BenchStack.clear(config.state_dir)
    stack = BenchStack(config.state_dir, interval_s=config.monitor_interval_s)
    try:
        _say(f"starting the stack under {config.state_dir}")
        await stack.up()
        async with bench_context(config, stack) as ctx:
            await asyncio.sleep(SETTLE_S)
            note_idle(ctx)
            chosen = [step for step in STEPS if step[0] in config.items]
            items = [await _guarded(ctx, key, title, step) for key, title, step in chosen]
            items.append(assemble_memory(ctx))
            items.sort(key=lambda item: item.title)
            meta = await describe(ctx, config)
    finally:
        _say("stopping the stack")
        await asyncio.to_thread(stack.down)
    meta.update(started_at=started_at, duration_s=round(time.monotonic() - started, 1))
    write_results(items, meta, markdown=config.results_md, json_path=config.results_json)
    _say(f"wrote {config.results_md} and {config.results_json}")
    return items


async def _guarded(ctx: BenchContext, key: str, title: str, step: Step) -> ItemResult:
    """An item that fails or overruns is reported as not measured; the others still run."""
    _say(f"measuring {title}")
    began = time.monotonic()
    try:
        async with asyncio.timeout(STEP_TIMEOUT_S[ctx.config.scale]):
            item = await step(ctx)
    except Exception as error:
        traceback.print_exc()
        item = ItemResult(key, title, error=f"{type(error).__name__}: {error}")
    _say(f"  {title} took {time.monotonic() - began:.0f} s")
    return item


def _say(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    items = asyncio.run(run_bench(config_from_environment()))
    unmeasured = [item.title for item in items if item.error]
    if unmeasured:
        print(f"not measured: {', '.join(unmeasured)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
