"""After maintenance a region is UP only once probes succeed; until then it is DOWN, overrun."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.siak_monitor.domain.health import ANSWERING, HealthThresholds
from services.siak_monitor.domain.region_status import (
    MAINTENANCE_OVERRUN,
    RegionStatus,
    ResolvedStatus,
    overrun_estimate,
)
from shared.events import SiakStatus
from tests.unit.siak_monitor.builders import START, answered, failed, probes, region_up, window

THRESHOLDS = HealthThresholds(
    failure_threshold=3, success_threshold=2, overrun_extension=timedelta(hours=1)
)
WINDOW_ENDS = START + timedelta(hours=6)
MIGRATION = window(START, WINDOW_ENDS, "73.71")
# Each step after the window: a probe that answers, a probe that fails, or only the clock.
steps = st.lists(st.sampled_from(["answered", "failed", "tick"]), max_size=80)


def region_failing_through_maintenance() -> RegionStatus:
    region = region_up(THRESHOLDS)
    for probe in probes([False] * 3, START + timedelta(hours=1)):
        region.observe(probe, maintenance=MIGRATION)
    return region


def test_failing_at_the_end_of_maintenance_is_an_overrun_with_a_new_estimate() -> None:
    region = region_failing_through_maintenance()

    transition = region.tick(WINDOW_ENDS)

    assert transition is not None
    assert (transition.status, transition.reason) == (SiakStatus.DOWN, MAINTENANCE_OVERRUN)
    assert transition.since == WINDOW_ENDS
    assert transition.expected_return_at == WINDOW_ENDS + timedelta(hours=1)


def test_an_overrun_estimate_moves_on_once_it_passes_without_changing_since() -> None:
    region = region_failing_through_maintenance()
    region.tick(WINDOW_ENDS)

    transition = region.tick(WINDOW_ENDS + timedelta(hours=1))

    assert transition is not None
    assert transition.status == SiakStatus.DOWN
    assert transition.since == WINDOW_ENDS
    assert transition.expected_return_at == WINDOW_ENDS + timedelta(hours=2)


def test_an_overrun_ends_in_up_once_the_success_threshold_is_met() -> None:
    region = region_failing_through_maintenance()
    region.tick(WINDOW_ENDS)
    first, second = probes([True, True], WINDOW_ENDS + timedelta(minutes=5))

    assert region.observe(first) is None
    transition = region.observe(second)

    assert transition is not None
    assert (transition.status, transition.reason) == (SiakStatus.UP, None)
    assert transition.expected_return_at is None


def test_a_region_answering_when_maintenance_ends_is_up_at_the_end() -> None:
    region = region_failing_through_maintenance()
    for probe in probes([True, True], WINDOW_ENDS - timedelta(minutes=1)):
        region.observe(probe, maintenance=MIGRATION)

    transition = region.tick(WINDOW_ENDS)

    assert transition is not None
    assert transition.status == SiakStatus.UP


def test_a_failure_just_before_the_end_means_overrun_even_if_the_region_looked_up() -> None:
    region = region_up(THRESHOLDS)
    region.observe(failed(WINDOW_ENDS - timedelta(seconds=1)), maintenance=MIGRATION)
    assert region.health.status == SiakStatus.UP

    region.tick(WINDOW_ENDS)

    assert region.current.reason == MAINTENANCE_OVERRUN


def test_a_window_cancelled_early_while_failing_overruns_from_the_cancellation() -> None:
    region = region_failing_through_maintenance()
    cancelled_at = START + timedelta(hours=2)

    region.tick(cancelled_at, maintenance=None)

    assert region.current == ResolvedStatus(
        SiakStatus.DOWN, MAINTENANCE_OVERRUN, cancelled_at + timedelta(hours=1)
    )


@given(steps=steps)
def test_an_overrun_never_ends_in_up_without_a_run_of_successes(steps: list[str]) -> None:
    region = region_failing_through_maintenance()
    region.tick(WINDOW_ENDS)
    answers_since_end: list[bool] = []
    for index, step in enumerate(steps):
        at = WINDOW_ENDS + (index + 1) * timedelta(minutes=7)
        if step == "tick":
            transition = region.tick(at)
            assert transition is None or transition.status not in ANSWERING
            continue
        answers_since_end.append(step == "answered")
        transition = region.observe(answered(at) if step == "answered" else failed(at))
        if transition is not None and transition.status in ANSWERING:
            assert answers_since_end[-THRESHOLDS.success_threshold :] == [True] * 2


@given(
    seconds_after_end=st.integers(-3600, 10 * 24 * 3600),
    extension_minutes=st.integers(1, 600),
)
def test_an_overrun_estimate_is_always_ahead_of_now_by_at_most_one_extension(
    seconds_after_end: int, extension_minutes: int
) -> None:
    extension = timedelta(minutes=extension_minutes)
    at = WINDOW_ENDS + timedelta(seconds=seconds_after_end)

    estimate = overrun_estimate(WINDOW_ENDS, extension, at)

    assert estimate > at
    assert estimate > WINDOW_ENDS
    assert estimate - max(at, WINDOW_ENDS) <= extension
