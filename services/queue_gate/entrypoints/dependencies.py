"""FastAPI dependencies of the gate's HTTP API: the runtime and the two kinds of bearer token."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Request, status

from services.queue_gate.runtime import GateRuntime

# Every dependency is a coroutine: FastAPI runs plain functions on a worker thread, a thread
# hop per request for what is a dictionary lookup and a comparison.


async def _runtime(request: Request) -> GateRuntime:
    runtime: GateRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[GateRuntime, Depends(_runtime)]
RegionCode = Annotated[
    str, Path(description="a region code of the registry (kabupaten/kota)", examples=["73.71"])
]


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token


async def _intake_client(
    runtime: Runtime, authorization: Annotated[str | None, Header()] = None
) -> None:
    expected = runtime.settings.api_key.get_secret_value()
    if not secrets.compare_digest(_bearer(authorization).encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown intake key",
            headers={"WWW-Authenticate": "Bearer"},
        )


async def _operator(
    runtime: Runtime,
    authorization: Annotated[str | None, Header()] = None,
    x_operator: Annotated[str | None, Header(max_length=100)] = None,
) -> str:
    expected = runtime.settings.admin_token.get_secret_value()
    if not secrets.compare_digest(_bearer(authorization).encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown admin token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return x_operator or "operator"


IntakeClient = Depends(_intake_client)
Operator = Annotated[str, Depends(_operator)]
