"""Gate announcements' contract: each turn of a gate told once, whichever replica sees it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_gate import Override
from shared.events import SiakStatus, StatusChanged
from shared.events.gate import GateCause, GateStateChanged
from tests.contract.conftest import Stores, take_regions
from tests.support.status_store import store_change

CLOSED, RECOVERING, OPEN = GateState.CLOSED, GateState.RECOVERING, GateState.OPEN
FORCE_OPEN, FORCE_CLOSED = Override.FORCE_OPEN, Override.FORCE_CLOSED


def sighting(region: str, seen: GateState, cause: GateCause = "siak_status") -> GateSighting:
    return GateSighting(
        region_code=region,
        seen=seen,
        siak_status=SiakStatus.UP if seen is not CLOSED else SiakStatus.DOWN,
        cause=cause,
        reason=None,
        at=datetime.now(UTC),
    )


def turns(events: Sequence[GateStateChanged]) -> list[tuple[str | None, str, str | None]]:
    return [(e.previous_gate_state, e.gate_state, e.cause) for e in events]


async def test_each_turn_of_a_gate_is_told_once_however_many_replicas_see_it(
    stores: Stores,
) -> None:
    (region,) = take_regions(1)
    replicas = [stores.replica() for _ in range(4)]
    told: list[GateStateChanged] = []
    sightings: list[tuple[GateState, GateCause]] = [
        (RECOVERING, "siak_status"),
        (CLOSED, "stale"),
        (RECOVERING, "siak_status"),
        (OPEN, "replay_at_full_rate"),
    ]

    for seen, cause in sightings:
        for answer in await asyncio.gather(
            *(r.announce([sighting(region, seen, cause)]) for r in replicas)
        ):
            told.extend(answer)

    assert turns(told) == [
        ("closed", "recovering", "siak_status"),  # a gate never told of counts as closed
        ("recovering", "closed", "stale"),
        ("closed", "recovering", "siak_status"),
        ("recovering", "open", "replay_at_full_rate"),
    ]


async def test_a_gate_seen_as_it_was_last_told_is_not_told_again(stores: Stores) -> None:
    here, there = take_regions(2)
    announcer = stores.replica()
    await announcer.announce([sighting(here, RECOVERING), sighting(there, RECOVERING)])

    again = await announcer.announce([sighting(here, RECOVERING), sighting(there, CLOSED)])

    assert [(e.region_code, e.gate_state) for e in again] == [(there, "closed")]


async def test_an_applied_status_tells_its_gate_in_the_same_step_and_an_ignored_one_does_not(
    stores: Stores,
) -> None:
    (region,) = take_regions(1)
    up = StatusChanged(
        region_code=region,
        status=SiakStatus.UP,
        previous_status=None,
        since=datetime.now(UTC),
        seq=2,
    )
    stale = up.model_copy(update={"seq": 1, "status": SiakStatus.DOWN})

    assert await store_change(stores.statuses, up, announce=sighting(region, RECOVERING))
    assert not await store_change(stores.statuses, stale, announce=sighting(region, CLOSED))

    announcer = stores.replica()
    assert await announcer.announce([sighting(region, RECOVERING)]) == []  # told with it
    closed = await announcer.announce([sighting(region, CLOSED)])
    assert turns(closed) == [("recovering", "closed", "siak_status")]  # not told before


async def test_turns_seen_in_one_announcement_are_told_in_order(stores: Stores) -> None:
    (region,) = take_regions(1)

    told = await stores.replica().announce(
        [
            sighting(region, RECOVERING),
            sighting(region, OPEN, "replay_at_full_rate"),
            sighting(region, OPEN, "replay_at_full_rate"),
            sighting(region, RECOVERING),  # open already: a gate opens only after recovering
        ]
    )

    assert turns(told) == [
        ("closed", "recovering", "siak_status"),
        ("recovering", "open", "replay_at_full_rate"),
    ]
    assert await stores.replica().announce([]) == []


async def test_an_applied_status_tells_the_gate_seen_under_the_override_operators_set(
    stores: Stores,
) -> None:
    auto, forced_open, forced_closed = take_regions(3)
    await stores.controls.change(forced_open, {"override": FORCE_OPEN}, reason="test", actor="ops")
    await stores.controls.change(
        forced_closed, {"override": FORCE_CLOSED}, reason="test", actor="ops"
    )

    def under_each_override(region: str) -> dict[Override, GateSighting]:
        return {
            Override.AUTO: sighting(region, CLOSED),
            FORCE_OPEN: sighting(region, RECOVERING, "operator_override"),
            FORCE_CLOSED: sighting(region, CLOSED, "operator_override"),
        }

    def down(region: str, seq: int) -> StatusChanged:
        return StatusChanged(
            region_code=region,
            status=SiakStatus.DOWN,
            previous_status=None,
            since=datetime.now(UTC),
            seq=seq,
        )

    apply = stores.statuses.apply_controlled
    controlled = [
        await apply(down(region, 1), announce=under_each_override(region))
        for region in (auto, forced_open, forced_closed)
    ]
    ignored = await apply(down(forced_open, 1), announce=under_each_override(forced_open))

    assert controlled == [Override.AUTO, FORCE_OPEN, FORCE_CLOSED]
    assert ignored is None
    # Only the forced-open region was told (recovering, the operator's doing); the others
    # were seen closed, as a gate never told of counts: no news.
    told = await stores.replica().announce(
        [sighting(region, RECOVERING) for region in (auto, forced_open, forced_closed)]
    )
    assert [(e.region_code, e.previous_gate_state) for e in told] == [
        (auto, "closed"),
        (forced_closed, "closed"),
    ]
