"""A central outage is one cause: every child region is DOWN with `parent_down` while it lasts."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.siak_monitor.domain.health import HealthThresholds
from services.siak_monitor.domain.region_status import (
    PARENT_DOWN,
    PARENT_MAINTENANCE,
    PLANNED_MAINTENANCE,
    ResolvedStatus,
    resolve_status,
)
from shared.events import SiakStatus
from tests.unit.siak_monitor.builders import START, probes, region_up, window

THRESHOLDS = HealthThresholds(failure_threshold=3, success_threshold=2)
WINDOW_ENDS = START + timedelta(hours=6)
MIGRATION = window(START, WINDOW_ENDS, "73.71")
PARENT_IS_DOWN = ResolvedStatus(SiakStatus.DOWN, "http_503", START + timedelta(hours=2))
PARENT_IS_UP = ResolvedStatus(SiakStatus.UP)


def test_children_are_down_with_parent_down_while_the_parent_is_down() -> None:
    region = region_up(THRESHOLDS)

    transition = region.tick(START, parent=PARENT_IS_DOWN)

    assert transition is not None
    assert (transition.status, transition.reason) == (SiakStatus.DOWN, PARENT_DOWN)
    assert transition.expected_return_at == PARENT_IS_DOWN.expected_return_at


def test_children_return_to_their_own_status_when_the_parent_recovers() -> None:
    region = region_up(THRESHOLDS)
    region.tick(START, parent=PARENT_IS_DOWN)

    transition = region.tick(START + timedelta(minutes=10), parent=PARENT_IS_UP)

    assert transition is not None
    assert (transition.status, transition.reason) == (SiakStatus.UP, None)


def test_a_child_already_down_keeps_its_since_when_the_cause_becomes_the_parent() -> None:
    region = region_up(THRESHOLDS)
    for probe in probes([False] * 3, START):
        region.observe(probe)
    down_since = region.since

    transition = region.tick(START + timedelta(minutes=5), parent=PARENT_IS_DOWN)

    assert transition is not None
    assert transition.reason == PARENT_DOWN
    assert transition.since == down_since


def test_maintenance_wins_over_the_parent_being_down() -> None:
    region = region_up(THRESHOLDS)

    region.tick(START, maintenance=MIGRATION, parent=PARENT_IS_DOWN)

    assert region.status == SiakStatus.MAINTENANCE


def test_a_parent_in_maintenance_puts_its_children_in_maintenance() -> None:
    parent = ResolvedStatus(SiakStatus.MAINTENANCE, PLANNED_MAINTENANCE, WINDOW_ENDS)

    resolved = resolve_status(ResolvedStatus(SiakStatus.UP), parent, None)

    assert resolved == ResolvedStatus(SiakStatus.MAINTENANCE, PARENT_MAINTENANCE, WINDOW_ENDS)


statuses = st.sampled_from(SiakStatus).map(ResolvedStatus)


@given(own=statuses)
def test_parent_down_makes_every_child_down_with_parent_down(own: ResolvedStatus) -> None:
    resolved = resolve_status(own, PARENT_IS_DOWN, None)

    assert (resolved.status, resolved.reason) == (SiakStatus.DOWN, PARENT_DOWN)
