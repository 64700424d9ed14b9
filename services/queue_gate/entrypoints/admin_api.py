"""Operators' API: overrides, intake mode, replay pause and rate, parked submissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.queue_gate.domain.region_gate import IntakeMode, Override
from services.queue_gate.domain.replay_pacing import MIN_RATE
from services.queue_gate.domain.ticket import SubmissionState, is_ticket_id
from services.queue_gate.entrypoints.dependencies import (
    Operator,
    ParkedCursor,
    RegionCode,
    Runtime,
)
from services.queue_gate.entrypoints.http_api import UNKNOWN_REGION, RegionGateView, region_view
from services.queue_gate.entrypoints.intake_api import TicketView, get_ticket, parked_view
from services.queue_gate.entrypoints.operator_text import OperatorReason
from services.queue_gate.handlers.operator_actions import (
    change_region_control,
    move_parked,
    parked_page,
)
from shared.regions import load_registry

router = APIRouter(prefix="/v1/admin", tags=["admin"])
_NEXT_PAGE_LINK = {
    "Link": {
        "description": 'The next page, as `<url>; rel="next"`; absent on the last page',
        "schema": {"type": "string"},
    }
}


class ControlChange(BaseModel):
    """Only the fields given change; `reason` is recorded with the operator's name."""

    model_config = ConfigDict(extra="forbid")

    override: Override | None = None
    intake_mode: IntakeMode | None = None
    replay_paused: bool | None = None
    max_rate: float | None = Field(default=None, ge=MIN_RATE, le=10_000)
    reason: OperatorReason

    @field_validator("override", "replay_paused")
    @classmethod
    def _given_not_null(cls, value: object) -> object:
        # Absent leaves a field as it is; null sets it back to the configured default, which
        # only `intake_mode` and `max_rate` have.
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class ParkedAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: OperatorReason


@router.patch("/regions/{code}")
async def change_region(
    code: RegionCode, change: ControlChange, runtime: Runtime, operator: Operator
) -> RegionGateView:
    """Force a region's gate open or closed (or back to auto), switch defer/reject, pause or
    resume replay, set its replay ceiling."""
    if code not in load_registry():
        raise HTTPException(status.HTTP_404_NOT_FOUND, UNKNOWN_REGION)
    await change_region_control(
        code,
        change.model_dump(exclude_unset=True, exclude={"reason"}),
        reason=change.reason,
        actor=operator,
        controls=runtime.intake.controls,
        gates=runtime.gates,
    )
    return await region_view(runtime, code)


@router.get("/parked", responses={200: {"headers": _NEXT_PAGE_LINK}})
async def list_parked(
    request: Request,
    response: Response,
    runtime: Runtime,
    _operator: Operator,
    *,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{2}\.[0-9]{2}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: ParkedCursor = None,
) -> list[TicketView]:
    """Parked submissions in acceptance order, `limit` at a time; the `Link` header leads to
    the next page."""
    page = await parked_page(
        runtime.intake.submissions,
        region,
        after=after,
        limit=limit,
    )
    if page.next_after is not None:
        following = request.url.include_query_params(after=page.next_after)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return [parked_view(submission) for submission in page.submissions]


@router.post("/submissions/{ticket_id}/retry")
async def retry_parked(
    ticket_id: str, action: ParkedAction, runtime: Runtime, operator: Operator
) -> TicketView:
    """Put a parked submission back in line, at the place it had."""
    return await _move_parked(runtime, ticket_id, SubmissionState.QUEUED, operator, action)


@router.post("/submissions/{ticket_id}/cancel")
async def cancel_parked(
    ticket_id: str, action: ParkedAction, runtime: Runtime, operator: Operator
) -> TicketView:
    """Give up on a parked submission; the applicant's later ones go on."""
    return await _move_parked(runtime, ticket_id, SubmissionState.CANCELLED, operator, action)


async def _move_parked(
    runtime: Runtime, ticket_id: str, to: SubmissionState, operator: str, action: ParkedAction
) -> TicketView:
    if not is_ticket_id(ticket_id):  # e.g. a NUL, which PostgreSQL's text refuses with a 500
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ticket")
    moved = await move_parked(
        ticket_id,
        to=to,
        reason=action.reason,
        actor=operator,
        submissions=runtime.intake.submissions,
        now=runtime.clock(),
    )
    if not moved:
        raise HTTPException(status.HTTP_409_CONFLICT, "only a parked submission can be moved")
    return await get_ticket(ticket_id, runtime)
