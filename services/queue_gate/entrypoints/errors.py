"""One JSON shape for every error the gate answers, with no submitted value echoed back."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.queue_gate.adapters.postgres.transient import TRANSIENT_TYPES, is_transient
from services.queue_gate.ports import StoreBusyError

log = logging.getLogger(__name__)

UNAVAILABLE_RETRY_AFTER_S = 5
"""What a client is told to wait while PostgreSQL is unreachable or intake's queue is full:
the gate's own waits are bounded to a few seconds, so a retry after this finds it back or
is refused as fast."""


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, **extra), status_code=status_code, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        fields = [
            {"loc": list(detail["loc"]), "type": detail["type"], "msg": detail["msg"]}
            for detail in error.errors()
        ]
        return error_response(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "invalid_request",
            "the request has invalid fields",
            fields=fields,
        )

    async def unavailable(_request: Request, error: Exception) -> JSONResponse:
        if not (isinstance(error, StoreBusyError) or is_transient(error)):
            raise error  # the gate's own fault (a DataError): a 500, and in the log
        # The type only: a driver's message may quote a statement's parameters.
        log.warning("answering 503: the database is unavailable (%s)", type(error).__name__)
        return _unavailable()

    for error_type in (*TRANSIENT_TYPES, StoreBusyError):
        app.add_exception_handler(error_type, unavailable)
    app.add_middleware(AnswerOutages)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_for_status(error.status_code, str(error.detail), headers=error.headers)


def _unavailable() -> JSONResponse:
    return error_response(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "unavailable",
        "the gate cannot take this request now; try again shortly",
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)},
    )


class AnswerOutages:
    """Any other error raised while PostgreSQL cannot be reached is the outage too: 503.

    A server killed mid-request surfaces through the driver in more ways than the transient
    types name; asking the database whether it answers tells them apart from the gate's own
    faults, which stay 500s."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            runtime = getattr(scope["app"].state, "runtime", None)
            if started or runtime is None or await runtime.database_is_reachable():
                raise
            log.warning("answering 503: the database is unavailable (%s)", type(error).__name__)
            await _unavailable()(scope, receive, send)


def error_for_status(
    status_code: int, message: str, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The answer for an error known only by its status code (the code names it)."""
    return error_response(
        status_code, _code(status_code), message, headers=dict(headers) if headers else None
    )


def _code(status_code: int) -> str:
    return {
        400: "invalid_request",
        401: "unauthorized",
        404: "not_found",
        409: "conflict",
        413: "too_large",
        503: "unavailable",
    }.get(status_code, "error")
