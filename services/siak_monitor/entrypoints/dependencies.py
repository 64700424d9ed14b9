"""What the routes take from the app: the monitor, its maintenance service, the admin check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from services.siak_monitor.maintenance_service import MaintenanceService
from services.siak_monitor.monitoring import Monitor
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


async def _require_admin(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    expected: str = request.app.state.admin_token
    scheme, _, token = (authorization or "").partition(" ")
    # Without a configured token the admin API stays shut rather than open to anyone.
    if not (
        expected
        and scheme.lower() == "bearer"
        and secrets.compare_digest(token.encode(), expected.encode())
    ):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="a valid admin bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


MonitorDep = Annotated[Monitor, Depends(_monitor)]
MaintenanceDep = Annotated[MaintenanceService, Depends(_maintenance)]
SupervisorDep = Annotated[Supervisor, Depends(_supervisor)]
AdminOnly = Depends(_require_admin)
