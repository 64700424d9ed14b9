"""Both services over SASL_SSL (SCRAM-SHA-512) through `KafkaSettings`, on a broker of their own."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pydantic import SecretStr

from deploy.local.component import Paths
from deploy.local.kafka_broker import ADMIN_USER, KafkaBroker, Scram
from deploy.local.python_service import REPO_ROOT
from services.queue_gate.bootstrap import create_app as create_gate
from services.siak_sim.app import create_app as create_simulator
from shared import topics
from shared.kafka_admin import ensure_topics
from shared.kafka_client import client_options
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure, free_port
from tests.integration.queue_gate.conftest import gate_settings
from tests.integration.siak_monitor.conftest import Simulator, monitor_settings, running_monitor
from tests.support.polling import eventually
from tests.support.servers import serving

pytestmark = pytest.mark.integration


USERS = ("siak-monitor", "queue-gate", "subscriber")


@pytest.fixture(scope="module")
def secured_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    scram = Scram({name: secrets.token_urlsafe(16) for name in (ADMIN_USER, *USERS)})
    broker = KafkaBroker(
        Paths(tmp_path_factory.mktemp("sasl-broker")),
        port=free_port(),
        controller_port=free_port(),
        cache_dir=REPO_ROOT / ".cache",
        scram=scram,
    )
    try:
        broker.ensure_running()
        asyncio.run(ensure_topics(broker.client_settings(), topics.GATE_TOPICS))
        yield broker
    finally:
        broker.stop()


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with serving(create_simulator()) as url, httpx.AsyncClient(timeout=5) as http:
        yield Simulator(url, http)


async def test_status_and_gate_events_flow_over_sasl_ssl(
    secured_broker: KafkaBroker,
    infrastructure: Infrastructure,
    database_url: str,
    simulator: Simulator,
) -> None:
    region = "16.01"
    monitor = monitor_settings(
        secured_broker.bootstrap_servers,
        simulator,
        region,
        kafka=secured_broker.client_settings("siak-monitor"),
    )
    gate = gate_settings(
        infrastructure,
        database_url,
        simulator.url,
        kafka=secured_broker.client_settings("queue-gate"),
    )
    subscriber = AIOKafkaConsumer(
        topics.GATE_EVENTS,
        **client_options(secured_broker.client_settings("subscriber")),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    turns: list[str] = []

    async def reopened_after_closing() -> list[str] | None:
        for records in (await subscriber.getmany(timeout_ms=200)).values():
            for record in records:
                data = json.loads(record.value)["data"]
                if record.key == region.encode() and "gate_state" in data:
                    turns.append(data["gate_state"])
        closing = turns.index("closed") if "closed" in turns else len(turns)
        return turns if "recovering" in turns[closing:] else None

    await subscriber.start()
    try:
        async with (
            running_monitor(monitor),
            serving(create_gate(gate)) as gate_url,
            httpx.AsyncClient(timeout=5) as http,
        ):

            async def gate_sees(status: str) -> bool:
                view = (await http.get(f"{gate_url}/v1/regions/{region}")).json()
                return bool(view["siak_status"] == status)

            # Monitor probes, publishes over SASL_SSL; the gate reads it over SASL_SSL.
            await eventually(lambda: gate_sees("UP"), within=30, what="gate sees UP")
            await simulator.set(region, "down")
            await eventually(lambda: gate_sees("DOWN"), within=30, what="gate closed")
            await simulator.set(region, "up")
            await eventually(lambda: gate_sees("UP"), within=30, what="gate open again")
            # The gate's outbox relay publishes its turns; the subscriber user reads them.
            await eventually(
                reopened_after_closing, within=30, what="gate closing and reopening read"
            )
    finally:
        await subscriber.stop()
    assert turns[:3] == ["recovering", "closed", "recovering"]


async def test_a_wrong_password_is_refused_and_named_nowhere(
    secured_broker: KafkaBroker,
    infrastructure: Infrastructure,
    database_url: str,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = "wrong-" + secrets.token_urlsafe(12)

    def with_wrong_password(user: str) -> KafkaSettings:
        settings = secured_broker.client_settings(user)
        return settings.model_copy(update={"sasl_password": SecretStr(wrong)})

    caplog.set_level(logging.DEBUG)
    gate = gate_settings(
        infrastructure,
        database_url,
        simulator.url,
        kafka=with_wrong_password("queue-gate"),
        kafka_start_grace_s=1.0,
    )
    monitor = monitor_settings(
        secured_broker.bootstrap_servers,
        simulator,
        "16.02",
        kafka=with_wrong_password("siak-monitor"),
    )
    async with (
        running_monitor(monitor, wait_ready=False) as monitor_client,
        serving(create_gate(gate)) as gate_url,
        httpx.AsyncClient(timeout=5) as http,
    ):

        async def gate_reports_kafka_unreachable() -> dict[str, Any] | None:
            body: dict[str, Any] = (await http.get(f"{gate_url}/readyz")).json()
            return body if body["kafka"] == "unavailable" and body["status"] != "starting" else None

        gate_body = await eventually(gate_reports_kafka_unreachable, what="gate: Kafka unreachable")
        monitor_answer = await http.get(f"{monitor_client.url}/readyz")
    assert gate_body["status"] == "degraded"
    assert monitor_answer.status_code == 503
    said = json.dumps(gate_body) + monitor_answer.text + caplog.text
    assert wrong not in said
    for password in secured_broker.scram.users.values() if secured_broker.scram else ():
        assert password not in said
