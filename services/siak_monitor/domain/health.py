"""A region's health as a state machine fed by probe results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.siak_monitor.domain.flap_damping import FlapDamping
from services.siak_monitor.domain.probe import ProbeOutcome, ProbeResult
from shared.events import SiakStatus

ANSWERING = frozenset({SiakStatus.UP, SiakStatus.DEGRADED})


@dataclass(frozen=True)
class HealthThresholds:
    failure_threshold: int = 3
    """Consecutive failed probes before a region is DOWN."""
    success_threshold: int = 2
    """Consecutive answering probes before a region is UP (or DEGRADED when slow)."""
    degraded_latency_ms: float = 2000.0
    """An answer slower than this counts as DEGRADED."""
    flap_window: timedelta = timedelta(minutes=30)
    """DOWN again this soon after recovering is a flap; a flap counts for this long."""
    max_success_threshold: int | None = None
    """Bound of the success run a flapping region needs; default 8 times `success_threshold`."""
    overrun_extension: timedelta = timedelta(minutes=30)
    """How much later a region failing after its maintenance is expected back, per estimate."""

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.success_threshold < 1:
            raise ValueError("thresholds must be at least 1")
        if self.success_run_bound < self.success_threshold:
            raise ValueError("max_success_threshold must be at least success_threshold")
        if self.flap_window <= timedelta(0) or self.overrun_extension <= timedelta(0):
            raise ValueError("flap_window and overrun_extension must be positive")

    @property
    def success_run_bound(self) -> int:
        if self.max_success_threshold is None:
            return 8 * self.success_threshold
        return self.max_success_threshold


@dataclass(frozen=True)
class Transition:
    """A region's status, reason or expected return changed; `since` is when the status began."""

    region_code: str
    status: SiakStatus
    previous_status: SiakStatus
    since: datetime
    reason: str | None
    evidence: ProbeResult | None
    expected_return_at: datetime | None = None


class RegionHealth:
    """UNKNOWN until the thresholds are met; then UP, DEGRADED or DOWN by runs of outcomes."""

    def __init__(self, region_code: str, thresholds: HealthThresholds) -> None:
        self.region_code = region_code
        self.thresholds = thresholds
        self.status = SiakStatus.UNKNOWN
        self.since: datetime | None = None
        self.reason: str | None = None
        self.last_probe: ProbeResult | None = None
        self.answering_run = 0
        """Consecutive answering probes up to and including the latest one."""
        self._flaps = FlapDamping(
            success_run=thresholds.success_threshold,
            max_success_run=thresholds.success_run_bound,
            window=thresholds.flap_window,
        )
        self._run_outcome: ProbeOutcome | None = None
        self._run_length = 0

    def required_success_run(self, at: datetime) -> int:
        """Answering probes in a row needed at `at` to leave DOWN or UNKNOWN."""
        return self._flaps.required_success_run(at)

    def observe(self, probe: ProbeResult) -> Transition | None:
        """Record a probe; the transition it causes, if any."""
        outcome = probe.outcome(self.thresholds.degraded_latency_ms)
        self.last_probe = probe
        self._count(outcome)
        target = self._target(outcome, probe.checked_at)
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
        self._note_flap(transition)
        self.status = target
        self.since = probe.checked_at
        self.reason = transition.reason
        return transition

    def _count(self, outcome: ProbeOutcome) -> None:
        self._run_length = self._run_length + 1 if outcome == self._run_outcome else 1
        self._run_outcome = outcome
        self.answering_run = 0 if outcome == ProbeOutcome.FAILED else self.answering_run + 1

    def _target(self, outcome: ProbeOutcome, at: datetime) -> SiakStatus | None:
        t = self.thresholds
        if outcome == ProbeOutcome.FAILED:
            return SiakStatus.DOWN if self._run_length >= t.failure_threshold else None
        answering = SiakStatus.DEGRADED if outcome == ProbeOutcome.SLOW else SiakStatus.UP
        if self.status in ANSWERING:
            # Switching between UP and DEGRADED needs a run of the new kind, so one slow
            # answer among fast ones does not make the region flicker.
            return answering if self._run_length >= t.success_threshold else None
        return answering if self.answering_run >= self.required_success_run(at) else None

    def _note_flap(self, transition: Transition) -> None:
        if transition.previous_status == SiakStatus.DOWN and transition.status in ANSWERING:
            self._flaps.note_recovery(transition.since)
        elif transition.previous_status in ANSWERING and transition.status == SiakStatus.DOWN:
            self._flaps.note_outage(transition.since)


def _reason(status: SiakStatus, probe: ProbeResult) -> str | None:
    if status == SiakStatus.DOWN:
        return probe.error or "probe_failed"
    if status == SiakStatus.DEGRADED:
        return "slow_response"
    return None
