"""The outcome of asking SIAK once whether a region is healthy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ProbeOutcome(StrEnum):
    HEALTHY = "healthy"
    SLOW = "slow"
    FAILED = "failed"


@dataclass(frozen=True)
class ProbeResult:
    checked_at: datetime
    ok: bool
    latency_ms: float | None = None
    http_status: int | None = None
    error: str | None = None
    """A short kind of failure (`timeout`, `connection_refused`, `http_503`), never a body."""

    def outcome(self, degraded_latency_ms: float) -> ProbeOutcome:
        if not self.ok:
            return ProbeOutcome.FAILED
        if self.latency_ms is not None and self.latency_ms > degraded_latency_ms:
            return ProbeOutcome.SLOW
        return ProbeOutcome.HEALTHY


@dataclass(frozen=True)
class ProbeTarget:
    """Where to ask, and what counts as a healthy answer."""

    name: str
    """A region code, or the parent target's name."""
    url: str
    expected_status: int = 200
    body_contains: str | None = None
    """A text the answer must contain, when the status code alone proves too little."""
    timeout_s: float = 3.0
    """The whole probe, connection to last byte; beyond it the probe failed with `timeout`."""
