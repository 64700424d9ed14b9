"""Fault injectors: signals to a component's processes, restarts, SIAK's faults, raw records."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterable

import httpx
from aiokafka import AIOKafkaProducer

from chaos.load import require_loopback
from deploy.local.component import Component
from deploy.local.processes import StartError

RESTART_TRIES = 5


def signal_component(component: Component, sig: signal.Signals) -> None:
    """Send `sig` to the component's whole process group, as a crash or a freeze would hit it.

    The pid comes from its pid file, checked to be ours; a component not running is an error.
    """
    pid = component.pid()
    if pid is None or not component.is_alive():
        raise StartError(f"{component.name} is not running: nothing to signal")
    os.killpg(pid, sig)


def kill(component: Component) -> None:
    signal_component(component, signal.SIGKILL)


def freeze(component: Component) -> None:
    signal_component(component, signal.SIGSTOP)


def thaw(component: Component) -> None:
    signal_component(component, signal.SIGCONT)


async def restart(component: Component) -> None:
    """Start it again as `make up` would; a server's remains may need a moment to go."""
    for attempt in range(1, RESTART_TRIES + 1):
        try:
            await asyncio.to_thread(component.ensure_running)
            return
        except StartError:
            if attempt == RESTART_TRIES:
                raise
            await asyncio.sleep(attempt)  # the old processes are still going away


async def siak_condition(
    http: httpx.AsyncClient,
    sim_url: str,
    regions: Iterable[str],
    state: str,
    latency_ms: int | None = None,
) -> None:
    """Put the simulator's regions in `state` (`up`, `down`, `slow`, `error`, `redirect`, ...)."""
    body: dict[str, object] = {"state": state}
    if latency_ms is not None:
        body["latency_ms"] = latency_ms
    for region in regions:
        url = f"{require_loopback(sim_url)}/_control/regions/{region}"
        (await http.put(url, json=body)).raise_for_status()


async def write_raw(
    bootstrap_servers: str,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes]],
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Write records (key, value) into `topic` as they are, bypassing every producer's checks."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers)
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers or [])
    finally:
        with contextlib.suppress(Exception):
            await producer.stop()
