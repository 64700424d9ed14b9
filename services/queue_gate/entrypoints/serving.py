"""How the gate's HTTP app is served: framework and server options every request pays for."""

from __future__ import annotations

import gc
from typing import Any, Final

from fastapi.telemetry import TelemetryConfig

TELEMETRY_OFF: Final[TelemetryConfig] = {"tracing": False, "metrics": False, "logs": False}
"""FastAPI's built-in OpenTelemetry asks for a tracer provider on every request (reading
`os.environ`) to learn that none is configured; the gate exports Prometheus metrics only."""

SERVER_OPTIONS: Final[dict[str, Any]] = {"log_level": "info", "access_log": False}
"""uvicorn's access log formats a line per request, the client's address and the path (a
ticket id) in it: a cost on every submission, and nothing the metrics do not count."""


def forwarded_options(forwarded_allow_ips: list[str]) -> dict[str, Any]:
    """uvicorn takes the client's address from X-Forwarded-For only when the connection comes
    from one of these proxies (the ingress controller): believed from anyone else, the header
    would let a guesser pose as a new address on each sign-in."""
    return {"proxy_headers": bool(forwarded_allow_ips), "forwarded_allow_ips": forwarded_allow_ips}


def settle_heap() -> None:
    """Before serving: what is alive now (modules, the app, its schemas) lives as long as the
    process, so Python's collector stops walking it (`gc.freeze`): a full collection walked
    the gate's ~115,000 start-up objects in about 50 ms, a pause every request in flight
    waited out. And collect the young generation after 10,000 new objects, not 700: a
    submission makes hundreds, so a request was collected mid-way several times over, and
    objects held across an await were promoted to be walked again later (decision 29)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
