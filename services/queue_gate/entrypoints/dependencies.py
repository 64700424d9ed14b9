"""The gate's HTTP dependencies: the runtime, the admin token and the intake keys, checked
before any body."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request, status
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Scope

from services.queue_gate.client_keyring import (
    ClientKeyring,
    ClientKeysUnverifiableError,
    IntakeClient,
)
from services.queue_gate.domain.submission import MAX_SUBMISSION_BYTES
from services.queue_gate.entrypoints.errors import UNAVAILABLE_RETRY_AFTER_S, error_for_status
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
ParkedCursor = Annotated[
    int | None,
    Query(
        ge=0,
        lt=2**63,
        description="Where the page starts: the `after` of the previous page's next link",
    ),
]
"""Parked submissions are listed after this place in acceptance order (`ParkedSubmission.seq`)."""

RegionCode = Annotated[
    str, Path(description="a region code of the registry (kabupaten/kota)", examples=["73.71"])
]


def _bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


def _bears(authorization: str | None, expected: str) -> bool:
    token = _bearer(authorization)
    return token is not None and secrets.compare_digest(token.encode(), expected.encode())


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"}
    )


def _keys_unverifiable() -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "intake keys cannot be checked now; try again shortly",
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)},
    )


def _identified(keyring: ClientKeyring, authorization: str | None) -> IntakeClient:
    token = _bearer(authorization)
    try:
        client = keyring.identify(token) if token is not None else None
    except ClientKeysUnverifiableError:
        raise _keys_unverifiable() from None
    if client is None:
        raise _unauthorized("unknown intake key")
    return client


@dataclass(frozen=True)
class IntakeCaller:
    """The running gate and the intake client a request comes from."""

    runtime: GateRuntime
    client: IntakeClient


async def _intake_caller(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> IntakeCaller:
    # One dependency, not `Runtime` and a client depending on it: FastAPI spends more on
    # solving each dependency per request than on what this one does.
    runtime: GateRuntime = request.app.state.runtime
    return IntakeCaller(runtime, _identified(runtime.client_keys, authorization))


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


def credentials_before_body(
    settings: GateSettings, keyring: Callable[[], ClientKeyring | None]
) -> Admit:
    """For `shared.http_limits.BodyLimit`: a request with a body to the admin or intake
    routes is refused before one byte of it is read unless it bears their token (an
    intake key of `keyring()`, the running gate's)."""

    def admit(scope: Scope) -> Response | None:
        if scope["method"] not in CHANGING:
            return None
        path: str = scope["path"]
        authorization = Headers(scope=scope).get("authorization")
        try:
            if path.startswith(ADMIN_ROUTES):
                if not _bears(authorization, settings.admin_token.get_secret_value()):
                    raise _unauthorized("a valid bearer token is required")
            elif path.startswith(INTAKE_ROUTES) and (ring := keyring()) is not None:
                _identified(ring, authorization)
        except HTTPException as error:
            return error_for_status(error.status_code, str(error.detail), headers=error.headers)
        return None

    return admit


Caller = Annotated[IntakeCaller, Depends(_intake_caller)]
Operator = Annotated[str, Depends(_operator)]
