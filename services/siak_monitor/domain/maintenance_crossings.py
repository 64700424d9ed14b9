"""When maintenance starts and ends for which regions, as time passes or the calendar changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo

from services.siak_monitor.domain.maintenance import MaintenancePlan, MaintenanceWindow
from services.siak_monitor.domain.maintenance_events import (
    MaintenanceCrossing,
    MaintenanceEnded,
    MaintenanceStarted,
)

ActiveOccurrences = dict[tuple[str, str], MaintenanceWindow]
"""The occurrence on at one instant, by (plan id, region code)."""


def active_occurrences(
    plans: Iterable[MaintenancePlan], zones: Mapping[str, tzinfo], at: datetime
) -> ActiveOccurrences:
    return {
        (plan.id, code): window
        for plan in plans
        for code in zones
        if plan.regions.covers(code) and (window := plan.occurrence_at(zones[code], at)) is not None
    }


def crossings_at(
    before: ActiveOccurrences, after: ActiveOccurrences, at: datetime
) -> list[MaintenanceCrossing]:
    """What a change of the calendar at `at` ended and started, endings first."""
    return [
        *(MaintenanceEnded(window, codes, at) for window, codes in _grouped(before, after)),
        *(MaintenanceStarted(window, codes, at) for window, codes in _grouped(after, before)),
    ]


def crossings_between(
    plans: Iterable[MaintenancePlan],
    zones: Mapping[str, tzinfo],
    after: datetime,
    until: datetime,
) -> list[MaintenanceCrossing]:
    """Occurrences that started or ended in (`after`, `until`], in time order; at one
    instant, endings come before starts."""
    started: dict[MaintenanceWindow, list[str]] = {}
    ended: dict[MaintenanceWindow, list[str]] = {}
    for plan in plans:
        for code in (code for code in zones if plan.regions.covers(code)):
            for window in plan.occurrences_starting(zones[code], after, until):
                started.setdefault(window, []).append(code)
            # An occurrence ends in (after, until] exactly when it starts one duration earlier.
            shifted = (after - plan.duration, until - plan.duration)
            for window in plan.occurrences_starting(zones[code], *shifted):
                ended.setdefault(window, []).append(code)
    crossings: list[MaintenanceCrossing] = [
        *(MaintenanceEnded(w, tuple(sorted(c)), w.ends_at) for w, c in ended.items()),
        *(MaintenanceStarted(w, tuple(sorted(c)), w.starts_at) for w, c in started.items()),
    ]
    return sorted(crossings, key=lambda c: (c.at, isinstance(c, MaintenanceStarted)))


def _grouped(
    occurrences: ActiveOccurrences, other: ActiveOccurrences
) -> list[tuple[MaintenanceWindow, tuple[str, ...]]]:
    """The occurrences not in `other`, with the regions of each in code order."""
    codes_by_window: dict[MaintenanceWindow, list[str]] = {}
    for key, window in occurrences.items():
        if key not in other:
            codes_by_window.setdefault(window, []).append(key[1])
    return [(window, tuple(sorted(codes))) for window, codes in codes_by_window.items()]
