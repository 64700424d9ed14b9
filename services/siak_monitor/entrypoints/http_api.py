"""The monitor's HTTP API for readers: region status and history, the parent, health."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.siak_monitor.domain.health import Transition
from services.siak_monitor.domain.maintenance import MaintenanceWindow
from services.siak_monitor.domain.status_board import evidence_from_probe
from services.siak_monitor.entrypoints.dependencies import (
    MaintenanceDep,
    MonitorDep,
    PublisherOnly,
    SupervisorDep,
)
from services.siak_monitor.entrypoints.readiness import readiness
from services.siak_monitor.monitoring import Monitor
from services.siak_monitor.replica import Replica, Standing
from shared.events import MaintenanceText, ProbeEvidence, SiakStatus
from shared.regions import UnknownRegionError, load_registry


class UpcomingMaintenance(BaseModel):
    id: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    message: MaintenanceText


class RegionView(BaseModel):
    region_code: str
    name: str
    status: SiakStatus
    since: datetime | None
    reason: str | None
    expected_return_at: datetime | None
    evidence: ProbeEvidence | None
    """The latest probe, whatever the status."""
    seq: int
    """Of the last status published; 0 before the first."""
    next_maintenance: UpcomingMaintenance | None
    """The maintenance under way, else the next one announced."""
    success_run_needed: int
    """Answering probes in a row needed to come back; grows while the region flaps."""


class TransitionView(BaseModel):
    status: SiakStatus
    previous_status: SiakStatus
    since: datetime
    reason: str | None
    expected_return_at: datetime | None
    evidence: ProbeEvidence | None


class ParentView(BaseModel):
    name: str
    status: SiakStatus
    since: datetime | None
    reason: str | None
    evidence: ProbeEvidence | None
    seq: int
    affected_regions: int


router = APIRouter()


@router.get("/v1/regions", dependencies=[PublisherOnly])
async def list_regions(monitor: MonitorDep) -> list[RegionView]:
    return [_region_view(monitor, code) for code in monitor.region_codes]


@router.get("/v1/regions/{code}", dependencies=[PublisherOnly])
async def get_region(code: str, monitor: MonitorDep) -> RegionView:
    _require_watched(monitor, code)
    return _region_view(monitor, code)


@router.get("/v1/regions/{code}/history", dependencies=[PublisherOnly])
async def region_history(code: str, monitor: MonitorDep) -> list[TransitionView]:
    """The region's recent transitions, newest first (a bounded number is kept)."""
    _require_watched(monitor, code)
    return [_transition_view(t) for t in monitor.watched.history(code)]


@router.get("/v1/parent", dependencies=[PublisherOnly])
async def get_parent(monitor: MonitorDep) -> ParentView:
    parent = monitor.watched.parent
    if parent is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no parent target is configured")
    published = parent.published
    return ParentView(
        name=parent.name,
        status=parent.current.status,
        since=parent.since,
        reason=parent.current.reason,
        evidence=evidence_from_probe(parent.last_probe),
        seq=published.seq if published else 0,
        affected_regions=parent.affected_regions,
    )


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(
    request: Request, monitor: MonitorDep, maintenance: MaintenanceDep, supervisor: SupervisorDep
) -> JSONResponse:
    """503 until what earlier runs published has been read back, so `seq` can continue, and
    while a background task has been failing for too long (`failing` names it). A standby
    replica (another one publishes) answers 200 with `standing: standby`."""
    replica: Replica | None = request.app.state.replica
    standing = replica.standing if replica is not None else Standing.ACTIVE
    ready, body = readiness(monitor, maintenance, supervisor, standing)
    return JSONResponse(body, status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE)


def _require_watched(monitor: Monitor, code: str) -> None:
    try:
        monitor.watched.region(code)
    except UnknownRegionError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"region {code} is not watched by this monitor"
        ) from None


def _region_view(monitor: Monitor, code: str) -> RegionView:
    region = monitor.watched.region(code)
    published = monitor.watched.board.published(code)
    now = monitor.clock()
    return RegionView(
        region_code=code,
        name=load_registry().get(code).name,
        status=region.status,
        since=region.since,
        reason=region.current.reason,
        expected_return_at=region.current.expected_return_at,
        evidence=evidence_from_probe(region.health.last_probe),
        seq=published.seq if published else 0,
        next_maintenance=_upcoming(monitor.watched.upcoming_maintenance(code, now)),
        success_run_needed=region.health.required_success_run(now),
    )


def _upcoming(window: MaintenanceWindow | None) -> UpcomingMaintenance | None:
    if window is None:
        return None
    return UpcomingMaintenance(
        id=window.id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        reason=window.reason,
        message=MaintenanceText(id=window.message.id, en=window.message.en),
    )


def _transition_view(transition: Transition) -> TransitionView:
    return TransitionView(
        status=transition.status,
        previous_status=transition.previous_status,
        since=transition.since,
        reason=transition.reason,
        expected_return_at=transition.expected_return_at,
        evidence=evidence_from_probe(transition.evidence),
    )


def install_routes(app: FastAPI) -> None:
    app.include_router(router)
