"""SIAK answering 404 (a wrong base URL) to a running gate: the backlog stays waiting in order,
nothing is parked, and the alert metric names the region and the status."""

from __future__ import annotations

import asyncpg
import pytest

from services.siak_sim.state import RegionState
from shared.events import SiakStatus
from tests.integration.queue_gate.conftest import Gate, nik, take_regions
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_a_misconfigured_siak_holds_the_backlog_and_raises_the_alert(gate: Gate) -> None:
    [region] = take_regions(1)
    gate.siak.set_condition(region, RegionState.NOT_FOUND)
    await gate.status.set(region, SiakStatus.DOWN)
    tickets = [(await gate.submit(region, nik(600 + i))).json()["ticket_id"] for i in range(3)]
    await gate.status.set(region, SiakStatus.UP)
    alert = f'queue_gate_siak_misconfigured{{region="{region}",status="404"}} 1.0'

    async def alerted() -> bool:
        return alert in (await gate.http.get(f"{gate.url}/metrics")).text

    async def back_in_line() -> list[asyncpg.Record] | None:
        # The alert and the head back in line (with the rest of the stretch released) are
        # written one after the other: wait for that too, not only the alert.
        connection = await asyncpg.connect(gate.database_url)
        try:
            rows = await connection.fetch(
                "SELECT ticket_id, state, attempts, last_error FROM submission"
                " WHERE region_code = $1 ORDER BY seq",
                region,
            )
        finally:
            await connection.close()
        settled = rows and all(row["state"] != "dispatching" for row in rows)
        return list(rows) if settled and rows[0]["last_error"] is not None else None

    await eventually(alerted, what="the misconfiguration alert")
    rows = await eventually(back_in_line, what="the head back in line with its error")
    views = [await gate.ticket(t) for t in tickets]

    assert [row["ticket_id"] for row in rows] == tickets
    assert all(row["state"] in ("queued", "deferred") for row in rows)
    assert [row["attempts"] for row in rows] == [1, 0, 0]
    assert rows[0]["last_error"] == "siak_misconfigured_http_404"
    assert [v["parked_reason"] for v in views] == [None, None, None]
    assert gate.received_keys(region) == []
