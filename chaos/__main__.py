"""`make chaos` (`python -m chaos [--only 1,2]`): every scenario on a stack of its own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import time

import httpx

from chaos import faults
from chaos.harness import CLOCK_OFFSET_VARIABLE, FAST, Harness
from chaos.scenarios import SCENARIOS
from chaos.suite import Suite
from chaos.table import Outcome, render
from chaos.tcp_line import TcpLine
from deploy.local.processes import StartError
from deploy.local.python_service import REPO_ROOT
from deploy.local.stack import Stack, StackSettings

CHAOS_STATE = REPO_ROOT / ".run" / "chaos"
EVIDENCE = REPO_ROOT / ".run" / "chaos-evidence"
"""Each scenario's client log, SIAK's log and the statuses, kept after the stack is gone."""
WATCHED = "73.71,73.72,73.73,73.06,73.09"


SIAK_SIM_PORT = 18290
SIAK_LINE = TcpLine(18291, SIAK_SIM_PORT)
"""queue_gate reaches the simulator through it: cut, SIAK refuses connections and still
keeps the log of what it received."""


def chaos_stack() -> Stack:
    return Stack(
        StackSettings(
            state_dir=CHAOS_STATE,
            kafka_port=19292,
            kafka_controller_port=19293,
            postgres_port=15633,
            siak_sim_port=SIAK_SIM_PORT,
            monitor_port=18281,
            gate_port=18280,
            watch=WATCHED,
            extra_env={**FAST, CLOCK_OFFSET_VARIABLE: str(CHAOS_STATE / "monitor-clock-offset")},
            gate_siak_url=SIAK_LINE.url,
        )
    )


def selected(only: str | None) -> list[int]:
    known = [s.number for s in SCENARIOS]
    if not only:
        return known
    numbers = [int(part) for part in only.split(",") if part.strip()]
    unknown = sorted(set(numbers) - set(known))
    if unknown:
        raise SystemExit(f"no scenario numbered {unknown}; there are {known}")
    return numbers


async def main(numbers: list[int]) -> int:
    await asyncio.to_thread(chaos_stack().down)  # what an interrupted run may have left
    shutil.rmtree(CHAOS_STATE, ignore_errors=True)
    shutil.rmtree(EVIDENCE, ignore_errors=True)
    stack = chaos_stack()
    outcomes: list[Outcome] = []
    began = time.monotonic()
    try:
        print("Starting Kafka, PostgreSQL, the SIAK simulator, siak_monitor and queue_gate ...")
        async with SIAK_LINE.serving() as line, httpx.AsyncClient(timeout=10) as http:
            await asyncio.to_thread(stack.up)
            suite = Suite(Harness(stack, http, siak_line=line), EVIDENCE)
            for scenario in (s for s in SCENARIOS if s.number in numbers):
                print(f"scenario {scenario.name} ...", flush=True)
                outcome = await suite.run(scenario)
                print("\n".join(render([outcome]).splitlines()[2:]), flush=True)
                outcomes.append(outcome)
    except StartError as error:
        print(f"the stack could not start: {error}", file=sys.stderr)
        return 1
    finally:
        for component in stack.components:  # a frozen process would not hear the stop
            with contextlib.suppress(StartError, OSError):
                faults.thaw(component)
        await asyncio.to_thread(stack.down)
    print(f"\n{render(outcomes)}\n\n{len(outcomes)} scenarios in {time.monotonic() - began:.0f} s")
    print(f"evidence of each scenario: {EVIDENCE}")
    return 0 if outcomes and all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--only", help="comma-separated scenario numbers, e.g. 1,2")
    sys.exit(asyncio.run(main(selected(parser.parse_args().only))))
