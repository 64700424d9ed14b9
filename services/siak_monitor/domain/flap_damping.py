"""Flap damping: a region that keeps falling over needs a longer run of successes to count as UP."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class FlapDamping:
    """Counts recent flaps (DOWN again within `window` of recovering) and doubles the success
    run a region needs per recent flap, up to `max_success_run`.

    A flap stops counting `window` after it happened, so a region that stays up (or stays
    down) long enough is back to the plain `success_run`.
    """

    def __init__(self, *, success_run: int, max_success_run: int, window: timedelta) -> None:
        if not 1 <= success_run <= max_success_run:
            raise ValueError("need 1 <= success_run <= max_success_run")
        if window <= timedelta(0):
            raise ValueError("the flap window must be positive")
        self.success_run = success_run
        self.max_success_run = max_success_run
        self.window = window
        # Flaps beyond the count that reaches the bound change nothing, and the oldest ones
        # decay first, so only the most recent few need remembering; made at the first flap,
        # since most regions never flap.
        self._flaps: deque[datetime] | None = None
        self._recovered_at: datetime | None = None

    def note_recovery(self, at: datetime) -> None:
        """The region went from DOWN back to answering."""
        self._recovered_at = at

    def note_outage(self, at: datetime) -> None:
        """The region went DOWN after answering; a flap when it had recovered recently."""
        if self._recovered_at is not None and at - self._recovered_at < self.window:
            if self._flaps is None:
                self._flaps = deque(
                    maxlen=_doublings_to_reach(self.success_run, self.max_success_run)
                )
            self._flaps.append(at)
        self._recovered_at = None

    def recent_flaps(self, at: datetime) -> int:
        return sum(1 for flapped_at in self._flaps or () if at - flapped_at < self.window)

    def required_success_run(self, at: datetime) -> int:
        required = self.success_run
        for _ in range(self.recent_flaps(at)):
            required *= 2
        return min(required, self.max_success_run)


def _doublings_to_reach(start: int, bound: int) -> int:
    doublings = 0
    while start < bound:
        start *= 2
        doublings += 1
    return doublings
