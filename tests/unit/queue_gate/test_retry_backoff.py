"""Retry delays grow exponentially, stop at the cap, and are spread by jitter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.queue_gate.domain.retry_backoff import BackoffPolicy, retry_delay

POLICY = BackoffPolicy(base=timedelta(seconds=1), cap=timedelta(seconds=60), factor=2.0)


def no_jitter() -> float:
    return 0.0


def full_jitter() -> float:
    return 0.999999


def test_delays_double_from_the_base() -> None:
    delays = [retry_delay(attempt, policy=POLICY, jitter=no_jitter) for attempt in (1, 2, 3, 4)]

    assert [delay.total_seconds() for delay in delays] == [0.5, 1.0, 2.0, 4.0]


def test_delays_stop_growing_at_the_cap_even_after_very_many_attempts() -> None:
    for attempt in (7, 100, 10_000_000):
        assert retry_delay(attempt, policy=POLICY, jitter=full_jitter) <= POLICY.cap
        assert retry_delay(attempt, policy=POLICY, jitter=no_jitter) == POLICY.cap / 2


@given(st.integers(1, 50), st.floats(min_value=0.0, max_value=1.0))
def test_jitter_spreads_the_delay_over_its_upper_half(attempt: int, spread: float) -> None:
    ceiling = retry_delay(attempt, policy=POLICY, jitter=lambda: 1.0)

    delay = retry_delay(attempt, policy=POLICY, jitter=lambda: spread)

    assert ceiling / 2 <= delay <= ceiling <= POLICY.cap


def test_the_default_jitter_varies_the_delay() -> None:
    assert len({retry_delay(5, policy=POLICY) for _ in range(50)}) > 1


def test_attempts_are_counted_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        retry_delay(0)


def test_a_cap_below_the_base_is_refused() -> None:
    with pytest.raises(ValueError):
        BackoffPolicy(base=timedelta(seconds=10), cap=timedelta(seconds=1))
