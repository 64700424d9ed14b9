"""Delivery to SIAK: in acceptance order per region, once in effect, gated by the status."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.siak_sim.state import RegionState
from shared.events import SiakStatus
from tests.integration.queue_gate.conftest import Gate, acceptance_order, nik, take_regions
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def submit_many(gate: Gate, regions: list[str], count: int) -> list[str]:
    """`count` submissions spread over `regions`, eight at a time; their ticket ids."""
    slots = asyncio.Semaphore(8)

    async def one(i: int) -> str:
        async with slots:
            response = await gate.submit(regions[i % len(regions)], nik(i + 1))
        assert response.status_code == 202, response.text
        ticket: str = response.json()["ticket_id"]
        return ticket

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def test_makassar_story_in_miniature(gate: Gate) -> None:
    down, open_a, open_b = take_regions(3)
    for region in (open_a, open_b):
        await gate.status.set(region, SiakStatus.UP)
    await gate.status.set(down, SiakStatus.DOWN, reason="http_503")
    gate.siak.set_condition(down, RegionState.DOWN)

    async def gates_known() -> bool:
        views = [
            (await gate.http.get(f"{gate.url}/v1/regions/{r}")).json()
            for r in (down, open_a, open_b)
        ]
        # A region coming back is "recovering" until its canaries pass: not closed either way.
        return [v["siak_status"] for v in views] == ["DOWN", "UP", "UP"] and [
            v["gate_state"] == "closed" for v in views
        ] == [True, False, False]

    await eventually(gates_known, what="one region closed, two open")
    await submit_many(gate, [down, open_a, open_b], 200)
    expected = {
        region: await acceptance_order(gate.database_url, region)
        for region in (down, open_a, open_b)
    }

    async def open_regions_delivered() -> bool:
        return all(len(gate.received_keys(r)) == len(expected[r]) for r in (open_a, open_b))

    await eventually(open_regions_delivered, what="open regions delivered at once")
    assert gate.received_keys(down) == []
    tickets = [await gate.ticket(t) for t in expected[down][:3]]
    assert [t["state"] for t in tickets] == ["deferred"] * 3
    assert [t["queue_position"] for t in tickets] == [0, 1, 2]

    gate.siak.set_condition(down, RegionState.UP)
    await gate.status.set(down, SiakStatus.UP)

    async def all_delivered() -> bool:
        return len(gate.received_keys(down)) == len(expected[down])

    await eventually(all_delivered, what="the recovered region's backlog delivered")
    for region in (down, open_a, open_b):
        assert gate.received_keys(region) == expected[region]  # acceptance order, once each
        assert gate.siak.duplicates(region) == 0

    async def last_delivered() -> bool:
        # SIAK records the submission before the gate hears its answer and marks the ticket.
        last = await gate.ticket(expected[down][-1])
        return bool(last["state"] == "delivered" and last["queue_position"] is None)

    await eventually(last_delivered, what="the last ticket marked delivered")


async def test_refused_submission_is_parked_and_holds_back_only_its_applicant(
    gate: Gate,
) -> None:
    [region] = take_regions(1)
    await gate.status.set(region, SiakStatus.DOWN)
    applicant_a, applicant_b = nik(11), nik(12)
    a1 = (await gate.submit(region, applicant_a)).json()["ticket_id"]
    b1 = (await gate.submit(region, applicant_b)).json()["ticket_id"]
    a2 = (await gate.submit(region, applicant_a)).json()["ticket_id"]
    b2 = (await gate.submit(region, applicant_b)).json()["ticket_id"]
    gate.siak.reject_keys([a1], "data kependudukan tidak cocok")
    await gate.status.set(region, SiakStatus.UP)

    async def others_delivered_and_refusal_parked() -> bool:
        parked = await gate.ticket(a1)
        return gate.received_keys(region) == [b1, b2] and parked["state"] == "parked"

    await eventually(
        others_delivered_and_refusal_parked,
        what="the other applicant's submissions delivered and the refused one parked",
    )
    parked = await gate.ticket(a1)
    held = await gate.ticket(a2)
    assert parked["state"] == "parked" and parked["parked_reason"] == "siak_refused_422"
    assert held["state"] in ("queued", "deferred") and held["queue_position"] is None

    listed = await gate.admin("GET", f"/parked?region={region}", {})
    assert [t["ticket_id"] for t in listed.json()] == [a1]
    cancelled = await gate.admin("POST", f"/submissions/{a1}/cancel", {"reason": "ditolak SIAK"})
    assert cancelled.json()["state"] == "cancelled"

    async def held_one_delivered() -> bool:
        return gate.received_keys(region) == [b1, b2, a2]

    await eventually(held_one_delivered, what="the held submission delivered after cancel")


async def test_transient_failures_keep_the_head_of_the_line(gate: Gate) -> None:
    [region] = take_regions(1)
    await gate.status.set(region, SiakStatus.UP)
    gate.siak.set_condition(region, RegionState.ERROR)  # health says nothing: 500 on submit
    first = (await gate.submit(region, nik(21))).json()["ticket_id"]
    second = (await gate.submit(region, nik(22))).json()["ticket_id"]

    async def retried() -> bool:
        connection = await asyncpg.connect(gate.database_url)
        try:
            attempts = await connection.fetchval(
                "SELECT attempts FROM submission WHERE ticket_id = $1", first
            )
        finally:
            await connection.close()
        return bool(attempts >= 2)

    await eventually(retried, what="the first submission retried")
    gate.siak.set_condition(region, RegionState.UP)

    async def both_delivered() -> bool:
        return gate.received_keys(region) == [first, second]

    await eventually(both_delivered, within=60, what="delivered in order after the failures")


async def test_operator_overrides_open_and_close_the_gate(gate: Gate) -> None:
    down, up = take_regions(2)
    await gate.status.set(down, SiakStatus.DOWN)
    await gate.status.set(up, SiakStatus.UP)
    closed_by_hand = await gate.admin(
        "PATCH", f"/regions/{up}", {"override": "force_closed", "reason": "migrasi data lokal"}
    )
    assert closed_by_hand.json()["gate_state"] == "closed"
    held = (await gate.submit(up, nik(31))).json()
    assert held["state"] == "deferred"

    opened_by_hand = await gate.admin(
        "PATCH", f"/regions/{down}", {"override": "force_open", "reason": "SIAK pulih, uji"}
    )
    assert opened_by_hand.status_code == 200
    sent = (await gate.submit(down, nik(32))).json()["ticket_id"]

    async def forced_open_delivers() -> bool:
        return gate.received_keys(down) == [sent]

    await eventually(forced_open_delivers, what="delivery through a forced-open gate")
    assert gate.received_keys(up) == []
    await gate.admin("PATCH", f"/regions/{up}", {"override": "auto", "reason": "selesai"})

    async def auto_delivers() -> bool:
        return gate.received_keys(up) == [held["ticket_id"]]

    await eventually(auto_delivers, what="delivery once back to automatic")


async def test_region_going_down_mid_replay_stops_within_one_submission(gate: Gate) -> None:
    [region] = take_regions(1)
    await gate.status.set(region, SiakStatus.DOWN)
    tickets = [(await gate.submit(region, nik(500 + i))).json()["ticket_id"] for i in range(40)]
    await gate.admin("PATCH", f"/regions/{region}", {"max_rate": 4, "reason": "langkah pelan"})
    await gate.status.set(region, SiakStatus.UP)

    async def replaying() -> bool:
        return len(gate.received_keys(region)) >= 3

    await eventually(replaying, what="replay under way")
    # Only the status says DOWN: SIAK itself would still accept, so any further delivery
    # would be the gate's fault.
    await gate.status.set(region, SiakStatus.DOWN)

    async def seen_down() -> int | None:
        view = (await gate.http.get(f"{gate.url}/v1/regions/{region}")).json()
        return len(gate.received_keys(region)) if view["siak_status"] == "DOWN" else None

    async def dispatcher_gone() -> bool:
        # A dispatcher that finds its gate closed gives its slot back.
        metrics = (await gate.http.get(f"{gate.url}/metrics")).text
        return "queue_gate_active_dispatchers 0.0" in metrics

    received_at_down = await eventually(seen_down, what="the gate saw the region go down")
    await eventually(dispatcher_gone, what="replay stopped")
    received = len(gate.received_keys(region))
    assert received - received_at_down <= 1  # at most the one in flight
    assert received < len(tickets)
    assert gate.received_keys(region) == tickets[:received]  # in order, nothing skipped
