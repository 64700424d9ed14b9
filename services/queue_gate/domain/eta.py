"""A submission's place in line and when it should reach SIAK at the paced rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.replay_pacing import PacingConfig

ESTIMATE_HORIZON: Final = timedelta(days=366)
"""Beyond this an estimate says nothing useful, and far beyond it a datetime overflows."""


@dataclass(frozen=True, slots=True)
class DeliveryEstimate:
    queue_position: int | None
    estimated_delivery_at: datetime | None


def estimate_delivery(
    *,
    submissions_ahead: int | None,
    now: datetime,
    gate_state: GateState,
    rate: float,
    canaries_remaining: int,
    expected_return_at: datetime | None,
    pacing: PacingConfig,
) -> DeliveryEstimate:
    """The position counts those waiting before it: 0 goes next. No position when held
    behind a parked submission; no time when it cannot be known: a closed gate without a
    future expected return, rate 0, or more than `ESTIMATE_HORIZON` away."""
    if submissions_ahead is None:
        return DeliveryEstimate(queue_position=None, estimated_delivery_at=None)
    position = submissions_ahead
    to_send = position + 1  # those before it, then itself
    if gate_state is GateState.CLOSED:
        if expected_return_at is None or expected_return_at <= now:
            return DeliveryEstimate(position, None)
        seconds = seconds_to_send(
            to_send, rate=pacing.initial_rate, canaries=pacing.canary_count, pacing=pacing
        )
        return DeliveryEstimate(position, _after(expected_return_at, seconds, now))
    if rate <= 0:
        return DeliveryEstimate(position, None)
    seconds = seconds_to_send(to_send, rate=rate, canaries=canaries_remaining, pacing=pacing)
    return DeliveryEstimate(position, _after(now, seconds, now))


def _after(start: datetime, seconds: float, now: datetime) -> datetime | None:
    """`seconds` after `start`, or None when that is past the horizon (or overflows)."""
    horizon = (now + ESTIMATE_HORIZON - start).total_seconds()
    return start + timedelta(seconds=seconds) if seconds <= horizon else None


def seconds_to_send(count: int, *, rate: float, canaries: int, pacing: PacingConfig) -> float:
    """Time to send `count` submissions: the canaries, then a rate doubling each interval.

    Canaries are counted at the initial rate; SIAK's answer time is not known ahead.
    """
    canary_count = min(count, canaries)
    seconds = canary_count / pacing.initial_rate
    left = float(count - canary_count)
    interval = pacing.ramp_interval.total_seconds()
    current = min(rate, pacing.max_rate)
    while left > 0:
        if current >= pacing.max_rate or left <= current * interval:
            return seconds + left / current
        seconds += interval
        left -= current * interval
        current = min(current * 2, pacing.max_rate)
    return seconds
