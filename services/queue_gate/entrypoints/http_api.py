"""The gate's HTTP API: regions, health and readiness."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel

from services.queue_gate.domain.gate import GateState, gate_state_for
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.ports import RegionStatusStore
from shared.events import SiakStatus
from shared.regions import RegionRegistry, load_registry


class RegionGateView(BaseModel):
    region_code: str
    name: str
    siak_status: SiakStatus
    gate_state: GateState
    mode: str
    since: datetime | None
    expected_return_at: datetime | None


def _store(request: Request) -> RegionStatusStore:
    store: RegionStatusStore = request.app.state.region_status_store
    return store


StoreDep = Annotated[RegionStatusStore, Depends(_store)]
RegistryDep = Annotated[RegionRegistry, Depends(load_registry)]
router = APIRouter()


@router.get("/v1/regions")
async def list_regions(store: StoreDep, registry: RegistryDep) -> list[RegionGateView]:
    return [_view(registry, known.region_code, known) for known in await store.all()]


@router.get("/v1/regions/{code}")
async def get_region(code: str, store: StoreDep, registry: RegistryDep) -> RegionGateView:
    if code not in registry:
        raise HTTPException(404, detail=f"unknown region code {code}")
    return _view(registry, code, await store.get(code))


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    if not getattr(request.app.state, "ready", False):
        raise HTTPException(503, detail="starting")
    return {"status": "ready"}


def _view(registry: RegionRegistry, code: str, known: RegionStatus | None) -> RegionGateView:
    status = known.status if known else SiakStatus.UNKNOWN
    return RegionGateView(
        region_code=code,
        name=registry.get(code).name,
        siak_status=status,
        gate_state=gate_state_for(status),
        mode="defer",
        since=known.since if known else None,
        expected_return_at=known.expected_return_at if known else None,
    )


def install_routes(app: FastAPI) -> None:
    app.include_router(router)
