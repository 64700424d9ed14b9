"""`python -m bench.nodb_app`: the intake route on the same FastAPI/uvicorn stack, with the same
validation, fingerprint, applicant key and sealing, answering without touching a database.
The gap between it and queue_gate is what storing a submission durably costs."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import UTC, datetime
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.queue_gate.adapters.prometheus_metrics import INTAKE_SECONDS, SUBMISSIONS_ACCEPTED
from services.queue_gate.adapters.sealing import PayloadSealer
from services.queue_gate.domain.applicant_key import applicant_key
from services.queue_gate.domain.idempotency import (
    InvalidIdempotencyKeyError,
    validate_idempotency_key,
)
from services.queue_gate.domain.submission import (
    MAX_SUBMISSION_BYTES,
    SubmissionRequest,
    field_errors,
    submission_fingerprint,
)
from services.queue_gate.domain.ticket import SubmissionState, new_ticket_id
from services.queue_gate.entrypoints.errors import error_response, install_error_handlers
from services.queue_gate.entrypoints.intake_api import TicketView
from services.queue_gate.entrypoints.serving import SERVER_OPTIONS, TELEMETRY_OFF, settle_heap
from services.queue_gate.handlers.intake import siak_payload


def create_app(*, api_key: str, data_key: str, applicant_secret: str) -> FastAPI:
    sealer = PayloadSealer.from_base64(data_key)
    secret = applicant_secret.encode()

    async def intake_client(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            token.encode(), api_key.encode()
        ):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown intake key")

    app = FastAPI(title="intake without a database", telemetry=TELEMETRY_OFF)
    install_error_handlers(app)

    @app.post(
        "/v1/submissions",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=TicketView,
        dependencies=[Depends(intake_client)],
    )
    async def submit(
        request: Request, idempotency_key: Annotated[str, Header(alias="Idempotency-Key")]
    ) -> TicketView | JSONResponse:
        with INTAKE_SECONDS.time():
            try:
                validate_idempotency_key(idempotency_key)
            except InvalidIdempotencyKeyError as error:
                return error_response(422, "invalid_request", str(error))
            body = await _bounded_body(request)
            try:
                submission = SubmissionRequest.model_validate_json(body)
            except ValidationError as error:
                return error_response(
                    422, "invalid_request", "invalid fields", fields=field_errors(error)
                )
            submission_fingerprint(submission)
            applicant_key(submission.applicant.nik, secret=secret)
            ticket_id = new_ticket_id()
            sealer.seal(siak_payload(submission), ticket_id=ticket_id)
            now = datetime.now(UTC)
            SUBMISSIONS_ACCEPTED.labels(submission.region_code, "deferred").inc()
            return TicketView(
                ticket_id=ticket_id,
                region_code=submission.region_code,
                service_type=submission.service_type.value,
                state=SubmissionState.DEFERRED,
                queue_position=None,
                estimated_delivery_at=None,
                accepted_at=now,
                updated_at=now,
                delivered_at=None,
                parked_reason=None,
            )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def _bounded_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SUBMISSION_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "too large")
    return bytes(body)


def main() -> None:
    # As queue_gate runs: the same logging and uvicorn settings.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(
        api_key=os.environ["GATE_API_KEY"],
        data_key=os.environ["GATE_DATA_KEY"],
        applicant_secret=os.environ["GATE_APPLICANT_KEY_SECRET"],
    )
    settle_heap()  # as the gate does once started
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["BENCH_NODB_PORT"]), **SERVER_OPTIONS)


if __name__ == "__main__":
    main()
