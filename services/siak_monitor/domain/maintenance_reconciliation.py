"""What subscribers must hear when a plan differs from what they were last told about it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

from services.siak_monitor.domain.maintenance import MaintenancePlan
from services.siak_monitor.domain.maintenance_crossings import active_occurrences, crossings_at
from services.siak_monitor.domain.maintenance_events import (
    MaintenanceCancelled,
    MaintenanceChanged,
    MaintenanceEvent,
    MaintenanceScheduled,
)


def tell_difference(
    plan: MaintenancePlan | None,
    told: MaintenancePlan | None,
    zones: Mapping[str, tzinfo],
    at: datetime,
) -> list[MaintenanceEvent]:
    """As if the calendar had changed from `told` to `plan` at `at` (either may be absent):
    the change itself, then the occurrences that this ends and starts."""
    if plan is None and told is None:
        return []
    if told is None:
        assert plan is not None
        change: MaintenanceEvent = MaintenanceScheduled(plan)
    elif plan is None:
        change = MaintenanceCancelled(told)
    else:
        change = MaintenanceChanged(plan, told)
    before = active_occurrences([told] if told else [], zones, at)
    after = active_occurrences([plan] if plan else [], zones, at)
    return [change, *crossings_at(before, after, at)]
