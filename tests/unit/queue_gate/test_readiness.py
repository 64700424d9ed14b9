"""`/readyz`: names the tasks failing too long, tells whether PostgreSQL and Kafka answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.events import SiakStatus
from shared.supervision import TaskFactory
from shared.topics import TopicMisconfiguredError
from tests.support.polling import eventually
from tests.unit.queue_gate.fake_gate import (
    API_KEY,
    FakeGate,
    gate_settings,
    running_gate,
    tamper_with_task,
)
from tests.unit.queue_gate.fakes import FakePorts

FAILING_FAST = {"task_unhealthy_after_s": 0.3, "task_backoff_max_s": 0.1}


def always_failing(_run: TaskFactory) -> TaskFactory:
    async def fail() -> None:
        raise RuntimeError("still broken")

    return fail


async def test_a_ready_gate_says_so_with_each_task_and_its_dependencies() -> None:
    async with running_gate() as gate:
        response = await gate.readyz()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["failing"] == []
    assert body["postgresql"] == "reachable"
    assert body["kafka"] == "reachable"
    assert set(body["tasks"]) >= {"outbox relay", "wakeups", "gate board", "dispatch supervisor"}
    assert body["tasks"]["gate board"]["running"] is True


async def test_a_task_failing_longer_than_the_threshold_makes_the_gate_unready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tamper_with_task(monkeypatch, "gate board", always_failing)
    # Failing only briefly, a restart may yet cure it: judged against a threshold no slow
    # machine reaches between two reads (0.3 s could pass before the first).
    patient = gate_settings(**{**FAILING_FAST, "task_unhealthy_after_s": 60})
    async with running_gate(patient) as gate:
        await eventually(lambda: _restarted(gate, "gate board"), within=5, what="a restart")
        before = (await gate.readyz()).status_code
    async with running_gate(gate_settings(**FAILING_FAST)) as gate:

        async def unready() -> bool:
            return (await gate.readyz()).status_code == 503

        await eventually(unready, within=5, what="/readyz answering 503")
        body = (await gate.readyz()).json()

    assert before == 200

    assert body["status"] == "failing"
    assert body["failing"] == ["gate board"]
    assert body["tasks"]["gate board"]["last_error"] == "RuntimeError"


async def _restarted(gate: FakeGate, task: str) -> bool:
    return bool(gate.runtime.tasks.report()[task]["restarts"])


async def test_with_kafka_down_the_gate_starts_takes_submissions_and_says_so() -> None:
    async def kafka_down() -> None:
        raise ConnectionError("no broker at that address")

    ports = FakePorts()
    await ports.region_is("35.78", SiakStatus.UP)
    async with running_gate(
        gate_settings(**FAILING_FAST), ports=ports, prepare_kafka=kafka_down
    ) as gate:
        accepted = await gate.http.post(
            "/v1/submissions",
            json={
                "region_code": "35.78",
                "service_type": "akta_kelahiran",
                "applicant": {"nik": "3578011205900001", "name": "Warga Uji"},
                "details": {"child_name": "Bayi", "birth_place": "Surabaya"},
            },
            headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "kafka-down-1"},
        )

        async def kafka_failing() -> bool:
            return "kafka" in (await gate.readyz()).json()["failing"]

        await eventually(kafka_failing, within=5, what="the Kafka task reported failing")
        response = await gate.readyz()

    assert accepted.status_code == 202, accepted.text
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["kafka"] == "unavailable"


async def test_postgresql_unreachable_is_reported() -> None:
    async with running_gate() as gate:
        gate.edges.database.up = False
        body = (await gate.readyz()).json()

    assert body["postgresql"] == "unavailable"


async def test_after_the_listen_connection_is_lost_it_listens_again_and_catches_up() -> None:
    ports = FakePorts()
    await ports.region_is("35.78", SiakStatus.UP)
    async with running_gate(gate_settings(sweep_interval_s=3600), ports=ports) as gate:
        await gate.edges.wakeups.progress.until(
            lambda: gate.edges.wakeups.connections == 1, what="listening"
        )
        gate.edges.wakeups.lose_connection()
        await ports.waiting("35.78", "a")  # its wake-up is sent while nobody listens
        gate.edges.wakeups.send("35.78", gate_changed=False)

        await gate.edges.wakeups.progress.until(
            lambda: gate.edges.wakeups.connections == 2, what="listening again", within=5
        )
        await ports.siak.until_sent(1, within=5)


async def test_a_topic_with_the_wrong_cleanup_policy_makes_the_gate_unready_at_once() -> None:
    problem = "topic siak.status.v1 has cleanup.policy=delete; it needs cleanup.policy=compact"
    # Unfit until the test puts it right: put right by the third try (0.2 s on), a slow
    # machine could find the gate ready before its first read.
    topic_fixed = False

    async def topic_misconfigured_until_put_right() -> None:
        if not topic_fixed:
            raise TopicMisconfiguredError(problem)

    settings = gate_settings(kafka_start_grace_s=0.1, task_backoff_max_s=0.1)
    async with running_gate(settings, prepare_kafka=topic_misconfigured_until_put_right) as gate:
        refused = await gate.readyz()
        topic_fixed = True

        async def put_right() -> bool:
            return (await gate.readyz()).status_code == 200

        await eventually(put_right, within=5, what="ready once the topic is put right")
        healed = (await gate.readyz()).json()

    assert refused.status_code == 503
    assert refused.json()["status"] == "failing"
    assert refused.json()["topics"] == problem
    assert "topics" not in healed


async def test_readyz_shows_the_clock_gap_to_the_database_degraded_past_five_s() -> None:
    """The store corrects freshness for any gap (decision 28), but a host clock that far off
    stamps everything else the gate does wrongly: worth an operator's look, not an outage."""
    async with running_gate() as gate:
        gate.edges.database.clock_gap = timedelta(seconds=-5)
        within = (await gate.readyz()).json()
        gate.edges.database.clock_gap = timedelta(seconds=120)
        ahead = await gate.readyz()
        gate.edges.database.clock_gap = None  # not measured yet
        unknown = (await gate.readyz()).json()

    assert (within["status"], within["database_clock_gap_s"]) == ("ready", -5)
    assert ahead.status_code == 200
    assert (ahead.json()["status"], ahead.json()["database_clock_gap_s"]) == ("degraded", 120)
    assert (unknown["status"], unknown["database_clock_gap_s"]) == ("ready", None)
