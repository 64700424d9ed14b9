"""`GATE_KAFKA_SESSION_TIMEOUT_S` reaches every consumer the gate's Kafka link starts."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from services.queue_gate.adapters import kafka_link
from services.queue_gate.adapters.kafka_link import KafkaLink, Record, Subscription
from services.queue_gate.settings import GateSettings
from shared.settings import KafkaSettings


class RecordedConsumer:
    """Stands in for `AIOKafkaConsumer`: keeps what it was made with, connects nowhere."""

    made: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, **options: Any) -> None:
        self.made.append(options)

    def subscribe(self, topics: list[str], listener: Any = None) -> None:
        return None

    async def start(self) -> None:
        return None

    async def commit(self, offsets: Any = None) -> None:
        return None


async def nothing(_record: Record) -> None:
    return None


async def options_of_a_consumer(monkeypatch: pytest.MonkeyPatch, **link: Any) -> dict[str, Any]:
    RecordedConsumer.made = []
    monkeypatch.setattr(kafka_link, "AIOKafkaConsumer", RecordedConsumer)

    async def prepared() -> None:
        return None

    started = KafkaLink(KafkaSettings.plaintext("127.0.0.1:9"), prepare=prepared, **link)
    await started._start_consumer(Subscription("siak.status.v1", group_id="g", handle=nothing))
    [options] = RecordedConsumer.made
    return options


async def test_by_default_a_silent_member_keeps_its_partitions_for_ten_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = await options_of_a_consumer(monkeypatch)

    assert options["session_timeout_ms"] == 10_000  # aiokafka's own default, as before
    assert options["heartbeat_interval_ms"] == 3000


async def test_a_shorter_session_is_passed_with_a_heartbeat_a_third_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = await options_of_a_consumer(monkeypatch, session_timeout_ms=6000)

    assert options["session_timeout_ms"] == 6000
    assert options["heartbeat_interval_ms"] == 2000


def test_the_setting_is_read_from_the_environment_in_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATE_KAFKA_SESSION_TIMEOUT_S", "6")
    settings = GateSettings.model_validate(
        {"admin_token": "t", "data_key": "A" * 43, "applicant_key_secret": "s" * 32}
    )

    assert settings.kafka_session_timeout_s == 6.0
