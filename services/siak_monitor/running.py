"""When the monitor acts: probes, ticks at window edges, publication and the heartbeat."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable

from services.siak_monitor.monitoring import Monitor

log = logging.getLogger(__name__)


async def run_monitor(monitor: Monitor) -> None:
    """Runs until cancelled; each target has a task of its own, so a slow one delays no other."""
    async with asyncio.TaskGroup() as tasks:
        for code in monitor.region_codes:
            probing = functools.partial(monitor.probe_region, code)
            tasks.create_task(_probe_forever(monitor, probing, code), name=f"probe {code}")
        if monitor.parent_target is not None:
            name = monitor.parent_target.name
            tasks.create_task(_probe_forever(monitor, monitor.probe_parent, name), name=name)
        tasks.create_task(_tick_forever(monitor), name="tick")
        tasks.create_task(_publish_forever(monitor), name="publisher")
        tasks.create_task(_heartbeat_forever(monitor), name="heartbeat")


async def _probe_forever(monitor: Monitor, probe: Callable[[], Awaitable[None]], name: str) -> None:
    interval, jitter = monitor.schedule.probe_interval_s, monitor.schedule.probe_jitter_s
    loop = asyncio.get_running_loop()
    # Spread the first probes over one interval so 514 regions do not fire at once.
    await asyncio.sleep(random.uniform(0, interval))
    while True:
        started = loop.time()
        try:
            await probe()
        except Exception:
            log.exception("probing %s failed", name)
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
        try:
            await monitor.publish_heartbeat()
        except Exception:
            log.exception("publishing the heartbeat failed")
        await asyncio.sleep(monitor.schedule.heartbeat_period_s)
