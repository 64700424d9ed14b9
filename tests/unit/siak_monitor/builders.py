"""Probes, windows and instants for the monitor's domain tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from services.siak_monitor.domain.health import HealthThresholds, RegionHealth
from services.siak_monitor.domain.maintenance import (
    MaintenanceMessage,
    MaintenanceWindow,
    RegionScope,
)
from services.siak_monitor.domain.maintenance_calendar import MaintenanceCalendar
from services.siak_monitor.domain.probe import ProbeResult
from services.siak_monitor.domain.region_status import RegionStatus
from shared.events import SiakStatus
from shared.regions import load_registry

START = datetime(2021, 10, 15, 0, 0, tzinfo=UTC)
PROBE_INTERVAL = timedelta(seconds=5)
MESSAGE = MaintenanceMessage(id="Migrasi data SIAK", en="SIAK data migration")


def answered(at: datetime, latency_ms: float = 120.0) -> ProbeResult:
    return ProbeResult(checked_at=at, ok=True, latency_ms=latency_ms, http_status=200)


def failed(at: datetime, error: str = "http_503") -> ProbeResult:
    return ProbeResult(checked_at=at, ok=False, http_status=503, error=error)


def probes(outcomes: Iterable[bool], start: datetime = START) -> Iterator[ProbeResult]:
    """One probe per outcome (True answers), a probe interval apart."""
    for index, ok in enumerate(outcomes):
        at = start + index * PROBE_INTERVAL
        yield answered(at) if ok else failed(at)


def window(
    starts_at: datetime,
    ends_at: datetime,
    *codes: str,
    window_id: str = "migrasi-2021",
) -> MaintenanceWindow:
    return MaintenanceWindow(
        id=window_id,
        regions=RegionScope.only(codes) if codes else RegionScope.every_region(),
        starts_at=starts_at,
        ends_at=ends_at,
        reason="data_migration",
        message=MESSAGE,
    )


def region_up(thresholds: HealthThresholds, region_code: str = "73.71") -> RegionStatus:
    """A region whose probes have just made it UP, a minute before `START`."""
    region = RegionStatus(RegionHealth(region_code, thresholds))
    for probe in probes([True] * thresholds.success_threshold, START - timedelta(minutes=1)):
        region.observe(probe)
    assert region.status == SiakStatus.UP
    return region


def calendar_of(*region_codes: str) -> MaintenanceCalendar:
    """A calendar for these regions, each in its province's time zone."""
    registry = load_registry()
    return MaintenanceCalendar({code: registry.get(code).timezone.tzinfo for code in region_codes})
