"""Failed sign-ins limited so that one client's failures never hold back another's password."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

_MAX_KEYS = 10_000
_REMEMBERED = timedelta(days=30)


class SignInThrottle:
    """Failed sign-ins counted per account name from one address, and per address over names.

    An account tried from one address waits after `attempts` failures within `window`: guessing
    one password stops. An address that failed on `names_per_address` different names within
    the window waits too (guessing many accounts' passwords stops), except for the names that
    signed in from it before: behind an ingress controller or a NAT every browser shares one
    address, and a stranger's failures there must not keep the operators out.
    """

    def __init__(
        self,
        *,
        attempts: int,
        window: timedelta,
        names_per_address: int,
        remembered: timedelta = _REMEMBERED,
    ) -> None:
        if attempts < 1 or names_per_address < 1:
            raise ValueError("a sign-in throttle needs at least one attempt and one name")
        self.attempts = attempts
        self.window = window
        self.names_per_address = names_per_address
        self.remembered = remembered
        self._by_account: dict[tuple[str, str], deque[datetime]] = {}
        self._by_address: dict[str, dict[str, datetime]] = {}
        """Per address, each name's latest failure."""
        self._signed_in: dict[tuple[str, str], datetime] = {}
        self._forget_above = _MAX_KEYS

    def retry_after(self, name: str, address: str, now: datetime) -> timedelta | None:
        """How long until `name` may be tried from `address` again; None when it may now."""
        waits = [self._account_wait((name, address), now), self._address_wait(name, address, now)]
        return max((wait for wait in waits if wait is not None), default=None)

    def failed(self, name: str, address: str, now: datetime) -> None:
        self._by_account.setdefault((name, address), deque()).append(now)
        self._by_address.setdefault(address, {})[name] = now
        if len(self._by_account) + len(self._by_address) > self._forget_above:
            self._forget_old(now)

    def succeeded(self, name: str, address: str, now: datetime) -> None:
        self._by_account.pop((name, address), None)
        self._by_address.get(address, {}).pop(name, None)
        self._signed_in[(name, address)] = now
        if len(self._signed_in) > _MAX_KEYS:
            for key, at in sorted(self._signed_in.items(), key=lambda item: item[1]):
                if len(self._signed_in) <= _MAX_KEYS // 2 and at + self.remembered > now:
                    break
                del self._signed_in[key]

    def tracked(self) -> int:
        """How many accounts, addresses and sign-ins are kept in memory."""
        return len(self._by_account) + len(self._by_address) + len(self._signed_in)

    def _account_wait(self, key: tuple[str, str], now: datetime) -> timedelta | None:
        recent = self._recent(key, now)
        if len(recent) < self.attempts:
            return None
        return recent[-self.attempts] + self.window - now

    def _address_wait(self, name: str, address: str, now: datetime) -> timedelta | None:
        signed_in = self._signed_in.get((name, address))
        if signed_in is not None and signed_in + self.remembered > now:
            return None
        latest = sorted(self._recent_names(address, now).values())
        if len(latest) < self.names_per_address:
            return None
        return latest[-self.names_per_address] + self.window - now

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        failures = self._by_account.get(key, deque())
        while failures and failures[0] + self.window <= now:
            failures.popleft()
        return failures

    def _recent_names(self, address: str, now: datetime) -> dict[str, datetime]:
        names = self._by_address.get(address, {})
        for name in [name for name, at in names.items() if at + self.window <= now]:
            del names[name]
        return names

    def _forget_old(self, now: datetime) -> None:
        # Names and addresses made up by a guesser must not grow memory without end.
        for key in list(self._by_account):
            if not self._recent(key, now):
                del self._by_account[key]
        for address in list(self._by_address):
            if not self._recent_names(address, now):
                del self._by_address[address]
        # Looked over again once as many more are kept, not on every failure.
        self._forget_above = max(_MAX_KEYS, 2 * (len(self._by_account) + len(self._by_address)))
