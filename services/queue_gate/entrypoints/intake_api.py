"""`POST /v1/submissions` and `GET /v1/submissions/{ticket_id}`."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from services.queue_gate.adapters.prometheus_metrics import (
    INTAKE_REFUSED,
    INTAKE_SECONDS,
    SUBMISSIONS_ACCEPTED,
)
from services.queue_gate.client_keyring import IntakeClient
from services.queue_gate.domain.eta import DeliveryEstimate
from services.queue_gate.domain.idempotency import (
    IdempotencyConflictError,
    InvalidIdempotencyKeyError,
    validate_idempotency_key,
)
from services.queue_gate.domain.submission import SubmissionRequest, field_errors
from services.queue_gate.domain.ticket import SubmissionState, is_ticket_id
from services.queue_gate.entrypoints.dependencies import Caller, Runtime
from services.queue_gate.entrypoints.errors import error_response
from services.queue_gate.handlers.intake import (
    Acceptance,
    RegionRejectingError,
    accept_submission,
)
from services.queue_gate.handlers.tickets import estimate_for, estimate_with
from services.queue_gate.ports import BacklogFullError, ParkedSubmission, StoredSubmission
from services.queue_gate.runtime import GateRuntime

ROUTES = "/v1/submissions"


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """`schema` with each `$ref` to its own `$defs` replaced by the definition: a reference
    in an OpenAPI document points from the document's root, where those `$defs` are not."""
    if isinstance(schema, list):
        return [_inlined(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inlined(defs[schema["$ref"].removeprefix("#/$defs/")], defs)
    return {key: _inlined(value, defs) for key, value in schema.items() if key != "$defs"}


_schema = SubmissionRequest.model_json_schema()
_SUBMISSION_SCHEMA = _inlined(_schema, _schema.get("$defs", {}))
_SUBMISSION_EXAMPLE = {
    "region_code": "73.71",
    "service_type": "akta_kelahiran",
    "applicant": {"nik": "7371011203150002", "name": "Andi Tenri Ajeng"},
    "details": {"child_name": "Bayi", "birth_place": "Makassar"},
}


class TicketView(BaseModel):
    ticket_id: str
    region_code: str
    service_type: str
    state: SubmissionState
    queue_position: int | None
    estimated_delivery_at: datetime | None
    accepted_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    parked_reason: str | None


async def submit(
    request: Request,
    caller: Caller,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", examples=["portal-7f3a9c"])],
) -> TicketView | JSONResponse:
    """Accept a submission; answered only once it is committed in PostgreSQL.

    403 for a region the client's key is not for; 429 past the key's rate (`Retry-After`)
    or while the region's line is full."""
    runtime, client = caller.runtime, caller.client
    with INTAKE_SECONDS.time():
        wait = runtime.client_keys.wait_before_next(client)
        if wait is not None:
            INTAKE_REFUSED.labels("rate_limited").inc()
            return _over_rate(client, wait)
        response = await _submit(request, runtime, client, idempotency_key)
    if isinstance(response, JSONResponse):
        INTAKE_REFUSED.labels(_refusal(response)).inc()
    return response


async def _submit(
    request: Request, runtime: GateRuntime, client: IntakeClient, idempotency_key: str
) -> TicketView | JSONResponse:
    try:
        key = validate_idempotency_key(idempotency_key)
    except InvalidIdempotencyKeyError as error:
        return _invalid(
            [{"loc": ["header", "Idempotency-Key"], "type": "value_error", "msg": str(error)}]
        )
    # Bounded, and the key checked, before (`body_cap`, `credentials_before_body`).
    submission = _for_client(await request.body(), client)
    if isinstance(submission, JSONResponse):
        return submission
    try:
        acceptance = await accept_submission(
            submission,
            idempotency_key=key,
            client_id=client.client_id,
            deps=runtime.intake,
            now=runtime.clock(),
        )
    except IdempotencyConflictError as error:
        return error_response(status.HTTP_409_CONFLICT, "idempotency_conflict", str(error))
    except RegionRejectingError as error:
        return _rejecting(error)
    except BacklogFullError as error:
        return error_response(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "backlog_full",
            str(error),
            headers={"Retry-After": str(runtime.settings.reject_retry_after_s)},
            messages={
                "id": f"Antrean wilayah {error.region_code} sudah penuh; coba lagi nanti.",
                "en": f"The queue of region {error.region_code} is full; try again later.",
            },
        )
    return await _answer(runtime, acceptance)


def _for_client(body: bytes, client: IntakeClient) -> SubmissionRequest | JSONResponse:
    """The submission in `body`, if valid and for a region the client's key is for."""
    try:
        submission = SubmissionRequest.model_validate_json(body)
    except ValidationError as error:
        return _invalid([{**e, "loc": ["body", *e["loc"]]} for e in field_errors(error)])
    if not client.may_submit_for(submission.region_code):
        return _region_not_allowed()
    return submission


def _refusal(response: JSONResponse) -> str:
    return {
        403: "region_not_allowed",
        409: "idempotency_conflict",
        422: "invalid",
        429: "backlog_full",
        503: "region_rejecting",
    }.get(response.status_code, "other")


def _over_rate(client: IntakeClient, wait: timedelta) -> JSONResponse:
    return error_response(
        status.HTTP_429_TOO_MANY_REQUESTS,
        "rate_limited",
        f"the intake key {client.client_id} is over its rate; try again after Retry-After",
        headers={"Retry-After": str(max(1, math.ceil(wait.total_seconds())))},
    )


def _region_not_allowed() -> JSONResponse:
    return error_response(
        status.HTTP_403_FORBIDDEN,
        "region_not_allowed",
        "this intake key may not submit for the region given",
        fields=[
            {
                "loc": ["body", "region_code"],
                "type": "region_not_allowed",
                "msg": "not a region of this intake key",
            }
        ],
    )


async def get_ticket(ticket_id: str, runtime: Runtime) -> TicketView:
    """A ticket's state and place in line; never the applicant's personal data."""
    stored = (
        await runtime.intake.submissions.by_ticket(ticket_id) if is_ticket_id(ticket_id) else None
    )
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ticket")
    return await _ticket_view(runtime, stored)


async def _ticket_view(runtime: Runtime, stored: StoredSubmission) -> TicketView:
    gate = await runtime.region_gate(stored.region_code)
    estimate = await estimate_for(
        stored,
        submissions=runtime.intake.submissions,
        gate=gate,
        pace=runtime.pace(gate),
        pacing=runtime.dispatch.pacing,
        now=runtime.clock(),
    )
    return _view(stored, estimate)


async def _answer(runtime: GateRuntime, acceptance: Acceptance) -> TicketView:
    """A ticket seen before, as it is now; a new one with the place in line it came with."""
    gate = acceptance.gate
    if acceptance.replayed or gate is None:
        return await _ticket_view(runtime, acceptance.submission)
    SUBMISSIONS_ACCEPTED.labels(
        acceptance.submission.region_code, acceptance.submission.state.value
    ).inc()
    estimate = estimate_with(
        acceptance.ahead,
        gate=gate,
        pace=runtime.pace(gate),
        pacing=runtime.dispatch.pacing,
        now=runtime.clock(),
    )
    return _view(acceptance.submission, estimate)


def _view(stored: StoredSubmission, estimate: DeliveryEstimate) -> TicketView:
    return TicketView(
        ticket_id=stored.ticket_id,
        region_code=stored.region_code,
        service_type=stored.service_type,
        state=stored.state,
        queue_position=estimate.queue_position,
        estimated_delivery_at=estimate.estimated_delivery_at,
        accepted_at=stored.accepted_at,
        updated_at=stored.updated_at,
        delivered_at=stored.delivered_at,
        parked_reason=stored.parked_reason,
    )


def parked_view(parked: ParkedSubmission) -> TicketView:
    """A parked ticket as `get_ticket` shows it: held, so no place in line nor estimate."""
    return TicketView(
        ticket_id=parked.ticket_id,
        region_code=parked.region_code,
        service_type=parked.service_type,
        state=SubmissionState.PARKED,
        queue_position=None,
        estimated_delivery_at=None,
        accepted_at=parked.accepted_at,
        updated_at=parked.updated_at,
        delivered_at=None,
        parked_reason=parked.parked_reason,
    )


def _invalid(fields: list[dict[str, object]]) -> JSONResponse:
    return error_response(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        "invalid_request",
        "the request has invalid fields",
        fields=fields,
    )


def _rejecting(error: RegionRejectingError) -> JSONResponse:
    region = error.gate.region_code
    return error_response(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "region_rejecting",
        str(error),
        headers={"Retry-After": str(max(1, math.ceil(error.retry_after.total_seconds())))},
        expected_return_at=error.gate.expected_return_at.isoformat()
        if error.gate.expected_return_at
        else None,
        messages={
            "id": f"Layanan SIAK untuk wilayah {region} sedang tidak tersedia; "
            "pengajuan belum dapat diterima. Silakan coba lagi nanti.",
            "en": f"SIAK is unavailable for region {region}; submissions cannot be "
            "accepted now. Please try again later.",
        },
    )


def install(app: FastAPI) -> None:
    """Intake's routes, made by the app itself (so its dependency overrides apply), not
    included: FastAPI matches an included router through a layer of its own on every request,
    a cost each submission paid (decision 29)."""
    app.add_api_route(
        ROUTES,
        submit,
        methods=["POST"],
        tags=["intake"],
        status_code=status.HTTP_202_ACCEPTED,
        response_model=TicketView,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _SUBMISSION_SCHEMA,
                        "example": _SUBMISSION_EXAMPLE,
                    }
                },
            }
        },
        responses={403: {}, 409: {}, 413: {}, 422: {}, 429: {}, 503: {}},
    )
    app.add_api_route(ROUTES + "/{ticket_id}", get_ticket, methods=["GET"], tags=["intake"])
