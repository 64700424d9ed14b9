"""The maintenance calendar over HTTP: anyone may read it, only the admin token changes it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, FastAPI, HTTPException, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from services.siak_monitor.entrypoints.dependencies import AdminOnly, MaintenanceDep, PublisherOnly
from services.siak_monitor.maintenance_requests import InvalidMaintenanceError, MaintenanceRequest
from services.siak_monitor.maintenance_service import FilePlanError, KnownPlan, NotReadyError
from shared.events import MaintenanceRecurrence, MaintenanceText

RETRY_AFTER_S = 5
T = TypeVar("T")
ADMIN_ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid admin bearer token; checked before the body is read."},
    413: {"description": "A body over `max_body_bytes` (64 KiB), refused before parsing."},
}


class MaintenanceView(BaseModel):
    id: str
    origin: Literal["file", "api"]
    """Plans from the config file can only be changed there."""
    revision: int
    regions: list[str] | Literal["*"]
    starts_at: datetime
    ends_at: datetime
    recurrence: MaintenanceRecurrence | None
    reason: str
    message: MaintenanceText


router = APIRouter(prefix="/v1/maintenance", tags=["maintenance"], dependencies=[PublisherOnly])


@router.post(
    "", status_code=status.HTTP_201_CREATED, dependencies=[AdminOnly], responses=ADMIN_ANSWERS
)
async def schedule_maintenance(
    request: MaintenanceRequest, maintenance: MaintenanceDep
) -> MaintenanceView:
    """Schedule a window; subscribers of `siak.maintenance.v1` are told at once."""
    return _view(_attempt(lambda: maintenance.schedule(request)))


@router.get("")
async def list_maintenance(maintenance: MaintenanceDep) -> list[MaintenanceView]:
    return [_view(plan) for plan in maintenance.plans()]


@router.get("/{plan_id}")
async def get_maintenance(plan_id: str, maintenance: MaintenanceDep) -> MaintenanceView:
    return _view(_found(maintenance.get(plan_id), plan_id))


@router.put("/{plan_id}", dependencies=[AdminOnly], responses=ADMIN_ANSWERS)
async def change_maintenance(
    plan_id: str, request: MaintenanceRequest, maintenance: MaintenanceDep
) -> MaintenanceView:
    changed = _attempt(lambda: maintenance.change(plan_id, request))
    return _view(_found(changed, plan_id))


@router.delete(
    "/{plan_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[AdminOnly],
    responses=ADMIN_ANSWERS,
)
async def cancel_maintenance(plan_id: str, maintenance: MaintenanceDep) -> Response:
    if not _attempt(lambda: maintenance.cancel(plan_id)):
        _found(None, plan_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _attempt(command: Callable[[], T]) -> T:
    """Run a command of the service, turning its refusals into HTTP answers."""
    try:
        return command()
    except InvalidMaintenanceError as error:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", error.field), "msg": error.message}]
        ) from None
    except FilePlanError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    except NotReadyError as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=str(error),
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from None


def _found(plan: KnownPlan | None, plan_id: str) -> KnownPlan:
    if plan is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no maintenance {plan_id}")
    return plan


def _view(plan: KnownPlan) -> MaintenanceView:
    request = plan.request
    return MaintenanceView(
        id=plan.id,
        origin=plan.origin,
        revision=plan.revision,
        regions=request.regions,
        starts_at=request.starts_at,
        ends_at=request.ends_at,
        recurrence=request.recurrence,
        reason=request.reason,
        message=request.message,
    )


def install_routes(app: FastAPI) -> None:
    app.include_router(router)
