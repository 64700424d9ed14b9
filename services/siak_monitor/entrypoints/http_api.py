"""The monitor's HTTP API: region status, health and readiness."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel

from services.siak_monitor.domain.status_board import evidence_from_probe
from services.siak_monitor.monitoring import Monitor
from shared.events import ProbeEvidence, SiakStatus


class RegionView(BaseModel):
    region_code: str
    status: SiakStatus
    since: datetime | None
    reason: str | None
    expected_return_at: datetime | None
    evidence: ProbeEvidence | None
    seq: int


def _monitor(request: Request) -> Monitor:
    monitor: Monitor = request.app.state.monitor
    return monitor


MonitorDep = Annotated[Monitor, Depends(_monitor)]
router = APIRouter()


@router.get("/v1/regions")
async def list_regions(monitor: MonitorDep) -> list[RegionView]:
    return [_view(monitor, code) for code in monitor.region_codes]


@router.get("/v1/regions/{code}")
async def get_region(code: str, monitor: MonitorDep) -> RegionView:
    if code not in monitor.health:
        raise HTTPException(404, detail=f"region {code} is not watched by this monitor")
    return _view(monitor, code)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    if not getattr(request.app.state, "ready", False):
        raise HTTPException(503, detail="starting")
    return {"status": "ready"}


def _view(monitor: Monitor, code: str) -> RegionView:
    current = monitor.board.current(code)
    published = monitor.board.published(code)
    return RegionView(
        region_code=code,
        status=current.status,
        since=current.since,
        reason=current.reason,
        expected_return_at=current.expected_return_at,
        evidence=evidence_from_probe(monitor.health[code].last_probe),
        seq=published.seq if published else 0,
    )


def install_routes(app: FastAPI) -> None:
    app.include_router(router)
