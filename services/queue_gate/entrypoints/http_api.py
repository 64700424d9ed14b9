"""`GET /v1/regions[/{code}]`, health, readiness and metrics."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from services.queue_gate.adapters.prometheus_metrics import exposition, record_read_at_scrape
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.region_gate import IntakeMode, Override
from services.queue_gate.entrypoints.dependencies import RegionCode, Runtime
from shared.events import SiakStatus
from shared.regions import load_registry

router = APIRouter()
UNKNOWN_REGION = "unknown region code"
"""Without the code: an error answers in the same words whatever a caller put in the path."""


class RegionGateView(BaseModel):
    region_code: str
    name: str
    siak_status: SiakStatus
    gate_state: GateState
    mode: IntakeMode
    override: Override
    since: datetime | None
    expected_return_at: datetime | None
    reason: str | None
    backlog: int
    replay_rate: float
    replay_paused: bool


@router.get("/v1/regions", tags=["regions"])
async def list_regions(runtime: Runtime) -> list[RegionGateView]:
    """Every region of the registry the gate has heard of, plus those with submissions
    waiting; a stored status for a code the registry lacks is left out."""
    registry = load_registry()
    known = {status.region_code for status in await runtime.intake.statuses.all()}
    backlogs = await runtime.intake.submissions.backlogs()
    return [
        await region_view(runtime, code, backlog=backlogs.get(code, 0))
        for code in sorted(known | set(backlogs))
        if code in registry
    ]


@router.get("/v1/regions/{code}", tags=["regions"])
async def get_region(code: RegionCode, runtime: Runtime) -> RegionGateView:
    if code not in load_registry():
        raise HTTPException(status.HTTP_404_NOT_FOUND, UNKNOWN_REGION)
    return await region_view(runtime, code)


async def region_view(runtime: Runtime, code: str, *, backlog: int | None = None) -> RegionGateView:
    """`backlog` when the caller already read it (listing every region: one query for all)."""
    gate = await runtime.region_gate(code)
    pace = runtime.pace(gate)
    return RegionGateView(
        region_code=code,
        name=load_registry().get(code).name,
        siak_status=gate.status,
        gate_state=pace.gate_state,
        mode=gate.intake_mode,
        override=gate.control.override,
        since=gate.known.since if gate.known else None,
        expected_return_at=gate.expected_return_at,
        reason=gate.known.reason if gate.known else None,
        backlog=backlog if backlog is not None else await runtime.intake.submissions.backlog(code),
        replay_rate=pace.rate,
        replay_paused=gate.control.replay_paused,
    )


@router.get("/healthz", tags=["operations"])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", tags=["operations"], responses={503: {}})
async def readyz(runtime: Runtime) -> JSONResponse:
    """`status`: ready, degraded (Kafka unavailable: intake goes on, events wait in the
    outbox), failing (503, naming the background tasks failing for too long) or starting;
    always with each task's detail and whether PostgreSQL and Kafka are reachable."""
    readiness = await runtime.readiness()
    code = status.HTTP_200_OK if readiness.ready else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(readiness.detail, status_code=code)


@router.get("/metrics", tags=["operations"])
async def metrics(runtime: Runtime) -> Response:
    await record_read_at_scrape(
        runtime.intake.submissions, runtime.dispatch.misconfigurations, runtime.outbox_depth
    )
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
