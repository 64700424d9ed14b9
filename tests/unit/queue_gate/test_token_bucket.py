"""The token bucket behind the replay rate: refill, capacity, and waiting for the next token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.queue_gate.domain.token_bucket import NoAllowanceError, TokenBucket

START = datetime(2021, 10, 19, 1, 0, tzinfo=UTC)


def test_tokens_accumulate_at_the_rate_up_to_the_capacity() -> None:
    bucket = TokenBucket(capacity=3, now=START, rate=2.0)

    assert bucket.available(START) == 0
    assert bucket.available(START + timedelta(seconds=1)) == 2
    assert bucket.available(START + timedelta(hours=1)) == 3


def test_taking_without_a_token_is_refused() -> None:
    bucket = TokenBucket(capacity=1, now=START, rate=1.0)
    bucket.fill(START)
    bucket.take(START)

    with pytest.raises(NoAllowanceError):
        bucket.take(START + timedelta(seconds=0.5))


def test_the_next_token_time_follows_the_rate_and_is_unknown_at_rate_zero() -> None:
    bucket = TokenBucket(capacity=1, now=START, rate=4.0)

    assert bucket.next_token_at(START) == START + timedelta(seconds=0.25)
    bucket.set_rate(0.0, START)
    assert bucket.next_token_at(START) is None


def test_a_clock_reading_out_of_order_takes_no_tokens_away() -> None:
    bucket = TokenBucket(capacity=5, now=START, rate=1.0)
    assert bucket.available(START + timedelta(seconds=2)) == 2

    assert bucket.available(START) == 2


def test_a_clock_set_back_goes_on_refilling_from_its_new_reading() -> None:
    """An NTP step or a restored VM: the bucket must not wait for the clock to catch up."""
    bucket = TokenBucket(capacity=5, now=START, rate=2.0)
    bucket.take(START + timedelta(seconds=0.5))
    set_back = START - timedelta(hours=1)

    assert bucket.available(set_back) == 0
    assert bucket.available(set_back + timedelta(seconds=1)) == 2
    assert bucket.next_token_at(set_back + timedelta(seconds=1)) == set_back + timedelta(seconds=1)


def test_a_rate_change_keeps_the_tokens_earned_at_the_old_rate() -> None:
    bucket = TokenBucket(capacity=10, now=START, rate=1.0)

    bucket.set_rate(4.0, START + timedelta(seconds=2))

    assert bucket.available(START + timedelta(seconds=3)) == 6


class Steady:
    """A clock that never steps (as `time.monotonic`), moved only by the test."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def emptied(capacity: int, steady: Steady) -> TokenBucket:
    """A bucket whose whole burst was just taken."""
    bucket = TokenBucket(capacity=capacity, now=START, rate=1.0, steady=steady)
    bucket.fill(START)
    for _ in range(capacity):
        bucket.take(START)
    return bucket


def test_a_wall_clock_stepped_forward_gives_no_second_burst() -> None:
    """An NTP step forward is no time passing: refilled by it, a client (or the replay) that
    just took its burst would take another at once."""
    steady = Steady()
    bucket = emptied(5, steady)
    stepped = START + timedelta(hours=1)

    assert bucket.available(stepped) == 0
    steady.seconds += 2
    assert bucket.available(stepped) == 2


def test_a_wall_clock_set_back_and_forward_again_credits_no_time_twice() -> None:
    """A clock swinging back and forth (two time sources at odds, a VM restored) would refill
    the bucket on each swing forward, over and over."""
    steady = Steady()
    bucket = emptied(5, steady)

    taken = 0
    for _ in range(3):
        bucket.available(START - timedelta(minutes=1))
        while bucket.available(START) >= 1:
            bucket.take(START)
            taken += 1

    assert taken == 0


@pytest.mark.parametrize("rate", [3.0, 7.0, 0.3, 1 / 3])
def test_the_time_a_token_is_promised_for_has_the_token(rate: float) -> None:
    # A third of a second is no whole number of microseconds: rounded down, the token was a
    # hair short at the promised time, and the next promise was "now" again, for ever (a
    # dispatcher stepping through a replay never settled).
    bucket = TokenBucket(capacity=1, now=START, rate=rate)
    promised = bucket.next_token_at(START)

    assert promised is not None and promised > START
    assert bucket.available(promised) == 1
