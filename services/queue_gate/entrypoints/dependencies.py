"""The gate's HTTP dependencies: the runtime, the two bearer tokens, checked before any body."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Request, status
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Scope

from services.queue_gate.domain.submission import MAX_SUBMISSION_BYTES
from services.queue_gate.entrypoints.errors import error_for_status
from services.queue_gate.runtime import GateRuntime
from services.queue_gate.settings import GateSettings
from shared.http_limits import DEFAULT_MAX_BODY_BYTES, Admit

ADMIN_ROUTES = "/v1/admin/"
INTAKE_ROUTES = "/v1/submissions"
ADMIN_MAX_BODY_BYTES = 8 * 1024
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods that carry a body; a GET has none, and its route checks its own token."""

# Every dependency is a coroutine: FastAPI runs plain functions on a worker thread, a thread
# hop per request for what is a dictionary lookup and a comparison.


async def _runtime(request: Request) -> GateRuntime:
    runtime: GateRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[GateRuntime, Depends(_runtime)]
RegionCode = Annotated[
    str, Path(description="a region code of the registry (kabupaten/kota)", examples=["73.71"])
]


def _bears(authorization: str | None, expected: str) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(token.encode(), expected.encode())


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"}
    )


async def _intake_client(
    runtime: Runtime, authorization: Annotated[str | None, Header()] = None
) -> None:
    if not _bears(authorization, runtime.settings.api_key.get_secret_value()):
        raise _unauthorized("unknown intake key")


async def _operator(
    runtime: Runtime,
    authorization: Annotated[str | None, Header()] = None,
    x_operator: Annotated[str | None, Header(max_length=100)] = None,
) -> str:
    if not _bears(authorization, runtime.settings.admin_token.get_secret_value()):
        raise _unauthorized("unknown admin token")
    return x_operator or "operator"


def body_cap(scope: Scope) -> int:
    """For `shared.http_limits.BodyLimit`: the most bytes a request's body may have."""
    path: str = scope["path"]
    if path.startswith(ADMIN_ROUTES):
        return ADMIN_MAX_BODY_BYTES
    if path.startswith(INTAKE_ROUTES):
        return MAX_SUBMISSION_BYTES
    return DEFAULT_MAX_BODY_BYTES


def credentials_before_body(settings: GateSettings) -> Admit:
    """For `shared.http_limits.BodyLimit`: a request with a body to the admin or intake
    routes is refused before one byte of it is read unless it bears their token."""
    tokens = {ADMIN_ROUTES: settings.admin_token, INTAKE_ROUTES: settings.api_key}

    def admit(scope: Scope) -> Response | None:
        if scope["method"] not in CHANGING:
            return None
        path: str = scope["path"]
        token = next((t for prefix, t in tokens.items() if path.startswith(prefix)), None)
        if token is None or _bears(
            Headers(scope=scope).get("authorization"), token.get_secret_value()
        ):
            return None
        error = _unauthorized("a valid bearer token is required")
        return error_for_status(error.status_code, str(error.detail), headers=error.headers)

    return admit


IntakeClient = Depends(_intake_client)
Operator = Annotated[str, Depends(_operator)]
