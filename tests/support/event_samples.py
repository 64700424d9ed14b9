"""One record of every event type, encoded by the services' own encoders, for SDK contract tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.queue_gate.adapters.postgres.outbox import gate_record
from services.siak_monitor.adapters.kafka_publisher import monitor_record
from shared import topics
from shared.events import (
    CentralStatusChanged,
    KafkaRecord,
    MaintenanceAction,
    MaintenanceNotice,
    MaintenancePlanned,
    MaintenanceRecurrence,
    MaintenanceText,
    MonitorHeartbeat,
    ProbeEvidence,
    RegionSnapshot,
    SiakStatus,
    StatusChanged,
)
from shared.events.envelope import EventData
from shared.events.gate import GateStateChanged, SubmissionStateChanged
from shared.events.schemas import TOPIC_EVENTS

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class SampleRecord:
    topic: str
    model: type[EventData]
    record: KafkaRecord


def _monitor(
    event: StatusChanged
    | CentralStatusChanged
    | MaintenanceNotice
    | MaintenancePlanned
    | MonitorHeartbeat,
) -> SampleRecord:
    topic, record = monitor_record(event)
    return SampleRecord(topic, type(event), record)


def _gate(event: GateStateChanged | SubmissionStateChanged) -> SampleRecord:
    return SampleRecord(topics.GATE_EVENTS, type(event), gate_record(event, key=event.region_code))


def sample_records() -> list[SampleRecord]:
    """Every event type at least once, optional fields both filled and left out."""
    evidence = ProbeEvidence(checked_at=NOW, ok=False, http_status=503, latency_ms=12.5)
    message = MaintenanceText(id="Pemeliharaan terjadwal", en="Scheduled maintenance")
    return [
        _monitor(
            StatusChanged(
                region_code="73.71",
                status=SiakStatus.DOWN,
                previous_status=SiakStatus.UP,
                since=NOW,
                epoch=1_764_288_000_000,
                seq=7,
                reason="http_503",
                evidence=evidence,
            )
        ),
        _monitor(
            StatusChanged(
                region_code="35.78", status=SiakStatus.UP, previous_status=None, since=NOW, seq=1
            )
        ),
        _monitor(
            CentralStatusChanged(
                target="central",
                status=SiakStatus.DOWN,
                previous_status=SiakStatus.UP,
                since=NOW,
                seq=3,
                reason="timeout",
                expected_return_at=NOW + timedelta(hours=1),
                evidence=ProbeEvidence(checked_at=NOW, ok=False, error="timed out"),
                affected_regions=514,
            )
        ),
        _monitor(
            MaintenanceNotice(
                maintenance_id="weekly-db.2026",
                action=MaintenanceAction.CHANGED,
                region_code="31.71",
                starts_at=NOW,
                ends_at=NOW + timedelta(hours=2),
                recurrence=MaintenanceRecurrence.WEEKLY,
                reason="database upgrade",
                message=message,
                occurred_at=NOW,
                previous_starts_at=NOW - timedelta(hours=1),
            )
        ),
        _monitor(
            MaintenancePlanned(
                maintenance_id="weekly-db.2026",
                active=True,
                origin="api",
                revision=2,
                regions=["31.71", "73.71"],
                starts_at=datetime(2026, 12, 1, 22, 0),
                ends_at=datetime(2026, 12, 2, 0, 0),
                recurrence=MaintenanceRecurrence.WEEKLY,
                reason="database upgrade",
                message=message,
                updated_at=NOW,
            )
        ),
        _monitor(
            MaintenancePlanned(
                maintenance_id="all-regions",
                active=False,
                origin="file",
                revision=1,
                regions="*",
                starts_at=NOW,
                ends_at=NOW + timedelta(hours=1),
                reason="network work",
                message=message,
                updated_at=NOW,
            )
        ),
        _monitor(
            MonitorHeartbeat(
                monitor_id="siak-monitor-0",
                emitted_at=NOW,
                period_seconds=5.0,
                regions=[RegionSnapshot(region_code="73.71", status=SiakStatus.DOWN, seq=7)],
            )
        ),
        _gate(
            GateStateChanged(
                region_code="73.71",
                gate_state="closed",
                previous_gate_state="open",
                siak_status=SiakStatus.DOWN,
                cause="siak_status",
                reason="http_503",
                at=NOW,
            )
        ),
        _gate(
            SubmissionStateChanged(
                ticket_id="T-0001",
                region_code="73.71",
                service_type="kk",
                state="parked",
                at=NOW,
                parked_reason="rejected by SIAK: 422",
            )
        ),
    ]


def uncovered_event_types() -> set[str]:
    """Event types with a committed schema and no sample: should be none."""
    return {event.model.event_type for event in TOPIC_EVENTS} - {
        sample.model.event_type for sample in sample_records()
    }


def write_samples(directory: Path) -> Path:
    """The samples as JSON lines, for the SDK suites in other languages."""
    return write_records(
        directory,
        [
            (sample.topic, sample.record.key, dict(sample.record.headers), sample.record.value)
            for sample in sample_records()
        ],
    )


def write_records(
    directory: Path, records: Iterable[tuple[str, bytes | None, Mapping[str, bytes], bytes]]
) -> Path:
    """Kafka records (topic, key, headers, value) as JSON lines, headers as text, value in
    base64: what tests/sdk/js and tests/sdk/java read."""
    path = directory / "records.jsonl"
    with path.open("w") as out:
        for topic, key, headers, value in records:
            line = {
                "topic": topic,
                "type": json.loads(value)["type"],
                "key": (key or b"").decode(),
                "headers": {name: header.decode() for name, header in headers.items()},
                "value_base64": base64.b64encode(value).decode(),
            }
            out.write(json.dumps(line) + "\n")
    return path
