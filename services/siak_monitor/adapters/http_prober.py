"""Probes a SIAK health endpoint over HTTP."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from services.siak_monitor.adapters.http1 import Http1Client, HttpError
from services.siak_monitor.domain.probe import ProbeResult, ProbeTarget

_log = logging.getLogger(__name__)

PROBE_ERROR = "probe_error"
"""The kind of a failure the client did not foresee (a defect, not an answer)."""
BODY_CHECK_LIMIT = 64 * 1024
"""Only the start of an answer is read, and searched for the expected text."""


class HttpProber:
    """GETs the target's URL and checks the status code and, when asked, the body."""

    def __init__(self, client: Http1Client, *, clock: Callable[[], datetime]) -> None:
        self.client = client
        self.clock = clock

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        checked_at = self.clock()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(target.timeout_s):
                answer = await self.client.get(target.url, body_limit=BODY_CHECK_LIMIT)
        except TimeoutError:
            return ProbeResult(checked_at, ok=False, latency_ms=_since(started), error="timeout")
        except HttpError as error:
            return ProbeResult(checked_at, ok=False, error=error.kind)
        except Exception as error:
            # Only the exception's type is logged: its text may quote what SIAK answered.
            _log.error("probe of %s failed unforeseen: %s", target.name, type(error).__name__)
            return ProbeResult(checked_at, ok=False, error=PROBE_ERROR)
        unexpected = _unexpected(answer.status, answer.body, target)
        return ProbeResult(
            checked_at,
            ok=unexpected is None,
            latency_ms=round((answer.head_at - started) * 1000, 1),
            http_status=answer.status,
            error=unexpected,
        )


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
