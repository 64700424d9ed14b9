"""The stack the bench measures: started on free ports under `.run/bench/`, or pointed at the
broker and database named by `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL`."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg

from deploy.local.component import Component, Paths
from deploy.local.python_service import PythonService
from deploy.local.stack import Stack, StackSettings

BENCH_DATABASE = "siak_gate_bench"
"""On a database server of the caller's, the bench works in a database of its own."""
DEFAULT_WATCH = "73"
STATE_MARKER = ".bench-state"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stack_env(interval_s: float) -> dict[str, str]:
    """Settings the bench gives the services: pacing that lets replay run at full speed."""
    return {
        "GATE_CANARY_COUNT": "0",
        "GATE_INITIAL_RATE": "100000",
        "GATE_MAX_RATE": "100000",
        "GATE_RAMP_INTERVAL_S": "1",
        "GATE_MAX_ACTIVE_REGIONS": "64",
        "GATE_STALE_AFTER_S": "600",
        # One process, whatever the caller's environment says; item 1 restarts it with more.
        "GATE_WORKERS": "1",
        "GATE_CONSUMER_GROUP": f"queue-gate-bench-{time.time_ns()}",
        "MONITOR_PROBE_INTERVAL_S": f"{interval_s:g}",
        "MONITOR_PROBE_JITTER_S": "0",
    }


@dataclass(frozen=True)
class StackAccess:
    """What the measurements need to reach and judge the running stack."""

    gate_url: str
    sim_url: str
    monitor_url: str
    bootstrap_servers: str
    database_url: str
    api_key: str
    data_key: str
    applicant_secret: str
    env: Mapping[str, str]

    @property
    def gate_port(self) -> int:
        return int(self.gate_url.rsplit(":", 1)[1])

    @property
    def sim_port(self) -> int:
        return int(self.sim_url.rsplit(":", 1)[1])


class BenchStack:
    def __init__(self, state_dir: Path, *, interval_s: float) -> None:
        self.state_dir = state_dir
        external_database = os.environ.get("DATABASE_URL") or None
        self.settings = StackSettings(
            state_dir=state_dir,
            kafka_port=free_port(),
            kafka_controller_port=free_port(),
            postgres_port=free_port(),
            siak_sim_port=free_port(),
            monitor_port=free_port(),
            gate_port=free_port(),
            watch=DEFAULT_WATCH,
            external_kafka=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            external_database=_bench_database(external_database) if external_database else None,
            extra_env=stack_env(interval_s),
        )
        self.stack = _with_recording_simulator(Stack(self.settings))

    @staticmethod
    def clear(state_dir: Path) -> None:
        """Stop what an earlier, interrupted run left behind, then start from empty."""
        if state_dir.exists() and any(state_dir.iterdir()):
            if not (state_dir / STATE_MARKER).exists():
                raise SystemExit(f"{state_dir} is not empty and was not made by the bench")
            Stack(StackSettings(state_dir=state_dir)).down()
            shutil.rmtree(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / STATE_MARKER).write_text("made by python -m bench; removed by its next run\n")

    async def up(self) -> StackAccess:
        if self.settings.external_database is not None:
            await _recreate_database(self.settings.external_database)
        await asyncio.to_thread(self.stack.up)
        return self.access()

    def down(self) -> None:
        self.stack.down()

    def access(self) -> StackAccess:
        env = self.stack.environment()
        secrets = _read_secrets(self.state_dir / "secrets.env")
        return StackAccess(
            gate_url=env["GATE_URL"],
            sim_url=env["SIAK_SIM_URL"],
            monitor_url=env["MONITOR_URL"],
            bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
            database_url=env["DATABASE_URL"],
            api_key=secrets["GATE_API_KEY"],
            data_key=secrets["GATE_DATA_KEY"],
            applicant_secret=secrets["GATE_APPLICANT_KEY_SECRET"],
            env=dict(self.settings.extra_env),
        )

    def pids(self) -> dict[str, int]:
        """The running components' process ids, by component name."""
        found = {c.name: c.pid() for c in self.stack.components}
        return {name: pid for name, pid in found.items() if pid is not None}

    def component(self, name: str) -> Component:
        return next(c for c in self.stack.components if c.name == name)

    async def start_gate(self, workers: int) -> None:
        """(Re)start queue_gate with `GATE_WORKERS=workers`, everything else as before."""
        await asyncio.to_thread(self.component("queue_gate").stop)
        env = {**self.settings.extra_env, "GATE_WORKERS": str(workers)}
        fresh = Stack(replace(self.settings, extra_env=env)).services
        gate = next(c for c in fresh if c.name == "queue_gate")
        self.stack.services = [gate if c.name == "queue_gate" else c for c in self.stack.services]
        await asyncio.to_thread(gate.ensure_running)

    async def stop_monitor(self) -> None:
        await asyncio.to_thread(self.component("siak_monitor").stop)

    async def start_monitor(self, watch: str) -> None:
        """(Re)start siak_monitor watching `watch`, everything else as before."""
        await self.stop_monitor()
        settings = replace(self.settings, watch=watch)
        fresh = Stack(settings).services
        monitor = next(c for c in fresh if c.name == "siak_monitor")
        self.stack.services = [
            monitor if c.name == "siak_monitor" else c for c in self.stack.services
        ]
        await asyncio.to_thread(monitor.ensure_running)


def _with_recording_simulator(stack: Stack) -> Stack:
    """The simulator, unchanged, wrapped to note when each region's health is asked for."""
    settings = stack.settings
    recording = PythonService(
        Paths(settings.state_dir),
        name="siak_sim",
        module="bench.recording_sim",
        port=settings.siak_sim_port,
        ready_path="/healthz",
        env={"SIAK_SIM_PORT": str(settings.siak_sim_port)},
    )
    stack.services = [recording if c.name == "siak_sim" else c for c in stack.services]
    return stack


def _bench_database(url: str) -> str:
    return f"{url.rpartition('/')[0]}/{BENCH_DATABASE}"


async def _recreate_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres", timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def _read_secrets(path: Path) -> dict[str, str]:
    pairs = (line.partition("=") for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, _, value in pairs}
