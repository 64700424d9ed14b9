"""When the monitor acts: probes, ticks at window edges, publication and the heartbeat.

Each loop runs as its own task under a `Supervisor`, which restarts it with back-off when it
raises (or returns), counts it, and names it in `/readyz` once it has failed for too long:

- `probe <code>`, one per watched region, so a slow or broken region delays no other;
- `parent probe` when a parent target is configured;
- `tick`, letting time pass over the maintenance calendar;
- `publisher`, sending what subscribers are owed once the read-back is done;
- `heartbeat`;
- `restore`, reading back what earlier runs published (then idle: its work is done).

A failure inside a loop is not caught here: the supervisor's log, metric and back-off are
where every unexpected error goes, so none is swallowed unseen.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable

from services.siak_monitor.monitoring import Monitor
from shared.supervision import Supervisor

PROBE_TASK_PREFIX = "probe "
PARENT_PROBE_TASK = "parent probe"
PROBES = "probes"


def task_kind(name: str) -> str:
    """What metrics count a task's failures under: every region's probe is one of `probes`,
    so 514 regions make one label value, not 514."""
    return PROBES if name.startswith(PROBE_TASK_PREFIX) else name


def supervise_monitor(
    monitor: Monitor, supervisor: Supervisor, restore: Callable[[], Awaitable[None]]
) -> None:
    """Start every loop of the monitor under `supervisor`; `restore` reads back the past."""
    for code in monitor.region_codes:
        probing = functools.partial(monitor.probe_region, code)
        supervisor.start(
            PROBE_TASK_PREFIX + code, functools.partial(_probe_forever, monitor, probing)
        )
    if monitor.parent_target is not None:
        parent = functools.partial(_probe_forever, monitor, monitor.probe_parent)
        supervisor.start(PARENT_PROBE_TASK, parent)
    supervisor.start("tick", functools.partial(_tick_forever, monitor))
    supervisor.start("publisher", functools.partial(_publish_forever, monitor))
    supervisor.start("heartbeat", functools.partial(_heartbeat_forever, monitor))
    supervisor.start("restore", functools.partial(_restore_once, monitor, restore))


async def _probe_forever(monitor: Monitor, probe: Callable[[], Awaitable[None]]) -> None:
    interval, jitter = monitor.schedule.probe_interval_s, monitor.schedule.probe_jitter_s
    loop = asyncio.get_running_loop()
    # Spread the first probes over one interval so 514 regions do not fire at once.
    await asyncio.sleep(random.uniform(0, interval))
    while True:
        started = loop.time()
        await probe()
        # Measured from the start, so a slow answer does not stretch the interval.
        elapsed = loop.time() - started
        await asyncio.sleep(max(0.0, interval + random.uniform(-jitter, jitter) - elapsed))


async def _tick_forever(monitor: Monitor) -> None:
    while True:
        monitor.tick()
        monitor.calendar_moved.clear()
        try:
            async with asyncio.timeout(monitor.until_next_edge()):
                await monitor.calendar_moved.wait()
        except TimeoutError:
            pass


async def _publish_forever(monitor: Monitor) -> None:
    await monitor.restored.wait()
    delay = monitor.schedule.publish_retry_s
    # After a restart, look again: what was owed when the last run failed is owed still.
    monitor.owed.set()
    while True:
        await monitor.owed.wait()
        monitor.owed.clear()
        if await monitor.publish_owed():
            delay = monitor.schedule.publish_retry_s
            continue
        # Kafka is away: try again later, less often the longer it stays away.
        await asyncio.sleep(delay)
        delay = min(delay * 2, monitor.schedule.max_publish_retry_s)
        monitor.owed.set()


async def _heartbeat_forever(monitor: Monitor) -> None:
    await monitor.restored.wait()
    while True:
        await monitor.publish_heartbeat()
        await asyncio.sleep(monitor.schedule.heartbeat_period_s)


async def _restore_once(monitor: Monitor, restore: Callable[[], Awaitable[None]]) -> None:
    if not monitor.restored.is_set():
        await restore()
    # Done for good; returning would count as a failure and restore again.
    await asyncio.Event().wait()
