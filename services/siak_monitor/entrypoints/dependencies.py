"""What the routes take from the app: the monitor, its maintenance service, the admin check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers
from starlette.types import Scope

from services.siak_monitor.maintenance_service import MaintenanceService
from services.siak_monitor.monitoring import Monitor
from services.siak_monitor.replica import Standing
from shared.supervision import Supervisor


async def _monitor(request: Request) -> Monitor:
    monitor: Monitor = request.app.state.monitor
    return monitor


async def _maintenance(request: Request) -> MaintenanceService:
    maintenance: MaintenanceService = request.app.state.maintenance
    return maintenance


async def _supervisor(request: Request) -> Supervisor:
    supervisor: Supervisor = request.app.state.supervisor
    return supervisor


NEEDS_NO_ADMIN = frozenset({"GET", "HEAD", "OPTIONS"})
"""Every other method changes something, and in the monitor only the admin changes anything."""
UNAUTHORIZED = "a valid admin bearer token is required"


def is_admin(expected: str, authorization: str | None) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    # Without a configured token the admin API stays shut rather than open to anyone.
    return bool(
        expected
        and scheme.lower() == "bearer"
        and secrets.compare_digest(token.encode(), expected.encode())
    )


def admin_before_body(scope: Scope) -> Response | None:
    """For `shared.http_limits.BodyLimit`: a request that may change something is refused
    before its body is read unless it carries the admin token."""
    if scope["method"] in NEEDS_NO_ADMIN:
        return None
    if is_admin(scope["app"].state.admin_token, Headers(scope=scope).get("authorization")):
        return None
    return JSONResponse(
        {"detail": UNAUTHORIZED}, status.HTTP_401_UNAUTHORIZED, {"WWW-Authenticate": "Bearer"}
    )


async def _require_admin(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    if not is_admin(request.app.state.admin_token, authorization):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )


STANDING_HEADER = "Monitor-Standing"
"""On a standby's refusal: `standby` (or `joining`), so a client asks again, reaching the other
replica through the Service on a new connection."""


async def _require_publisher(request: Request) -> None:
    # Both replicas are ready, so the Service reaches both (a never-ready standby would block
    # every node drain through the disruption budget). A standby probes nothing and holds no
    # plans: it refuses rather than answer every region UNKNOWN, and closes the connection so
    # the client's next try may reach the publishing replica.
    replica = request.app.state.replica
    if replica is not None and replica.standing != Standing.ACTIVE:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="this replica stands by: only the publishing replica knows this; ask again",
            headers={
                "Retry-After": "1",
                "Connection": "close",
                STANDING_HEADER: replica.standing.value,
            },
        )


MonitorDep = Annotated[Monitor, Depends(_monitor)]
MaintenanceDep = Annotated[MaintenanceService, Depends(_maintenance)]
SupervisorDep = Annotated[Supervisor, Depends(_supervisor)]
AdminOnly = Depends(_require_admin)
PublisherOnly = Depends(_require_publisher)
"""For what only the replica that probes and publishes knows: statuses, plans."""
