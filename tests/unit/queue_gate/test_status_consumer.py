"""The status consumer: each record applied, set aside with its reason, or waited on."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.entrypoints.status_consumer import Persistence, consume_status_record
from services.queue_gate.handlers.region_gate import GatePolicy
from services.queue_gate.handlers.status_updates import record_status_change
from shared.events import SiakStatus, StatusChanged, encode_event, new_event
from shared.regions import load_registry
from tests.unit.queue_gate.fakes import FakePorts, status_change

POLICY = GatePolicy(
    stale_after=timedelta(minutes=1), degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)


class Consumer:
    """The consumer's handling of one record at a time, over the fakes."""

    def __init__(self, ports: FakePorts, persistence: Persistence | None = None) -> None:
        self.ports = ports
        self.persistence = persistence or Persistence(sleep=self._no_wait)
        self.dead_letters: list[str] = []
        self.waits: list[float] = []

    async def _no_wait(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def _apply(self, change: StatusChanged) -> bool:
        return await record_status_change(
            change,
            store=self.ports.statuses,
            controls=self.ports.controls,
            policy=POLICY,
            now=self.ports.clock(),
        )

    async def _dead_letter(self, reason: str) -> None:
        self.dead_letters.append(reason)

    async def take(self, body: bytes) -> None:
        await consume_status_record(
            body,
            apply_change=self._apply,
            dead_letter=self._dead_letter,
            persistence=self.persistence,
            registry=load_registry(),
        )


def record_of(change: StatusChanged) -> bytes:
    return encode_event(new_event(change, source="/tests", subject=change.region_code)).value


def dead_lettered(kind: str) -> float:
    sample = REGISTRY.get_sample_value(
        "queue_gate_dead_lettered_total", {"topic": "siak.status.v1", "kind": kind}
    )
    return sample or 0.0


async def test_a_status_for_a_region_the_registry_lacks_is_set_aside_and_counted() -> None:
    ports = FakePorts()
    consumer = Consumer(ports)
    counted = dead_lettered("unknown_region")

    await consumer.take(record_of(status_change("99.99", SiakStatus.UP, seq=1)))
    await consumer.take(record_of(status_change("73.71", SiakStatus.UP, seq=1)))

    assert await ports.statuses.get("99.99") is None
    assert await ports.statuses.get("73.71") is not None
    [reason] = consumer.dead_letters
    assert reason.startswith("data.region_code: 99.99")
    assert dead_lettered("unknown_region") == counted + 1
