"""Gentle recovery of a region's gate: canaries, then a slow-start ramp of the rate, then open.

Sharing rule: a region has one line, in acceptance order. New submissions join it behind
the deferred backlog, so they share the paced rate with the backlog strictly first come,
first served; neither has reserved capacity, and a newcomer waits for the backlog ahead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.queue_gate.domain.gate import GateState, gate_state_for
from services.queue_gate.domain.token_bucket import (
    NoAllowanceError,
    Steady,
    Stopwatch,
    TokenBucket,
)
from shared.events import SiakStatus

MIN_RATE = 0.001
"""The slowest pace a rate or ceiling may be set to (one submission in about 17 minutes): a
slower one estimates deliveries centuries away. To hold a region's replay, pause it."""


@dataclass(frozen=True, slots=True)
class PacingConfig:
    """Rates are submissions per second; `burst` is how many may go back to back."""

    canary_count: int = 3
    initial_rate: float = 2.0
    max_rate: float = 20.0
    ramp_interval: timedelta = timedelta(seconds=30)
    burst: int = 1

    def __post_init__(self) -> None:
        if self.canary_count < 0 or self.burst < 1 or self.ramp_interval <= timedelta(0):
            raise ValueError("needs canary_count >= 0, burst >= 1 and a positive ramp_interval")
        if not 0 < self.initial_rate <= self.max_rate:
            raise ValueError("needs 0 < initial_rate <= max_rate")

    def with_max_rate(self, max_rate: float) -> PacingConfig:
        """Under an operator's ceiling for one region, which the start stays under too."""
        initial = min(self.initial_rate, max_rate)
        return dataclasses.replace(self, max_rate=max_rate, initial_rate=initial)


class ReplayPacer:
    """One region's pace towards SIAK; every submission sent, canary or not, takes a token.

    The tokens and the ramp's interval are timed on `steady` when given (see `Stopwatch`): a
    wall clock stepped forward would refill the bucket and bring an early doubling."""

    def __init__(
        self, config: PacingConfig, *, now: datetime, steady: Steady | None = None
    ) -> None:
        self._config = config
        self._state = GateState.CLOSED
        # Full from the start; afterwards only time refills it, so a region flapping down and
        # up gains no extra sends.
        self._bucket = TokenBucket(capacity=config.burst, now=now, steady=steady)
        self._bucket.fill(now)
        self._stopwatch = Stopwatch(now, steady)
        self._rate_changed_at = self._stopwatch.reading(now)
        self._canaries_remaining = 0
        self._canary_in_flight = False

    @property
    def state(self) -> GateState:
        return self._state

    @property
    def rate(self) -> float:
        return self._bucket.rate

    @property
    def canaries_remaining(self) -> int:
        return self._canaries_remaining

    @property
    def config(self) -> PacingConfig:
        return self._config

    def on_status(self, status: SiakStatus | None, now: datetime) -> None:
        if gate_state_for(status) is GateState.OPEN:
            self.on_region_up(now)
        else:
            self.on_region_down(now)

    def on_region_up(self, now: datetime) -> None:
        if self._state is GateState.CLOSED:
            self._start_canaries(now)

    def on_region_down(self, now: datetime) -> None:
        self._state = GateState.CLOSED
        self._bucket.set_rate(0.0, now)
        self._canaries_remaining = 0
        self._canary_in_flight = False

    def allowance(self, now: datetime) -> int:
        """How many submissions may be sent now: none while closed; canaries one at a time."""
        if self._state is GateState.CLOSED:
            return 0
        if self._canaries_remaining == 0:
            return self._bucket.available(now)
        return 0 if self._canary_in_flight else min(self._bucket.available(now), 1)

    def sends_within(self, horizon: timedelta, now: datetime) -> int:
        """How many submissions the pace would let go over the next `horizon`, at most: what
        may go now, plus what the rate adds meanwhile (canaries still go one at a time)."""
        allowance = self.allowance(now)
        if self._state is GateState.CLOSED or self._canaries_remaining > 0:
            return allowance
        return allowance + int(self.rate * horizon.total_seconds())

    def take(self, now: datetime) -> None:
        if self.allowance(now) < 1:
            raise NoAllowanceError("no submission may be sent to SIAK yet")
        self._bucket.take(now)
        self._canary_in_flight = self._canaries_remaining > 0

    def next_allowed_at(self, now: datetime) -> datetime | None:
        """When `allowance` turns positive by itself; None while that needs an answer or UP."""
        if self._state is GateState.CLOSED:
            return None
        if self._canaries_remaining > 0 and self._canary_in_flight:
            return None
        return self._bucket.next_token_at(now)

    def on_siak_answered(self, now: datetime) -> None:
        """SIAK accepted a submission or refused it on its merits: either way it is working.

        The last canary's answer starts the ramp; then an answer a `ramp_interval` or more
        after the last change doubles the rate, up to `max_rate`, where the gate is open."""
        if self._state is GateState.CLOSED:
            return
        if self._canaries_remaining == 0:
            # A clock set back: the interval counts from the new reading, not from the future.
            reading = self._stopwatch.reading(now)
            self._rate_changed_at = min(self._rate_changed_at, reading)
            if reading - self._rate_changed_at >= self._config.ramp_interval.total_seconds():
                self._ramp_to(self.rate * 2, now)
        elif self._canary_in_flight:
            self._canary_in_flight = False
            self._canaries_remaining -= 1
            if self._canaries_remaining == 0:
                self._ramp_to(self._config.initial_rate, now)

    def on_transient_failure(self, now: datetime) -> None:
        """SIAK timed out or failed: halve the rate; below the initial rate, canaries again."""
        if self._state is GateState.CLOSED:
            return
        halved = self.rate / 2
        if self._canaries_remaining == 0 and halved >= self._config.initial_rate:
            self._state = GateState.RECOVERING
            self._set_rate(halved, now)
        else:
            self._start_canaries(now)

    def set_max_rate(self, max_rate: float, now: datetime) -> None:
        """An operator's new ceiling: applies at once downwards, by the ramp upwards."""
        self._config = self._config.with_max_rate(max_rate)
        if self._canaries_remaining > 0:
            self._set_rate(self._config.initial_rate, now)
        elif self._state is not GateState.CLOSED:
            self._ramp_to(min(self.rate, max_rate), now)

    def _start_canaries(self, now: datetime) -> None:
        self._state = GateState.RECOVERING
        self._canaries_remaining = self._config.canary_count
        self._canary_in_flight = False
        self._set_rate(self._config.initial_rate, now)
        if self._canaries_remaining == 0:
            self._ramp_to(self._config.initial_rate, now)

    def _ramp_to(self, rate: float, now: datetime) -> None:
        self._set_rate(min(rate, self._config.max_rate), now)
        reached_max = self.rate >= self._config.max_rate
        self._state = GateState.OPEN if reached_max else GateState.RECOVERING

    def _set_rate(self, rate: float, now: datetime) -> None:
        self._bucket.set_rate(rate, now)
        self._rate_changed_at = self._stopwatch.reading(now)
