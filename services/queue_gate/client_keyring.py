"""The portals' intake keys as this replica knows them, held in memory for every request.

Checking a key is a dictionary lookup and a constant-time comparison, no PostgreSQL round
trip: the ring reads every active key again every `refresh_every`, and a replica that
creates or revokes a key reads them at once. A key revoked on another replica therefore
stops working here within `refresh_every`; should reading fail, the ring stops trusting
what it holds once it is twice `refresh_every` old and answers 503 for client keys (the
local `GATE_API_KEY` needs no reading and goes on working), so a revoked key never outlives
its revocation by more than that, whatever happens to the database.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.queue_gate.domain.client_key import (
    LOCAL_CLIENT_ID,
    ClientKey,
    key_id_of,
    matches,
)
from services.queue_gate.domain.token_bucket import Steady, TokenBucket
from services.queue_gate.ports import ClientKeyStore

log = logging.getLogger(__name__)


class ClientKeysUnverifiableError(Exception):
    """The ring has not read the keys for too long to trust them."""


@dataclass(frozen=True)
class IntakeClient:
    """Who is submitting: recorded on each submission (`client_id`), never personal data."""

    client_id: str
    name: str
    regions: frozenset[str] | None = None

    def may_submit_for(self, region_code: str) -> bool:
        return self.regions is None or region_code in self.regions


LOCAL_CLIENT = IntakeClient(LOCAL_CLIENT_ID, "GATE_API_KEY")


class ClientKeyring:
    def __init__(
        self,
        store: ClientKeyStore,
        *,
        local_key: str | None,
        clock: Callable[[], datetime],
        steady: Steady | None = None,
        refresh_every: timedelta = timedelta(seconds=5),
    ) -> None:
        self.store = store
        self.clock = clock
        self.steady = steady
        """The clock the clients' tokens refill on (`TokenBucket`); None: `clock`."""
        self.refresh_every = refresh_every
        self._local_key = local_key
        self._keys: dict[str, ClientKey] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._read_at: datetime | None = None
        self.refreshes = 0

    @property
    def trusted_for(self) -> timedelta:
        """How old the keys read may get before they are no longer trusted."""
        return 2 * self.refresh_every

    async def refresh(self) -> None:
        """Read every active key again."""
        read_at = self.clock()
        keys = {key.key_id: key for key in await self.store.active()}
        self._buckets = {
            key_id: bucket
            for key_id, bucket in self._buckets.items()
            if key_id in keys and _same_limits(self._keys.get(key_id), keys[key_id])
        }
        self._keys, self._read_at = keys, read_at
        self.refreshes += 1

    async def run(self) -> None:
        """Refresh every `refresh_every` until cancelled; raise when reading fails."""
        while True:
            await self.refresh()
            await asyncio.sleep(self.refresh_every.total_seconds())

    def identify(self, presented: str) -> IntakeClient | None:
        """The client whose key `presented` is; None for no key of any client.

        Raises ClientKeysUnverifiableError for a client key while the keys are too old."""
        if self._local_key is not None and secrets.compare_digest(
            presented.encode(), self._local_key.encode()
        ):
            return LOCAL_CLIENT
        key_id = key_id_of(presented)
        if key_id is None:
            return None
        now = self.clock()
        if self._read_at is None or now - self._read_at > self.trusted_for:
            raise ClientKeysUnverifiableError()
        key = self._keys.get(key_id)
        if key is None or not matches(presented, key):
            return None
        return IntakeClient(key.key_id, key.name, key.regions)

    def wait_before_next(self, client: IntakeClient) -> timedelta | None:
        """Takes one of the client's submissions from its rate; None when it may go now,
        else how long until it may."""
        key = self._keys.get(client.client_id)
        if key is None:  # the local key: no limit but the backlog cap
            return None
        now = self.clock()
        bucket = self._buckets.get(key.key_id)
        if bucket is None:
            bucket = TokenBucket(
                capacity=key.burst, rate=key.rate_per_s, now=now, steady=self.steady
            )
            bucket.fill(now)
            self._buckets[key.key_id] = bucket
        if bucket.available(now) >= 1:
            bucket.take(now)
            return None
        # A key's rate is above zero (`new_client_key_for`): a token always comes.
        next_at = bucket.next_token_at(now) or now + timedelta(days=1)
        return next_at - now


def _same_limits(before: ClientKey | None, after: ClientKey) -> bool:
    return before is not None and (before.rate_per_s, before.burst) == (
        after.rate_per_s,
        after.burst,
    )
