"""`POST /v1/submissions` over the app on fakes: what a portal is told of its ticket."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from services.queue_gate.entrypoints.dependencies import _runtime
from shared.events import SiakStatus
from tests.unit.queue_gate.fake_gate import API_KEY, running_gate
from tests.unit.queue_gate.fakes import FakePorts


def submission(serial: int) -> dict[str, Any]:
    return {
        "region_code": "35.78",
        "service_type": "akta_kelahiran",
        "applicant": {"nik": f"357801120590{serial:04d}", "name": "Warga Uji"},
        "details": {"child_name": "Bayi", "birth_place": "Surabaya"},
    }


async def test_queue_position_counts_the_submissions_waiting_before_it() -> None:
    ports = FakePorts()
    await ports.region_is("35.78", SiakStatus.DOWN)  # nothing leaves the line meanwhile
    async with running_gate(ports=ports) as gate:
        positions = []
        for serial in (1, 2, 3):
            response = await gate.http.post(
                "/v1/submissions",
                json=submission(serial),
                headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": f"pos-{serial}"},
            )
            assert response.status_code == 202, response.text
            positions.append(response.json()["queue_position"])
        ticket = response.json()["ticket_id"]
        read_back = (await gate.http.get(f"/v1/submissions/{ticket}")).json()

    assert positions == [0, 1, 2]  # the first, in an empty line, has none before it
    assert read_back["queue_position"] == 2


async def test_the_apps_dependency_overrides_reach_intake_as_every_other_route() -> None:
    # Intake's routes were put on the app's list ready-made, and kept their router's empty
    # overrides: an override of the runtime (a test's, a hook's) missed intake alone.
    async with running_gate() as gate:
        app = gate.http._transport.app  # type: ignore[attr-defined]

        def refused() -> None:
            raise HTTPException(status_code=418)

        app.dependency_overrides[_runtime] = refused
        ticket = await gate.http.get("/v1/submissions/tkt_x")
        region = await gate.http.get("/v1/regions/73.71")

    assert (ticket.status_code, region.status_code) == (418, 418)
