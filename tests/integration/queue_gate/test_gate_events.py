"""`queue-gate.events.v1`: what subscribers learn of gates and submissions, no personal data."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.queue_gate.bootstrap import create_app
from shared import topics
from shared.events import CLOUDEVENTS_CONTENT_TYPE, SiakStatus
from shared.events.gate import GateStateChanged, SubmissionStateChanged
from tests.conftest import Infrastructure
from tests.integration.queue_gate.conftest import (
    API_KEY,
    Gate,
    StatusFeed,
    gate_settings,
    nik,
    submission_body,
    take_regions,
)
from tests.support.cloudevents_sdk import read_with_python_sdk
from tests.support.event_samples import write_records
from tests.support.kafka import TopicReader
from tests.support.polling import eventually
from tests.support.schemas import data_errors, schema_errors
from tests.support.sdk_suites import java_sdk_reads, javascript_sdk_reads
from tests.support.servers import serving
from tests.support.status_consumers import status_group

pytestmark = pytest.mark.integration


async def test_gate_turns_and_submission_moves_are_published_without_personal_data(
    gate: Gate, tmp_path: Path
) -> None:
    [region] = take_regions(1)
    async with TopicReader(gate.status.bootstrap_servers, topics.GATE_EVENTS) as reader:
        await gate.status.set(region, SiakStatus.UP)
        await gate.status.set(region, SiakStatus.DOWN, reason="http_503")

        async def closed() -> bool:
            view = (await gate.http.get(f"{gate.url}/v1/regions/{region}")).json()
            return bool(view["siak_status"] == "DOWN")  # not merely UNKNOWN: seen going down

        await eventually(closed, what="gate closed")
        accepted = await gate.submit(region, nik(301), name="Andi Wijaya")
        ticket = accepted.json()["ticket_id"]
        await gate.status.set(region, SiakStatus.UP)

        async def region_events() -> list[dict[str, Any]] | None:
            mine = [
                json.loads(record.value)
                for record in await reader.poll()
                if record.key == region.encode()
            ]
            delivered = any(e["data"].get("state") == "delivered" for e in mine)
            return mine if delivered else None

        events = await eventually(region_events, what="the ticket's delivery published")
    gate_turns = [e["data"]["gate_state"] for e in events if "gate_state" in e["data"]]
    ticket_moves = [e["data"]["state"] for e in events if e["data"].get("ticket_id") == ticket]
    assert gate_turns[:3] == ["recovering", "closed", "recovering"]
    assert ticket_moves == ["deferred", "delivered"]
    raw = json.dumps(events)
    assert nik(301) not in raw and "Andi" not in raw
    assert all(e["specversion"] == "1.0" for e in events)
    for record in reader.records:
        if record.key == region.encode():
            model = GateStateChanged if b"gate.state" in record.value else SubmissionStateChanged
            assert schema_errors(record.value, model) == []
            sdk_event = read_with_python_sdk(record.headers, record.key, record.value)
            assert data_errors(sdk_event.get_data(), model) == []
    assert {r.headers.get("content-type") for r in reader.records if r.key == region.encode()} == {
        CLOUDEVENTS_CONTENT_TYPE.encode()
    }
    # Subscribers in other languages read the same records.
    records = write_records(
        tmp_path,
        [
            (topics.GATE_EVENTS, r.key, r.headers, r.value)
            for r in reader.records
            if r.key == region.encode()
        ],
    )
    await asyncio.to_thread(javascript_sdk_reads, records)
    await asyncio.to_thread(java_sdk_reads, records)


async def test_a_recovered_gate_is_told_open_once_its_replay_reaches_full_rate(
    infrastructure: Infrastructure, database_url: str, siak_url: str
) -> None:
    [region] = take_regions(1)
    # One canary, then straight to full rate: the first delivery after it ends the recovery.
    settings = gate_settings(
        infrastructure,
        database_url,
        siak_url,
        canary_count=1,
        initial_rate=1000.0,
        consumer_group=await status_group(infrastructure.bootstrap_servers, "gate"),
    )
    feed = StatusFeed(infrastructure.bootstrap_servers)
    async with (
        TopicReader(infrastructure.bootstrap_servers, topics.GATE_EVENTS) as reader,
        serving(create_app(settings)) as url,
        httpx.AsyncClient(timeout=10) as http,
    ):
        await feed.set(region, SiakStatus.DOWN, reason="http_503")

        async def down() -> bool:
            view = (await http.get(f"{url}/v1/regions/{region}")).json()
            return bool(view["siak_status"] == "DOWN")

        await eventually(down, what="gate closed")
        for serial in (401, 402):
            body = submission_body(region, nik(serial))
            headers = {
                "Authorization": f"Bearer {API_KEY}",
                "Idempotency-Key": f"{region}-{serial}",
            }
            assert (await http.post(f"{url}/v1/submissions", json=body, headers=headers)).is_success
        await feed.set(region, SiakStatus.UP)

        told: dict[str, tuple[str, str]] = {}

        async def gate_turns() -> list[tuple[str, str]] | None:
            # The outbox relays at least once: a record sent again has the same event id.
            for record in await reader.poll():
                envelope = json.loads(record.value)
                if record.key == region.encode() and "gate_state" in (data := envelope["data"]):
                    told[envelope["id"]] = (data["previous_gate_state"], data["gate_state"])
            turns = list(told.values())
            return turns if ("recovering", "open") in turns else None

        turns = await eventually(gate_turns, what="the gate told open")
    told_of = [
        {k: data.get(k) for k in ("previous_gate_state", "gate_state", "cause", "at", "reason")}
        for record in reader.records
        if record.key == region.encode()
        and "gate_state" in (data := json.loads(record.value)["data"])
    ]
    assert turns == [("closed", "recovering"), ("recovering", "open")], told_of
