"""Probing: a per-probe deadline, bounded concurrency, and no region waiting on another."""

from __future__ import annotations

import asyncio

from shared.events import SiakStatus
from shared.supervision import Supervisor
from tests.support.polling import eventually
from tests.unit.siak_monitor.fakes import FakeClock, fake_monitor, settings, supervised


async def test_a_hanging_probe_fails_as_a_timeout_at_its_deadline() -> None:
    clock = FakeClock()
    monitor, prober, _ = fake_monitor(settings(watch="73.71", probe_timeout_s=0.05), clock)
    prober.hanging.add("73.71")

    await asyncio.wait_for(monitor.probe_region("73.71"), timeout=2)

    evidence = monitor.watched.region("73.71").health.last_probe
    assert evidence is not None and (evidence.ok, evidence.error) == (False, "timeout")


async def test_a_hanging_region_never_delays_the_others() -> None:
    clock = FakeClock()
    config = settings(watch="73", probe_timeout_s=30, probe_interval_s=0.01)
    monitor, prober, _ = fake_monitor(config, clock)
    prober.hanging.add("73.71")
    others = [code for code in monitor.region_codes if code != "73.71"]

    async def others_up() -> bool:
        return all(monitor.watched.region(c).status == SiakStatus.UP for c in others)

    async with supervised(monitor, Supervisor()):
        await eventually(others_up, within=5, what="every other region UP")
    assert monitor.watched.region("73.71").status == SiakStatus.UNKNOWN


async def test_no_more_probes_run_at_once_than_allowed() -> None:
    clock = FakeClock()
    monitor, prober, _ = fake_monitor(settings(watch="73", max_concurrent_probes=3), clock)

    await asyncio.gather(*(monitor.probe_region(code) for code in monitor.region_codes))

    assert prober.most_in_flight == 3
    assert len(prober.probed) == len(monitor.region_codes)
