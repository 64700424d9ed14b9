"""During a maintenance window the region is MAINTENANCE whatever its probes say."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.siak_monitor.domain.health import HealthThresholds, RegionHealth
from services.siak_monitor.domain.region_status import (
    PLANNED_MAINTENANCE,
    RegionStatus,
    ResolvedStatus,
)
from shared.events import SiakStatus
from tests.unit.siak_monitor.builders import START, probes, region_up, window

THRESHOLDS = HealthThresholds(failure_threshold=3, success_threshold=2)
WINDOW_ENDS = START + timedelta(hours=6)
MIGRATION = window(START, WINDOW_ENDS, "73.71")
statuses = st.sampled_from(SiakStatus).map(ResolvedStatus)
outcome_runs = st.lists(st.booleans(), min_size=1, max_size=60)


def test_maintenance_is_the_status_during_its_window_with_its_end_as_return() -> None:
    region = region_up(THRESHOLDS)

    transition = region.tick(START, maintenance=MIGRATION)

    assert transition is not None
    assert transition.status == SiakStatus.MAINTENANCE
    assert transition.reason == PLANNED_MAINTENANCE
    assert transition.expected_return_at == WINDOW_ENDS


def test_probes_during_maintenance_are_still_recorded_as_evidence() -> None:
    region = region_up(THRESHOLDS)
    failures = list(probes([False] * 3, START + timedelta(hours=1)))

    transitions = [region.observe(probe, maintenance=MIGRATION) for probe in failures]

    assert [t.status for t in transitions if t is not None] == [SiakStatus.MAINTENANCE]
    assert region.health.status == SiakStatus.DOWN
    assert region.health.last_probe == failures[-1]


def test_a_changed_window_end_is_the_new_expected_return() -> None:
    region = region_up(THRESHOLDS)
    region.tick(START, maintenance=MIGRATION)
    extended = window(START, WINDOW_ENDS + timedelta(days=1), "73.71")

    transition = region.tick(START + timedelta(hours=1), maintenance=extended)

    assert transition is not None
    assert transition.since == START
    assert transition.expected_return_at == WINDOW_ENDS + timedelta(days=1)


@given(outcomes=outcome_runs, parent=st.none() | statuses)
def test_maintenance_always_wins_during_its_window(
    outcomes: list[bool], parent: ResolvedStatus | None
) -> None:
    region = RegionStatus(RegionHealth("73.71", THRESHOLDS))
    for probe in probes(outcomes):
        region.observe(probe, maintenance=MIGRATION, parent=parent)
        assert region.current == ResolvedStatus(
            SiakStatus.MAINTENANCE, PLANNED_MAINTENANCE, WINDOW_ENDS
        )
