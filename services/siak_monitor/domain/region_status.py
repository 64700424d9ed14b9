"""A region's status as published: its probes, its maintenance and its parent's health combined."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.siak_monitor.domain.health import ANSWERING, RegionHealth, Transition
from services.siak_monitor.domain.maintenance import MaintenanceWindow
from services.siak_monitor.domain.probe import ProbeResult
from shared.events import SiakStatus

PLANNED_MAINTENANCE = "planned_maintenance"
MAINTENANCE_OVERRUN = "maintenance_overrun"
PARENT_DOWN = "parent_down"
PARENT_MAINTENANCE = "parent_maintenance"


@dataclass(frozen=True)
class ResolvedStatus:
    status: SiakStatus
    reason: str | None = None
    expected_return_at: datetime | None = None


def resolve_status(
    own: ResolvedStatus, parent: ResolvedStatus | None, maintenance: MaintenanceWindow | None
) -> ResolvedStatus:
    """The region's maintenance wins, then its parent's outage, then its own status.

    `parent` is the resolved status of what every region depends on (central SIAK, the data
    centre); its outage is published once for the parent, and the regions only point at it.
    """
    if maintenance is not None:
        return ResolvedStatus(SiakStatus.MAINTENANCE, PLANNED_MAINTENANCE, maintenance.ends_at)
    if parent is not None and parent.status == SiakStatus.DOWN:
        return ResolvedStatus(SiakStatus.DOWN, PARENT_DOWN, parent.expected_return_at)
    if parent is not None and parent.status == SiakStatus.MAINTENANCE:
        return ResolvedStatus(SiakStatus.MAINTENANCE, PARENT_MAINTENANCE, parent.expected_return_at)
    return own


class RegionStatus:
    """Wraps a region's probe-driven health with maintenance, overrun and parent outage.

    Probes are recorded whatever the status. When a maintenance occurrence is over, the
    region is UP only once its latest run of answering probes is long enough; until then it
    is DOWN with `maintenance_overrun`, expected back one `overrun_extension` at a time.
    """

    def __init__(self, health: RegionHealth) -> None:
        self.health = health
        self.region_code = health.region_code
        self.current = ResolvedStatus(SiakStatus.UNKNOWN)
        self.since: datetime | None = None
        self._told: tuple[SiakStatus, datetime] | None = None
        self._window: MaintenanceWindow | None = None
        self._overrun_from: datetime | None = None

    @property
    def status(self) -> SiakStatus:
        return self.current.status

    def observe(
        self,
        probe: ProbeResult,
        *,
        maintenance: MaintenanceWindow | None = None,
        parent: ResolvedStatus | None = None,
        at: datetime | None = None,
    ) -> Transition | None:
        """Record a probe; `maintenance` is the occurrence on at `at` (default: the probe's time).

        A probe that started before a window ended may be answered after it: passing the
        instant of the answer as `at` keeps such a probe from reopening the window.
        """
        self.health.observe(probe)
        when = probe.checked_at if at is None else at
        return self.tick(when, maintenance=maintenance, parent=parent)

    def resume(self, status: SiakStatus, since: datetime) -> bool:
        """Subscribers were told, before this process started, that the region is `status`
        since `since`. While it still is (or, before its first status of this run, once it
        is), it has been so since then: saying otherwise would contradict the published
        record, which is not published again for the same status. Whether `since` moved."""
        if self.since is None:
            self._told = (status, since)
            return False
        if self.current.status != status:
            return False
        self.since = since
        return True

    def tick(
        self,
        at: datetime,
        *,
        maintenance: MaintenanceWindow | None = None,
        parent: ResolvedStatus | None = None,
    ) -> Transition | None:
        """Re-evaluate at `at` without a probe: a window opened or closed, the parent moved."""
        resolved = resolve_status(self._own_status(at, maintenance), parent, maintenance)
        if resolved == self.current:
            return None
        same_status = resolved.status == self.current.status
        since = self.since if same_status and self.since is not None else at
        if self._told is not None:
            told_status, told_since = self._told
            since = told_since if resolved.status == told_status else since
            self._told = None
        transition = Transition(
            region_code=self.region_code,
            status=resolved.status,
            previous_status=self.current.status,
            since=since,
            reason=resolved.reason,
            evidence=self.health.last_probe,
            expected_return_at=resolved.expected_return_at,
        )
        self.current = resolved
        self.since = transition.since
        return transition

    def _own_status(self, at: datetime, maintenance: MaintenanceWindow | None) -> ResolvedStatus:
        """What the probes say, or an overrun while they do not yet confirm the return."""
        probed = ResolvedStatus(self.health.status, self.health.reason)
        if maintenance is not None:
            self._window = maintenance
            return probed
        if self._window is not None:
            # A window cancelled early counts as ended now, not at its planned end.
            self._overrun_from = min(self._window.ends_at, at)
            self._window = None
        if self._overrun_from is None or self._probes_confirm_return(at):
            self._overrun_from = None
            return probed
        extension = self.health.thresholds.overrun_extension
        estimate = overrun_estimate(self._overrun_from, extension, at)
        return ResolvedStatus(SiakStatus.DOWN, MAINTENANCE_OVERRUN, estimate)

    def _probes_confirm_return(self, at: datetime) -> bool:
        answering_run_needed = self.health.required_success_run(at)
        return self.health.status in ANSWERING and self.health.answering_run >= answering_run_needed


def overrun_estimate(ended_at: datetime, extension: timedelta, at: datetime) -> datetime:
    """The next `ended_at + k * extension` after `at`: the estimate moves on once it passes."""
    passed = max(at - ended_at, timedelta(0)) // extension
    return ended_at + extension * (passed + 1)
