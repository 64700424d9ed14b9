"""A region that keeps falling over needs a longer run of successes before it is UP again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.siak_monitor.domain.health import ANSWERING, HealthThresholds, RegionHealth
from shared.events import SiakStatus
from tests.unit.siak_monitor.builders import PROBE_INTERVAL, START, failed, probes

THRESHOLDS = HealthThresholds(
    failure_threshold=3,
    success_threshold=2,
    max_success_threshold=8,
    flap_window=timedelta(minutes=10),
)
outcome_runs = st.lists(st.booleans(), max_size=200)


def feed(health: RegionHealth, outcomes: list[bool], start_index: int = 0) -> None:
    for probe in probes(outcomes, START + start_index * PROBE_INTERVAL):
        health.observe(probe)


def flap_once(health: RegionHealth, start_index: int) -> int:
    """Recover with the run currently required, then fail again; the index after."""
    required = health.required_success_run(START + start_index * PROBE_INTERVAL)
    feed(health, [True] * required + [False] * 3, start_index)
    return start_index + required + 3


def test_region_that_never_flapped_recovers_after_the_plain_success_threshold() -> None:
    health = RegionHealth("73.71", THRESHOLDS)
    feed(health, [False] * 3 + [True] * 2)

    assert health.status == SiakStatus.UP


def test_region_that_flaps_needs_a_longer_run_of_successes() -> None:
    health = RegionHealth("73.71", THRESHOLDS)
    feed(health, [False] * 3)
    after_flap = flap_once(health, 3)

    statuses = []
    for probe in probes([True] * 4, START + after_flap * PROBE_INTERVAL):
        health.observe(probe)
        statuses.append(health.status)

    assert statuses == [SiakStatus.DOWN] * 3 + [SiakStatus.UP]


def test_required_success_run_doubles_per_recent_flap_up_to_the_bound() -> None:
    health = RegionHealth("73.71", THRESHOLDS)
    feed(health, [False] * 3)
    index = 3
    required_runs = []
    for _ in range(4):
        index = flap_once(health, index)
        required_runs.append(health.required_success_run(START + index * PROBE_INTERVAL))

    assert required_runs == [4, 8, 8, 8]


def test_flaps_older_than_the_window_no_longer_count() -> None:
    health = RegionHealth("73.71", THRESHOLDS)
    feed(health, [False] * 3)
    index = flap_once(health, 3)
    flapped_at = START + (index - 1) * PROBE_INTERVAL

    assert health.required_success_run(flapped_at) == 4
    assert health.required_success_run(flapped_at + THRESHOLDS.flap_window) == 2


def test_going_down_long_after_recovering_is_not_a_flap() -> None:
    health = RegionHealth("73.71", THRESHOLDS)
    feed(health, [False] * 3 + [True] * 2)
    later = START + THRESHOLDS.flap_window + timedelta(minutes=1)

    for at in (later, later + PROBE_INTERVAL, later + 2 * PROBE_INTERVAL):
        health.observe(failed(at))

    assert health.status == SiakStatus.DOWN
    assert health.required_success_run(later) == THRESHOLDS.success_threshold


def test_thresholds_refuse_a_bound_below_the_success_threshold() -> None:
    with pytest.raises(ValueError, match="max_success_threshold"):
        HealthThresholds(success_threshold=4, max_success_threshold=3)


@given(outcomes=outcome_runs)
def test_never_leaves_down_without_the_required_run_of_successes(outcomes: list[bool]) -> None:
    health = RegionHealth("73.71", THRESHOLDS)
    for probe in probes(outcomes):
        required = health.required_success_run(probe.checked_at)
        was_down = health.status == SiakStatus.DOWN
        health.observe(probe)
        if was_down and health.status in ANSWERING:
            assert health.answering_run >= required


@given(outcomes=outcome_runs)
def test_required_success_run_stays_between_threshold_and_bound(outcomes: list[bool]) -> None:
    health = RegionHealth("73.71", THRESHOLDS)
    for probe in probes(outcomes):
        health.observe(probe)
        required = health.required_success_run(probe.checked_at)
        assert THRESHOLDS.success_threshold <= required <= THRESHOLDS.success_run_bound
