"""HTTP face of the SIAK simulator: region health, submissions and test-control endpoints."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, assert_never

from fastapi import APIRouter, FastAPI, Header, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.siak_sim.state import (
    ALL_REGIONS,
    Duplicate,
    InvalidRegionCodeError,
    Misanswered,
    Recorded,
    RegionCondition,
    RegionState,
    Rejected,
    SimulatedSiak,
    Submission,
    Unavailable,
    is_region_code,
)

MAX_BODY_BYTES = 64 * 1024
MAX_KEY_LENGTH = 200
# A cap keeps a typo in a test from parking requests for hours.
MAX_LATENCY_MS = 300_000
IDEMPOTENCY_HEADER = "Idempotency-Key"
LOGIN_PATH = "/sso/login"

IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY_LENGTH)]


class ConditionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: RegionState
    latency_ms: int | None = Field(default=None, ge=0, le=MAX_LATENCY_MS, strict=True)


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[IdempotencyKey] = Field(min_length=1)
    reason: str | None = Field(default=None, min_length=1, max_length=500)


def create_app(state: SimulatedSiak | None = None) -> FastAPI:
    sim = state if state is not None else SimulatedSiak()
    app = FastAPI(
        title="SIAK simulator",
        description=(
            "Development stand-in for SIAK. Real deployments point at real SIAK endpoints "
            "by configuration. State is held in memory only."
        ),
    )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(LOGIN_PATH, response_class=HTMLResponse, tags=["simulated SIAK"])
    async def login_page() -> str:
        """Where the `redirect` fault sends a submission: a page, not an acknowledgement."""
        return "<!doctype html><title>SIAK SSO</title><form method=post>Masuk</form>"

    app.include_router(_siak_routes(sim))
    app.include_router(_control_routes(sim), prefix="/_control")
    return app


def _siak_routes(sim: SimulatedSiak) -> APIRouter:
    router = APIRouter(tags=["simulated SIAK"])

    @router.get("/regions/{code}/health")
    async def region_health(code: str) -> JSONResponse:
        _require_region(code)
        condition = sim.condition(code)
        if not condition.accepts_requests:
            return _unavailable(code, condition)
        await _delay(condition)
        # A slow SIAK still claims to be up; callers notice slowness by timing it.
        return JSONResponse({"region": code, "state": RegionState.UP.value})

    @router.post("/regions/{code}/submissions")
    async def submit(
        code: str,
        request: Request,
        idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER)] = None,
    ) -> Response:
        _require_region(code)
        # An unavailable SIAK answers before looking at the request at all.
        condition = sim.condition(code)
        if not condition.accepts_requests:
            return _unavailable(code, condition)
        key = _require_idempotency_key(idempotency_key)
        body = await _read_json_object(request)
        await _delay(condition)
        # The body is only validated (or echoed by the `invalid` fault), never kept: the
        # simulator holds no personal data.
        outcome = sim.submit(code, key)
        match outcome:
            case Recorded(submission):
                return JSONResponse(_submission_json(submission), status.HTTP_201_CREATED)
            case Duplicate(submission):
                body = _submission_json(submission) | {"duplicate": True}
                return JSONResponse(body, status.HTTP_200_OK)
            case Rejected(key=rejected_key, region=region, reason=reason):
                return JSONResponse(
                    {
                        "key": rejected_key,
                        "region": region,
                        "reason": reason,
                        "detail": f"submission rejected: {reason}",
                    },
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                )
            case Unavailable(region=region, condition=current):
                return _unavailable(region, current)
            case Misanswered(region=region, fault=fault):
                return _misanswer(fault, region, body)
            case _:
                assert_never(outcome)

    return router


def _control_routes(sim: SimulatedSiak) -> APIRouter:
    router = APIRouter(tags=["simulator control"])

    @router.put("/regions/{code}")
    async def put_condition(code: str, update: ConditionUpdate) -> dict[str, Any]:
        _require_region(code, allow_all=True)
        return _condition_json(code, sim.set_condition(code, update.state, update.latency_ms))

    @router.get("/regions/{code}")
    async def get_condition(code: str) -> dict[str, Any]:
        _require_region(code, allow_all=True)
        return _condition_json(code, sim.condition(code))

    @router.post("/reject")
    async def reject(body: RejectRequest) -> dict[str, Any]:
        reason = sim.reject_keys(body.keys, body.reason)
        return {"keys": body.keys, "reason": reason}

    @router.get("/received")
    async def received(region: Annotated[str | None, Query()] = None) -> dict[str, Any]:
        if region is not None and not is_region_code(region):
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, str(InvalidRegionCodeError(region))
            )
        return {
            "items": [
                {
                    "key": item.key,
                    "region": item.region,
                    "received_at": item.received_at.isoformat(),
                }
                for item in sim.received(region)
            ],
            "duplicates": sim.duplicates(region),
        }

    @router.post("/reset")
    async def reset() -> dict[str, str]:
        sim.reset()
        return {"status": "reset"}

    return router


def _require_region(code: str, *, allow_all: bool = False) -> None:
    if allow_all and code == ALL_REGIONS:
        return
    if not is_region_code(code):
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(InvalidRegionCodeError(code)))


def _require_idempotency_key(value: str | None) -> str:
    if value is None or not value.strip():
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"the {IDEMPOTENCY_HEADER} header is required"
        )
    if len(value) > MAX_KEY_LENGTH:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"the {IDEMPOTENCY_HEADER} header must be at most {MAX_KEY_LENGTH} characters",
        )
    return value


async def _read_json_object(request: Request) -> dict[str, Any]:
    too_large = HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE, f"request body exceeds {MAX_BODY_BYTES} bytes"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    # Reading in chunks stops an oversized body before it is held in memory whole.
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY_BYTES:
            raise too_large
    try:
        parsed: object = json.loads(raw)
    except (ValueError, RecursionError):
        # Deeply nested arrays exhaust the parser's recursion rather than failing to decode.
        parsed = None
    if not isinstance(parsed, dict):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "request body must be a JSON object"
        )
    return parsed


async def _delay(condition: RegionCondition) -> None:
    if condition.state is RegionState.SLOW and condition.latency_ms > 0:
        await asyncio.sleep(condition.latency_ms / 1000)


def _unavailable(region: str, condition: RegionCondition) -> JSONResponse:
    if condition.state is RegionState.ERROR:
        return JSONResponse(
            {"region": region, "state": condition.state.value, "detail": "simulated SIAK error"},
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return JSONResponse(
        {
            "region": region,
            "state": condition.state.value,
            "detail": f"simulated SIAK is {condition.state.value}",
        },
        status.HTTP_503_SERVICE_UNAVAILABLE,
    )


_FAULT_ANSWERS: dict[RegionState, tuple[int, str]] = {
    RegionState.UNAUTHORIZED: (status.HTTP_401_UNAUTHORIZED, "Not authenticated"),
    RegionState.FORBIDDEN: (status.HTTP_403_FORBIDDEN, "Not authorized for this region"),
    RegionState.NOT_FOUND: (status.HTTP_404_NOT_FOUND, "Not Found"),
    RegionState.METHOD_NOT_ALLOWED: (status.HTTP_405_METHOD_NOT_ALLOWED, "Method Not Allowed"),
    RegionState.KEY_CONFLICT: (
        status.HTTP_409_CONFLICT,
        "Idempotency-Key already used for a different request",
    ),
    RegionState.GONE: (status.HTTP_410_GONE, "This API version has been retired"),
}


def _misanswer(fault: RegionState, region: str, body: dict[str, Any]) -> Response:
    if fault is RegionState.REDIRECT:
        target = f"{LOGIN_PATH}?next=/regions/{region}/submissions"
        return RedirectResponse(target, status.HTTP_302_FOUND)
    if fault is RegionState.UNACKNOWLEDGED:
        return JSONResponse({"status": "ok"}, status.HTTP_200_OK)
    if fault is RegionState.INVALID:
        return JSONResponse(
            {"detail": validation_errors_echoing(body)}, status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    code, detail = _FAULT_ANSWERS[fault]
    return JSONResponse({"detail": detail}, code)


def validation_errors_echoing(body: dict[str, Any]) -> list[dict[str, Any]]:
    """What FastAPI says of a body its validators refuse: with the input, quoted and not."""
    applicant = body.get("applicant")
    applicant = applicant if isinstance(applicant, dict) else {}
    nik, name = str(applicant.get("nik", "")), str(applicant.get("name", ""))
    return [
        {
            "type": "value_error",
            "loc": ["body", "applicant", "nik"],
            "msg": f"Value error, NIK {nik} atas nama {name} tidak terdaftar di SIAK",
            "input": nik,
            "ctx": {"error": f"NIK {nik} tidak terdaftar"},
        },
        {
            "type": "value_error",
            "loc": ["body", "applicant", "name"],
            "msg": f"Value error, nama '{name}' tidak sesuai dengan NIK",
            "input": name,
        },
    ]


def _submission_json(submission: Submission) -> dict[str, Any]:
    return {
        "key": submission.key,
        "region": submission.region,
        "received_at": submission.received_at.isoformat(),
        "siak_reference": submission.siak_reference,
    }


def _condition_json(region: str, condition: RegionCondition) -> dict[str, Any]:
    return {"region": region, "state": condition.state.value, "latency_ms": condition.latency_ms}
