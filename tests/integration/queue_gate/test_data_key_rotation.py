"""Rotating the data key with submissions waiting: accepted under key A, the gate turned to
key B, the re-sealing command run while the gate replays; every submission reaches SIAK
intact and once, and no payload is left under A."""

from __future__ import annotations

import base64
import io
import json
import os
from typing import Any, cast

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.queue_gate import reseal
from services.queue_gate.bootstrap import create_app
from services.siak_sim.app import create_app as create_simulator
from services.siak_sim.state import SimulatedSiak
from shared import topics
from shared.events import SiakStatus
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure
from tests.integration.queue_gate.conftest import (
    API_KEY,
    StatusFeed,
    gate_settings,
    nik,
    submission_body,
    take_regions,
)
from tests.support.polling import eventually
from tests.support.servers import serving
from tests.support.status_consumers import status_group

pytestmark = pytest.mark.integration

KEY_A = base64.urlsafe_b64encode(os.urandom(32)).decode()
KEY_B = base64.urlsafe_b64encode(os.urandom(32)).decode()
BEFORE, AFTER = 30, 10


class BodyRecorder:
    """The simulator, unchanged, noting every body posted to it: what SIAK was sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.bodies: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        self.bodies.append(json.loads(body))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def submit_all(url: str, region: str, serials: range) -> list[str]:
    async with httpx.AsyncClient(timeout=10) as http:
        tickets = []
        for serial in serials:
            answer = await http.post(
                f"{url}/v1/submissions",
                json=submission_body(region, nik(serial), name=f"Warga {serial}"),
                headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": f"r-{serial}"},
            )
            assert answer.status_code == 202, answer.text
            tickets.append(answer.json()["ticket_id"])
    return tickets


async def test_submissions_waiting_across_a_rotation_reach_siak_intact_once_and_none_stay_under_a(
    infrastructure: Infrastructure, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    [region] = take_regions(1)  # no status yet: closed, submissions wait as deferred
    await ensure_topics(
        KafkaSettings.plaintext(infrastructure.bootstrap_servers), topics.GATE_TOPICS
    )
    siak = SimulatedSiak()
    recorder = BodyRecorder(create_simulator(siak))
    pace = {"canary_count": 1, "initial_rate": 5.0, "max_rate": 5.0}

    async with serving(cast(FastAPI, recorder)) as siak_url:
        before = gate_settings(
            infrastructure,
            database_url,
            siak_url,
            data_key=KEY_A,
            consumer_group=await status_group(infrastructure.bootstrap_servers, "gate"),
            **pace,
        )
        async with serving(create_app(before)) as url:
            await submit_all(url, region, range(1, BEFORE + 1))

        rotated = gate_settings(
            infrastructure,
            database_url,
            siak_url,
            data_key=KEY_A,
            data_keys=f"b={KEY_B}",
            data_key_id="b",
            consumer_group=await status_group(infrastructure.bootstrap_servers, "gate"),
            **pace,
        )
        async with serving(create_app(rotated)) as url:
            await submit_all(url, region, range(BEFORE + 1, BEFORE + AFTER + 1))
            await StatusFeed(infrastructure.bootstrap_servers).set(region, SiakStatus.UP)

            async def replaying() -> bool:
                return len(siak.received(region)) >= 2

            await eventually(replaying, within=30, what="the replay under way")
            for name, value in {
                "DATABASE_URL": database_url,
                "GATE_DATA_KEY": KEY_A,
                "GATE_DATA_KEYS": f"b={KEY_B}",
                "GATE_DATA_KEY_ID": "b",
            }.items():
                monkeypatch.setenv(name, value)
            out = io.StringIO()
            # Counted as the command starts: how long it then takes is the machine's business.
            sent_as_resealing_began = len(siak.received(region))
            status = await reseal.main(["--batch-size", "3", "--pause-s", "0.1"], out)

            async def all_delivered() -> bool:
                return len(siak.received(region)) >= BEFORE + AFTER

            await eventually(all_delivered, within=60, what="every submission delivered")

    assert status == 0, out.getvalue()
    assert 2 <= sent_as_resealing_began < BEFORE + AFTER  # run while the replay went on
    received = [item.key for item in siak.received(region)]
    assert len(received) == len(set(received)) == BEFORE + AFTER
    posted = [body for body in recorder.bodies if body.get("region_code") == region]
    assert len(posted) == BEFORE + AFTER  # once each: no resend
    assert sorted((b["applicant"]["nik"], b["applicant"]["name"]) for b in posted) == sorted(
        (nik(serial), f"Warga {serial}") for serial in range(1, BEFORE + AFTER + 1)
    )
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT state, data_key_id, count(*) AS n FROM submission "
            "WHERE region_code = $1 AND sealed_payload IS NOT NULL GROUP BY state, data_key_id",
            region,
        )
    finally:
        await connection.close()
    assert [(r["state"], r["data_key_id"], r["n"]) for r in rows] == [
        ("delivered", "b", BEFORE + AFTER)
    ]
