"""Every route of the console, for the composition root to include."""

from __future__ import annotations

from fastapi import APIRouter

from services.queue_gate.entrypoints.console import (
    audit_page,
    control_pages,
    maintenance_pages,
    parked_pages,
    regions_page,
    sign_in_routes,
)

router = APIRouter()
for module in (
    sign_in_routes,
    regions_page,
    parked_pages,
    control_pages,
    maintenance_pages,
    audit_page,
):
    router.include_router(module.router)
