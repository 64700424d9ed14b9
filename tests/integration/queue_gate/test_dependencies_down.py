"""A gate whose Kafka or PostgreSQL is down: it says so, and intake answers what it can."""

from __future__ import annotations

import httpx
import pytest

from services.queue_gate.bootstrap import create_app
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure, free_port
from tests.integration.queue_gate.conftest import API_KEY, gate_settings, nik, submission_body
from tests.support.own_postgres import kill_hard, own_postgres
from tests.support.polling import eventually
from tests.support.servers import serving
from tests.support.status_consumers import status_group

pytestmark = pytest.mark.integration


async def test_with_kafka_down_the_gate_starts_takes_submissions_and_says_kafka_is_unavailable(
    infrastructure: Infrastructure, database_url: str, siak_url: str
) -> None:
    settings = gate_settings(
        infrastructure,
        database_url,
        siak_url,
        kafka=KafkaSettings.plaintext(f"127.0.0.1:{free_port()}"),  # nothing listens there
        kafka_start_grace_s=0.5,
    )
    async with serving(create_app(settings)) as url, httpx.AsyncClient(timeout=10) as http:
        ready = await http.get(f"{url}/readyz")
        accepted = await http.post(
            f"{url}/v1/submissions",
            json=submission_body("35.78", nik(901)),
            headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "no-kafka-1"},
        )

    assert ready.status_code == 200, ready.text
    assert ready.json()["kafka"] == "unavailable"
    assert ready.json()["postgresql"] == "reachable"
    assert ready.json()["status"] == "degraded"
    assert accepted.status_code == 202, accepted.text


async def test_while_postgresql_is_down_intake_answers_503_with_retry_after(
    infrastructure: Infrastructure, siak_url: str
) -> None:
    async with own_postgres() as server:
        settings = gate_settings(
            infrastructure,
            server.url,
            siak_url,
            db_connect_timeout_s=2,
            consumer_group=await status_group(infrastructure.bootstrap_servers, "gate"),
        )
        async with serving(create_app(settings)) as url, httpx.AsyncClient(timeout=30) as http:
            kill_hard(server)

            # SIGKILL is sent, not yet done: a backend of the pool may answer a moment more.
            async def refused() -> httpx.Response | None:
                answer = await http.post(
                    f"{url}/v1/submissions",
                    json=submission_body("35.78", nik(902)),
                    headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "no-db-1"},
                )
                return None if answer.status_code == 202 else answer

            async def told_unavailable() -> dict[str, object] | None:
                body: dict[str, object] = (await http.get(f"{url}/readyz")).json()
                return None if body["postgresql"] == "reachable" else body

            response = await eventually(refused, within=60, what="intake no longer accepting")
            ready = await eventually(told_unavailable, within=60, what="/readyz: not reachable")

    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert ready["postgresql"] == "unavailable"
