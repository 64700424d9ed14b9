"""A region's health as a state machine fed by probe results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.siak_monitor.domain.probe import ProbeOutcome, ProbeResult
from shared.events import SiakStatus


@dataclass(frozen=True)
class HealthThresholds:
    failure_threshold: int = 3
    """Consecutive failed probes before a region is DOWN."""
    success_threshold: int = 2
    """Consecutive answering probes before a region is UP (or DEGRADED when slow)."""
    degraded_latency_ms: float = 2000.0
    """An answer slower than this counts as DEGRADED."""

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.success_threshold < 1:
            raise ValueError("thresholds must be at least 1")


@dataclass(frozen=True)
class Transition:
    region_code: str
    status: SiakStatus
    previous_status: SiakStatus
    since: datetime
    reason: str | None
    evidence: ProbeResult


class RegionHealth:
    """UNKNOWN until the thresholds are met; then UP, DEGRADED or DOWN by runs of outcomes."""

    def __init__(self, region_code: str, thresholds: HealthThresholds) -> None:
        self.region_code = region_code
        self.thresholds = thresholds
        self.status = SiakStatus.UNKNOWN
        self.since: datetime | None = None
        self.last_probe: ProbeResult | None = None
        self._run_outcome: ProbeOutcome | None = None
        self._run_length = 0
        self._answering_run = 0

    def observe(self, probe: ProbeResult) -> Transition | None:
        """Record a probe; the transition it causes, if any."""
        outcome = probe.outcome(self.thresholds.degraded_latency_ms)
        self.last_probe = probe
        self._count(outcome)
        target = self._target(outcome)
        if target is None or target == self.status:
            return None
        transition = Transition(
            region_code=self.region_code,
            status=target,
            previous_status=self.status,
            since=probe.checked_at,
            reason=_reason(target, probe),
            evidence=probe,
        )
        self.status = target
        self.since = probe.checked_at
        return transition

    def _count(self, outcome: ProbeOutcome) -> None:
        self._run_length = self._run_length + 1 if outcome == self._run_outcome else 1
        self._run_outcome = outcome
        self._answering_run = 0 if outcome == ProbeOutcome.FAILED else self._answering_run + 1

    def _target(self, outcome: ProbeOutcome) -> SiakStatus | None:
        t = self.thresholds
        if outcome == ProbeOutcome.FAILED:
            return SiakStatus.DOWN if self._run_length >= t.failure_threshold else None
        answering = SiakStatus.DEGRADED if outcome == ProbeOutcome.SLOW else SiakStatus.UP
        if self.status in (SiakStatus.UP, SiakStatus.DEGRADED):
            # Switching between UP and DEGRADED needs a run of the new kind, so one slow
            # answer among fast ones does not make the region flicker.
            return answering if self._run_length >= t.success_threshold else None
        return answering if self._answering_run >= t.success_threshold else None


def _reason(status: SiakStatus, probe: ProbeResult) -> str | None:
    if status == SiakStatus.DOWN:
        return probe.error or "probe_failed"
    if status == SiakStatus.DEGRADED:
        return "slow_response"
    return None
