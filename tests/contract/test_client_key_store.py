"""Portals' intake keys: the contract the fake and the PostgreSQL store both keep."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from services.queue_gate.domain.client_key import ClientKey, key_digest, new_client_key
from tests.contract.conftest import Stores


def a_key(name: str, regions: frozenset[str] | None) -> ClientKey:
    key_id, secret = new_client_key()
    return ClientKey(
        key_id=key_id,
        name=name,
        rate_per_s=2.5,
        burst=5,
        regions=regions,
        digest=key_digest(secret),
        created_at=datetime.now(UTC),
        created_by="ops-a",
    )


async def test_a_key_is_kept_as_given_until_revoked_once_and_every_change_is_audited(
    stores: Stores,
) -> None:
    keys = stores.client_keys
    scoped = a_key("Portal Gowa", frozenset({"73.06", "73.71"}))
    everywhere = a_key("Portal nasional", None)

    await keys.add(scoped, reason="onboarding")
    await keys.add(everywhere, reason="onboarding too")
    active_before = {key.key_id: key for key in await keys.active()}
    revoked = await keys.revoke(scoped.key_id, actor="ops-b", reason="leaked")
    again = await keys.revoke(scoped.key_id, actor="ops-c", reason="twice")
    active_after = {key.key_id for key in await keys.active()}
    kept = {key.key_id: key for key in await keys.all()}

    assert active_before[scoped.key_id] == scoped
    assert active_before[everywhere.key_id] == everywhere
    assert revoked is not None and revoked.revoked_at is not None
    assert revoked == dataclasses.replace(scoped, revoked_at=revoked.revoked_at, revoked_by="ops-b")
    assert again is None
    assert scoped.key_id not in active_after and everywhere.key_id in active_after
    assert kept[scoped.key_id] == revoked
    changes = await keys.changes(scoped.key_id)
    assert [(c.action, c.changed_by, c.reason) for c in changes] == [
        ("created", "ops-a", "onboarding"),
        ("revoked", "ops-b", "leaked"),
    ]
    assert changes[0].changed_at <= changes[1].changed_at
    everyones = [c.key_id for c in await keys.changes()]
    assert {scoped.key_id, everywhere.key_id} <= set(everyones)


async def test_revoking_a_key_that_never_was_changes_nothing(stores: Stores) -> None:
    never_id, _ = new_client_key()

    assert await stores.client_keys.revoke(never_id, actor="ops-a", reason="typo") is None
    assert await stores.client_keys.changes(never_id) == []
