"""Probes a SIAK health endpoint over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import httpx

from services.siak_monitor.domain.probe import ProbeResult, ProbeTarget

BODY_CHECK_LIMIT = 64 * 1024
"""Only the start of an answer is searched for the expected text."""


class HttpProber:
    """GETs the target's URL and checks the status code and, when asked, the body."""

    def __init__(self, client: httpx.AsyncClient, *, clock: Callable[[], datetime]) -> None:
        self.client = client
        self.clock = clock

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        checked_at = self.clock()
        started = time.perf_counter()
        try:
            async with self.client.stream("GET", target.url, timeout=target.timeout_s) as answer:
                latency_ms = _since(started)
                # Only the start is read: a health endpoint answering megabytes costs nothing.
                start = await _start_of(answer) if target.body_contains is not None else b""
        except httpx.TimeoutException:
            return ProbeResult(checked_at, ok=False, latency_ms=_since(started), error="timeout")
        except httpx.ConnectError:
            return ProbeResult(checked_at, ok=False, error="connection_refused")
        except httpx.HTTPError as error:
            return ProbeResult(checked_at, ok=False, error=type(error).__name__.lower())
        unexpected = _unexpected(answer.status_code, start, target)
        return ProbeResult(
            checked_at,
            ok=unexpected is None,
            latency_ms=latency_ms,
            http_status=answer.status_code,
            error=unexpected,
        )


async def _start_of(answer: httpx.Response) -> bytes:
    start = b""
    async for chunk in answer.aiter_bytes():
        start += chunk
        if len(start) >= BODY_CHECK_LIMIT:
            break
    return start[:BODY_CHECK_LIMIT]


def _unexpected(status_code: int, start: bytes, target: ProbeTarget) -> str | None:
    """What was wrong with the answer, as a short kind; never any of the body itself."""
    if status_code != target.expected_status:
        return f"http_{status_code}"
    if target.body_contains is not None and target.body_contains not in start.decode(
        errors="replace"
    ):
        return "unexpected_body"
    return None


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
