"""Sign-in attempts limited per account name and per client address within a window."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

_MAX_KEYS = 10_000


class SignInThrottle:
    """At most `attempts` failed sign-ins per key within `window`; a success clears its key.

    Keys are the account name and the client's address, each counted on its own: guessing
    one account's password from many addresses, or many accounts' from one address, both stop.
    """

    def __init__(self, *, attempts: int, window: timedelta) -> None:
        if attempts < 1:
            raise ValueError("a sign-in throttle needs at least one attempt")
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}

    def retry_after(self, keys: list[str], now: datetime) -> timedelta | None:
        """How long until any of `keys` may try again; None when all may try now."""
        waits = [wait for key in keys if (wait := self._wait(key, now)) is not None]
        return max(waits, default=None)

    def failed(self, keys: list[str], now: datetime) -> None:
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > _MAX_KEYS:
            # Names made up by a guesser must not grow memory without end.
            for key in list(self._failures):
                if not self._recent(key, now):
                    del self._failures[key]

    def succeeded(self, keys: list[str]) -> None:
        for key in keys:
            self._failures.pop(key, None)

    def _wait(self, key: str, now: datetime) -> timedelta | None:
        recent = self._recent(key, now)
        if len(recent) < self.attempts:
            return None
        return recent[-self.attempts] + self.window - now

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] + self.window <= now:
            failures.popleft()
        return failures
