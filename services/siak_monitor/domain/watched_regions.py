"""Every watched region's status: its probes combined with its maintenance and its parent."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime

from services.siak_monitor.domain.health import Transition
from services.siak_monitor.domain.maintenance import MaintenancePlan, MaintenanceWindow
from services.siak_monitor.domain.maintenance_calendar import MaintenanceCalendar
from services.siak_monitor.domain.maintenance_events import MaintenanceEvent
from services.siak_monitor.domain.parent_status import ParentStatus
from services.siak_monitor.domain.probe import ProbeResult
from services.siak_monitor.domain.region_status import RegionStatus, ResolvedStatus
from services.siak_monitor.domain.status_board import PublishedStatus, StatusBoard
from shared.regions import UnknownRegionError


class WatchedRegions:
    """Feeds probes, the passing of time and calendar changes to each region's status, and
    records every transition on the status board and in a short per-region history.

    Time only moves forward here: each call takes the instant it happens at, and the
    maintenance crossings between two such instants are reported exactly once.
    """

    def __init__(
        self,
        regions: Iterable[RegionStatus],
        calendar: MaintenanceCalendar,
        *,
        board: StatusBoard,
        parent: ParentStatus | None = None,
        history_size: int = 50,
        started_at: datetime,
    ) -> None:
        self._regions = {region.region_code: region for region in regions}
        self.calendar = calendar
        self.board = board
        self.parent = parent
        self._history_size = history_size
        # Made at a region's first transition: most of 514 regions never have one.
        self._history: dict[str, deque[Transition]] = {}
        self._crossings_until = started_at
        self._untold: list[Transition] = []

    @property
    def region_codes(self) -> list[str]:
        return list(self._regions)

    def region(self, code: str) -> RegionStatus:
        try:
            return self._regions[code]
        except KeyError:
            raise UnknownRegionError([code]) from None

    def history(self, code: str) -> list[Transition]:
        """The region's recent transitions, newest first."""
        self.region(code)
        return list(reversed(self._history.get(code, ())))

    def restore(self, published: dict[str, PublishedStatus], *, epoch: int) -> None:
        """What earlier runs published: the board continues from it in `epoch`, and a region
        still in the status published keeps the `since` published with it."""
        self.board.restore(published, epoch=epoch)
        for code, told in published.items():
            region = self._regions.get(code)
            if region is None or told.since is None:
                continue
            if region.resume(told.status, told.since):
                self.board.resume(code, told.since)

    def observe(self, code: str, probe: ProbeResult, at: datetime) -> Transition | None:
        """A probe of `code` answered at `at`."""
        transition = self.region(code).observe(
            probe, maintenance=self.calendar.active_for(code, at), parent=self._parent(), at=at
        )
        self._record(transition)
        return transition

    def observe_parent(self, probe: ProbeResult, at: datetime) -> Transition | None:
        """A probe of the parent answered at `at`; when its status moves, so do the regions."""
        assert self.parent is not None, "no parent target is watched"
        transition = self.parent.observe(probe)
        if transition is not None:
            self.reevaluate(at)
        return transition

    def advance(self, at: datetime) -> list[MaintenanceEvent]:
        """Let time pass up to `at`: the maintenance crossings since the last call."""
        crossings: list[MaintenanceEvent] = []
        if at > self._crossings_until:
            crossings.extend(self.calendar.crossings(self._crossings_until, at))
            self._crossings_until = at
        self.reevaluate(at)
        return crossings

    def reevaluate(self, at: datetime) -> None:
        parent = self._parent()
        for code, region in self._regions.items():
            maintenance = self.calendar.active_for(code, at)
            self._record(region.tick(at, maintenance=maintenance, parent=parent))

    def schedule(self, plan: MaintenancePlan, at: datetime) -> list[MaintenanceEvent]:
        return self._changing_calendar(at, lambda: self.calendar.schedule(plan, at=at))

    def change(self, plan: MaintenancePlan, at: datetime) -> list[MaintenanceEvent]:
        return self._changing_calendar(at, lambda: self.calendar.change(plan, at=at))

    def cancel(self, plan_id: str, at: datetime) -> list[MaintenanceEvent]:
        return self._changing_calendar(at, lambda: self.calendar.cancel(plan_id, at=at))

    def upcoming_maintenance(self, code: str, at: datetime) -> MaintenanceWindow | None:
        """The occurrence under way for the region, else its next one."""
        return self.calendar.active_for(code, at) or self.calendar.next_for(code, at)

    def next_boundary(self, at: datetime) -> datetime | None:
        """The next instant after `at` at which a maintenance occurrence starts or ends."""
        instants = []
        for code in self._regions:
            if (active := self.calendar.active_for(code, at)) is not None:
                instants.append(active.ends_at)
            if (upcoming := self.calendar.next_for(code, at)) is not None:
                instants.append(upcoming.starts_at)
        return min(instants, default=None)

    def _changing_calendar(
        self, at: datetime, change: Callable[[], list[MaintenanceEvent]]
    ) -> list[MaintenanceEvent]:
        # Crossings due before the change are reported first, then the change and the
        # crossings it causes itself; the next `advance` starts after both.
        events = self.advance(at)
        events.extend(change())
        self.reevaluate(at)
        return events

    def _parent(self) -> ResolvedStatus | None:
        return self.parent.current if self.parent is not None else None

    def take_transitions(self) -> list[Transition]:
        """The transitions recorded since the last call, oldest first."""
        taken, self._untold = self._untold, []
        return taken

    def _record(self, transition: Transition | None) -> None:
        if transition is not None:
            self.board.record(transition)
            code = transition.region_code
            history = self._history.get(code)
            if history is None:
                history = self._history[code] = deque(maxlen=self._history_size)
            history.append(transition)
            self._untold.append(transition)
