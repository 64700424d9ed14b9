"""Operators' controls and dispatch leases: the contract both implementations keep."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from services.queue_gate.domain.region_gate import IntakeMode, Override, RegionControl
from tests.contract.conftest import Stores, take_regions


async def test_a_control_is_kept_with_who_set_it_and_a_region_never_set_is_automatic(
    stores: Stores,
) -> None:
    controls = stores.controls
    region, other, untouched = take_regions(3)
    before = datetime.now(UTC)
    closed = {
        "override": Override.FORCE_CLOSED,
        "intake_mode": IntakeMode.REJECT,
        "replay_paused": True,
        "max_rate": 2.5,
    }

    await controls.change(region, {}, reason="first", actor="ops-a")
    await controls.change(region, closed, reason="SIAK migration", actor="ops-b")
    await controls.change(other, {"max_rate": 1.0}, reason="slower", actor="ops-a")

    kept = await controls.get(region)
    assert kept.changed_at is not None and kept.changed_at >= before
    assert kept == RegionControl(
        override=Override.FORCE_CLOSED,
        intake_mode=IntakeMode.REJECT,
        replay_paused=True,
        max_rate=2.5,
        reason="SIAK migration",
        changed_by="ops-b",
        changed_at=kept.changed_at,
    )
    assert await controls.get(untouched) == RegionControl()
    assert set(await controls.all([region, untouched])) == {region}
    assert {region, other} <= set(await controls.all())


async def test_changes_of_different_fields_at_once_are_all_kept(stores: Stores) -> None:
    (region,) = take_regions(1)
    fields: list[dict[str, object]] = [
        {"override": Override.FORCE_CLOSED},
        {"max_rate": 5.0},
        {"replay_paused": True},
        {"intake_mode": IntakeMode.REJECT},
    ]

    await asyncio.gather(
        *(
            stores.controls.change(region, given, reason="at once", actor=f"ops-{n}")
            for n, given in enumerate(fields)
        )
    )

    kept = await stores.controls.get(region)
    assert (kept.override, kept.max_rate, kept.replay_paused, kept.intake_mode) == (
        Override.FORCE_CLOSED,
        5.0,
        True,
        IntakeMode.REJECT,
    )


async def test_a_regions_lease_is_held_by_one_dispatcher_at_a_time(stores: Stores) -> None:
    leases = stores.leases
    region, other = take_regions(2)

    first = await leases.try_hold(region)
    rival = await leases.try_hold(region)
    elsewhere = await leases.try_hold(other)

    assert first is not None and first.is_held()
    assert rival is None
    assert elsewhere is not None and elsewhere.is_held()
    await first.release()
    assert not first.is_held()
    after = await leases.try_hold(region)
    assert after is not None and after.is_held()
    for lease in (after, elsewhere):
        await lease.release()
