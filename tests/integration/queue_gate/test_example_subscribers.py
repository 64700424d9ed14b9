"""The example ticket followers of `examples/`, in three languages, on the gate's records."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from shared import topics
from shared.events import KafkaRecord, SiakStatus
from tests.integration.queue_gate.conftest import Gate, nik, take_regions
from tests.support.example_subscribers import Builds, running
from tests.support.kafka import ReadRecord, TopicReader, produce
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


def _ticket_events(records: list[ReadRecord], ticket: str) -> list[tuple[ReadRecord, Any]]:
    return [
        (record, envelope)
        for record in records
        if (envelope := json.loads(record.value))["data"].get("ticket_id") == ticket
    ]


async def test_example_followers_tell_a_tickets_story_once_whatever_is_redelivered(
    gate: Gate, tmp_path: Path
) -> None:
    builds = asyncio.create_task(asyncio.to_thread(Builds.prepare))
    [region] = take_regions(1)
    async with TopicReader(gate.status.bootstrap_servers, topics.GATE_EVENTS) as reader:
        await gate.status.set(region, SiakStatus.DOWN, reason="http_503")

        async def closed() -> bool:
            view = (await gate.http.get(f"{gate.url}/v1/regions/{region}")).json()
            return bool(view["siak_status"] == "DOWN")

        await eventually(closed, what="gate closed")
        ticket = (await gate.submit(region, nik(501))).json()["ticket_id"]

        async def told(state: str) -> list[tuple[ReadRecord, Any]] | None:
            events = _ticket_events(await reader.poll(), ticket)
            return events if any(e["data"]["state"] == state for _, e in events) else None

        [(deferred, _)] = await eventually(lambda: told("deferred"), what="deferred told")
        # The gate's outbox relays at least once: the same record again, as a relay would.
        # (No unreadable record here: other tests read every record of this topic as an event;
        # the status followers' test has one.)
        again = KafkaRecord(deferred.key or b"", deferred.value, list(deferred.headers.items()))
        await produce(gate.status.bootstrap_servers, topics.GATE_EVENTS, again)
        await gate.status.set(region, SiakStatus.UP)
        events = await eventually(lambda: told("delivered"), what="delivered told")

    story = {envelope["id"]: envelope["data"] for _, envelope in events}
    expected = [f"{data['at']} {data['state']}" for data in story.values()]
    assert [line.split()[1] for line in expected] == ["deferred", "delivered"]
    assert len(events) == 3, "the deferred record twice on the topic"

    subscribers = (await builds).subscribers(
        tmp_path,
        python="follow_ticket.py",
        javascript="follow-ticket.mjs",
        java="FollowTicket",
        arguments=[gate.status.bootstrap_servers, ticket],
    )
    async with running(subscribers):

        async def shown() -> dict[str, list[str]] | None:
            lines = {subscriber.language: subscriber.lines() for subscriber in subscribers}
            return lines if all(expected[-1] in told for told in lines.values()) else None

        shown_by_language = await eventually(shown, within=60, what="every follower delivered")
    assert shown_by_language == {language: expected for language in shown_by_language}
