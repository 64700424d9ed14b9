"""Probes a region's SIAK health endpoint over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import httpx

from services.siak_monitor.domain.probe import ProbeResult


class HttpProber:
    """GETs `url_template` (with `{region}` in it) and expects `expected_status`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        url_template: str,
        timeout_s: float,
        clock: Callable[[], datetime],
        expected_status: int = 200,
    ) -> None:
        self.client = client
        self.url_template = url_template
        self.timeout_s = timeout_s
        self.clock = clock
        self.expected_status = expected_status

    async def probe(self, region_code: str) -> ProbeResult:
        checked_at = self.clock()
        started = time.perf_counter()
        try:
            response = await self.client.get(
                self.url_template.format(region=region_code), timeout=self.timeout_s
            )
        except httpx.TimeoutException:
            return ProbeResult(checked_at, ok=False, latency_ms=_since(started), error="timeout")
        except httpx.ConnectError:
            return ProbeResult(checked_at, ok=False, error="connection_refused")
        except httpx.HTTPError as error:
            return ProbeResult(checked_at, ok=False, error=type(error).__name__.lower())
        ok = response.status_code == self.expected_status
        return ProbeResult(
            checked_at,
            ok=ok,
            latency_ms=_since(started),
            http_status=response.status_code,
            error=None if ok else f"http_{response.status_code}",
        )


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
