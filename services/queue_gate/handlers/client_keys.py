"""Creating, listing and revoking portals' intake keys: one place for the API and the command."""

from __future__ import annotations

import math
from collections.abc import Collection, Container
from datetime import datetime

from services.queue_gate.domain.client_key import ClientKey, key_digest, new_client_key
from services.queue_gate.ports import ClientKeyStore


class UnknownRegionsError(ValueError):
    def __init__(self, regions: Collection[str]) -> None:
        super().__init__("regions: not in the registry: " + ", ".join(sorted(regions)))


async def create_client_key(
    store: ClientKeyStore,
    *,
    name: str,
    rate_per_s: float,
    burst: int | None,
    regions: Collection[str] | None,
    known_regions: Container[str],
    actor: str,
    reason: str,
    now: datetime,
) -> tuple[ClientKey, str]:
    """A new key, stored (its digest) and audited; the key itself is returned only here."""
    if rate_per_s <= 0:
        raise ValueError("rate_per_s: must be above 0")
    if burst is not None and burst < 1:
        raise ValueError("burst: must be at least 1")
    unknown = {code for code in regions or () if code not in known_regions}
    if unknown:
        raise UnknownRegionsError(unknown)
    key_id, secret = new_client_key()
    key = ClientKey(
        key_id=key_id,
        name=name,
        rate_per_s=rate_per_s,
        # A second's worth by default: a portal may send its submissions in small bursts.
        burst=burst if burst is not None else max(1, math.ceil(rate_per_s)),
        regions=frozenset(regions) if regions is not None else None,
        digest=key_digest(secret),
        created_at=now,
        created_by=actor,
    )
    await store.add(key, reason=reason)
    return key, secret


async def revoke_client_key(
    store: ClientKeyStore, key_id: str, *, actor: str, reason: str
) -> ClientKey | None:
    """The key as revoked; None when no active key has that id."""
    return await store.revoke(key_id, actor=actor, reason=reason)
