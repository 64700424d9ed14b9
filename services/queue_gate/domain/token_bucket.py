"""A token bucket: at most `capacity` at once, refilled at `rate` tokens per second."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

Steady = Callable[[], float]
"""Seconds on a clock that never steps (`time.monotonic`)."""


class Stopwatch:
    """Seconds passed, read on `steady` when given, else on the caller's readings `now`, whose
    clock must then never step (tests' fake clocks). Only differences of readings mean anything."""

    def __init__(self, now: datetime, steady: Steady | None = None) -> None:
        self._steady = steady
        self._origin = now

    def reading(self, now: datetime) -> float:
        # From the start, not the epoch: a difference of two small floats is exact to far
        # below a microsecond, one of two timestamps is not.
        return self._steady() if self._steady is not None else (now - self._origin).total_seconds()


class NoAllowanceError(RuntimeError):
    """A token was taken when none was available."""


class TokenBucket:
    """Time passing is measured on `steady` when given: a wall clock stepped forward (NTP, a
    restored VM) would refill the bucket at once, and one swinging back and forth would do so
    on every swing, letting a client or the replay past its burst. Without `steady`, on the
    readings `now` of the caller, whose clock must then never step (tests' fake clocks).
    `now` also places `next_token_at`'s answer on the caller's clock."""

    def __init__(
        self, *, capacity: int, now: datetime, rate: float = 0.0, steady: Steady | None = None
    ) -> None:
        if capacity < 1 or rate < 0:
            raise ValueError("a token bucket needs capacity >= 1 and a rate >= 0")
        self.capacity = capacity
        self._rate = rate
        self._tokens = 0.0
        self._stopwatch = Stopwatch(now, steady)
        self._refilled_at = self._stopwatch.reading(now)

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float, now: datetime) -> None:
        if rate < 0:
            raise ValueError("a token bucket's rate must be >= 0")
        self._refill(now)
        self._rate = rate

    def fill(self, now: datetime) -> None:
        self._refill(now)
        self._tokens = float(self.capacity)

    def empty(self, now: datetime) -> None:
        self._refill(now)
        self._tokens = 0.0

    def available(self, now: datetime) -> int:
        self._refill(now)
        return math.floor(self._tokens)

    def take(self, now: datetime) -> None:
        if self.available(now) < 1:
            raise NoAllowanceError("no token is available yet")
        self._tokens -= 1

    def next_token_at(self, now: datetime) -> datetime | None:
        """When a whole token will be available; None when the bucket does not refill."""
        if self.available(now) >= 1:
            return now
        if self._rate == 0:
            return None
        # Rounded up to the clock's microsecond: rounded down, the token was still a hair
        # short at the time given, and a caller waiting for it was told to wait 0 s, again.
        wait_us = math.ceil((1 - self._tokens) / self._rate * 1_000_000)
        return now + timedelta(microseconds=wait_us)

    def _refill(self, now: datetime) -> None:
        # A reading earlier than the last (a clock set back, or read before an await) takes
        # no tokens away, and refilling goes on from it: waiting for the wall clock to catch
        # up would stall the bucket for as long as the step.
        reading = self._stopwatch.reading(now)
        elapsed = max(0.0, reading - self._refilled_at)
        self._tokens = min(float(self.capacity), self._tokens + elapsed * self._rate)
        self._refilled_at = reading
