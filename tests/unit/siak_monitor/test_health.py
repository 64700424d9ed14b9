"""A region's probe-driven health: failure and success thresholds, UP/DEGRADED switching."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.siak_monitor.domain.health import HealthThresholds, RegionHealth
from services.siak_monitor.domain.probe import ProbeResult
from shared.events import SiakStatus
from tests.unit.siak_monitor.builders import PROBE_INTERVAL, START, answered, failed, probes

THRESHOLDS = HealthThresholds(failure_threshold=3, success_threshold=2)


def feed(health: RegionHealth, outcomes: list[bool], start_index: int = 0) -> None:
    for probe in probes(outcomes, START + start_index * PROBE_INTERVAL):
        health.observe(probe)


def test_region_is_unknown_until_the_thresholds_are_met() -> None:
    health = RegionHealth("73.71", THRESHOLDS)

    feed(health, [True])

    assert health.status == SiakStatus.UNKNOWN


def test_region_goes_down_after_failure_threshold_consecutive_failures() -> None:
    health = RegionHealth("73.71", THRESHOLDS)
    feed(health, [True, True, False, False])
    assert health.status == SiakStatus.UP

    transition = health.observe(failed(START + 4 * PROBE_INTERVAL, "timeout"))

    assert transition is not None
    assert (transition.previous_status, transition.status) == (SiakStatus.UP, SiakStatus.DOWN)
    assert transition.reason == "timeout"
    assert health.reason == "timeout"


def test_one_slow_answer_among_fast_ones_keeps_the_region_up() -> None:
    health = RegionHealth("73.71", THRESHOLDS)
    feed(health, [True, True])

    slow = answered(START + 2 * PROBE_INTERVAL, latency_ms=5000.0)

    assert health.observe(slow) is None
    assert health.status == SiakStatus.UP


outcome_runs = st.lists(st.booleans(), max_size=200)


@given(outcomes=outcome_runs)
def test_never_down_without_failure_threshold_consecutive_failures(outcomes: list[bool]) -> None:
    health = RegionHealth("73.71", THRESHOLDS)
    seen: list[ProbeResult] = []
    for probe in probes(outcomes):
        seen.append(probe)
        transition = health.observe(probe)
        if transition is not None and transition.status == SiakStatus.DOWN:
            latest = seen[-THRESHOLDS.failure_threshold :]
            assert len(latest) == THRESHOLDS.failure_threshold
            assert not any(p.ok for p in latest)
