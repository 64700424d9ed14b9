"""SIAK's "misconfigured" answer is a fact of the region: a replica that got it, and no longer
dispatches the region, reports it lowered once another replica's delivery shows SIAK fixed."""

from __future__ import annotations

import asyncpg
import pytest

from services.queue_gate.bootstrap import build_gate, connected_adapters
from services.queue_gate.dispatching import RegionDispatcher
from services.queue_gate.ports import Lease
from services.siak_sim.state import RegionState
from shared.events import SiakStatus
from tests.conftest import Infrastructure
from tests.integration.queue_gate.conftest import Gate, gate_settings, nik, take_regions
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_a_delivery_on_another_replica_lowers_the_flag_this_replica_raised(
    gate: Gate, infrastructure: Infrastructure
) -> None:
    [region] = take_regions(1)
    gate.siak.set_condition(region, RegionState.NOT_FOUND)
    await gate.status.set(region, SiakStatus.DOWN)
    ticket = (await gate.submit(region, nik(700))).json()["ticket_id"]
    await gate.status.set(region, SiakStatus.UP)
    flag = f'queue_gate_siak_misconfigured{{region="{region}",status="404"}} 1.0'

    async def scraped() -> str:
        return (await gate.http.get(f"{gate.url}/metrics")).text

    async def flagged() -> bool:
        return flag in await scraped()

    await eventually(flagged, what="replica A's scrape showing SIAK's 404")
    # The region's dispatch moves to replica B: A's dispatcher leaves the paused region, B
    # takes the lease (so A cannot take it back), replay resumes on B, and SIAK is fixed.
    await pause(gate, region, paused=True)
    settings = gate_settings(infrastructure, gate.database_url, gate.siak_url)
    async with connected_adapters(settings) as adapters:
        replica_b = build_gate(settings, adapters=adapters)
        adapters.status_catch_up.assigned({})  # B reads no status topic: nothing to catch up

        async def lease_moved() -> Lease | None:
            return await adapters.leases.try_hold(region)

        lease = await eventually(lease_moved, what="replica A leaving the region's lease")
        try:
            gate.siak.set_condition(region, RegionState.UP)
            await pause(gate, region, paused=False)
            await due_now(gate.database_url, region)
            dispatcher = RegionDispatcher(region, replica_b.dispatch, lease)

            async def delivered_by_b() -> bool:
                await dispatcher.step()
                return gate.received_keys(region) == [ticket]

            await eventually(delivered_by_b, what="replica B delivering the held submission")
        finally:
            await lease.release()

    assert f'queue_gate_siak_misconfigured{{region="{region}"' not in await scraped()


async def pause(gate: Gate, region: str, *, paused: bool) -> None:
    response = await gate.admin(
        "PATCH", f"/regions/{region}", {"replay_paused": paused, "reason": "move the region"}
    )
    assert response.status_code == 200, response.text


async def due_now(database_url: str, region: str) -> None:
    """The held head is tried now, not after its back-off."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE submission SET next_attempt_at = now() WHERE region_code = $1"
            " AND next_attempt_at IS NOT NULL",
            region,
        )
    finally:
        await connection.close()
