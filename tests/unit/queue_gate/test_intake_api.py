"""`POST /v1/submissions` over the app on fakes: what a portal is told of its ticket."""

from __future__ import annotations

from typing import Any

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
