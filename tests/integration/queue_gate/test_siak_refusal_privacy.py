"""A refusal from SIAK that echoes the applicant's NIK and name, quoted and not: the submission
is parked with a code saying only the status, and neither reaches an answer, an event or a log."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from services.siak_sim.state import RegionState
from shared import topics
from shared.events import SiakStatus
from tests.integration.queue_gate.conftest import Gate, nik, take_regions
from tests.support.kafka import TopicReader
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

NAME = "Siti Aminah"


async def test_a_refusal_echoing_the_nik_leaves_it_out_of_answers_events_and_logs(
    gate: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    [region] = take_regions(1)
    applicant = nik(401)
    gate.siak.set_condition(region, RegionState.INVALID)
    async with TopicReader(gate.status.bootstrap_servers, topics.GATE_EVENTS) as reader:
        await gate.status.set(region, SiakStatus.UP)
        accepted = await gate.submit(region, applicant, name=NAME)
        ticket = accepted.json()["ticket_id"]

        async def parked() -> dict[str, Any] | None:
            view = await gate.ticket(ticket)
            return view if view["state"] == "parked" else None

        view = await eventually(parked, what="the refused submission parked")

        async def parked_event() -> list[dict[str, Any]] | None:
            mine = [
                event
                for event in (json.loads(record.value) for record in await reader.poll())
                if event["data"].get("ticket_id") == ticket
            ]
            return mine if any(e["data"]["state"] == "parked" for e in mine) else None

        events = await eventually(parked_event, what="the parking published")
    listed = await gate.admin("GET", f"/parked?region={region}", {})

    assert view["parked_reason"] == "siak_refused_422"
    [published] = [e["data"] for e in events if e["data"]["state"] == "parked"]
    assert published["parked_reason"] == view["parked_reason"]
    assert [t["ticket_id"] for t in listed.json()] == [ticket]
    seen = {
        "GET /v1/submissions/{id}": json.dumps(view),
        "GET /v1/admin/parked": listed.text,
        "queue-gate.events.v1": json.dumps(events),
        "logs": caplog.text,
    }
    for where, text in seen.items():
        for personal in (applicant, applicant[6:12], "Siti", "Aminah"):
            assert personal not in text, f"{personal!r} reached {where}"
