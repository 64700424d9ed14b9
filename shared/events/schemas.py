"""JSON Schemas of the events, generated from the models (`make schemas` writes them)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import topics
from shared.events.central_status import CentralStatusChanged
from shared.events.envelope import CloudEvent, EventData, dataschema_for
from shared.events.gate import GateStateChanged, SubmissionStateChanged
from shared.events.heartbeat import MonitorHeartbeat
from shared.events.maintenance import MaintenanceNotice, MaintenancePlanned
from shared.events.status import StatusChanged

SCHEMA_DIR = Path(__file__).parent / "schemas"


@dataclass(frozen=True)
class TopicEvent:
    """One kind of event on a topic, who sends it, and the file its schema lives in."""

    topic: str
    model: type[EventData]
    sender: str
    key: str
    file_name: str = ""

    @property
    def schema_path(self) -> Path:
        return SCHEMA_DIR / (self.file_name or f"{self.topic}.json")


TOPIC_EVENTS: tuple[TopicEvent, ...] = (
    TopicEvent(topics.SIAK_STATUS, StatusChanged, "siak_monitor", "region code"),
    TopicEvent(topics.MONITOR_HEARTBEAT, MonitorHeartbeat, "siak_monitor", "monitor id"),
    TopicEvent(topics.SIAK_MAINTENANCE, MaintenanceNotice, "siak_monitor", "region code"),
    TopicEvent(
        topics.SIAK_MAINTENANCE_PLANS, MaintenancePlanned, "siak_monitor", "maintenance plan id"
    ),
    TopicEvent(
        topics.SIAK_CENTRAL_STATUS, CentralStatusChanged, "siak_monitor", "parent target name"
    ),
    TopicEvent(
        topics.GATE_EVENTS,
        GateStateChanged,
        "queue_gate",
        "region code",
        f"{topics.GATE_EVENTS}.gate-state-changed.json",
    ),
    TopicEvent(
        topics.GATE_EVENTS,
        SubmissionStateChanged,
        "queue_gate",
        "region code",
        f"{topics.GATE_EVENTS}.submission-changed.json",
    ),
)


DIALECT = "http://json-schema.org/draft-07/schema#"
"""Draft-07: what the AsyncAPI parser checks, and what every language's validator knows."""


def schema_for(data_model: type[EventData]) -> dict[str, Any]:
    generated = CloudEvent[data_model].model_json_schema(  # type: ignore[valid-type]
        mode="serialization", ref_template="#/definitions/{model}"
    )
    definitions = generated.pop("$defs", {})
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": dataschema_for(data_model),
        **_draft_07(generated),
        "title": data_model.event_type,
    }
    if definitions:
        schema["definitions"] = _draft_07(definitions)
    return schema


def _draft_07(node: Any) -> Any:
    """Draft-07 ignores keywords beside `$ref`, so a `$ref` with siblings goes under `allOf`."""
    if isinstance(node, list):
        return [_draft_07(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _draft_07(value) for key, value in node.items()}
    if "$ref" in converted and len(converted) > 1:
        converted["allOf"] = [{"$ref": converted.pop("$ref")}]
    return converted


def rendered_schemas() -> dict[Path, str]:
    return {
        event.schema_path: json.dumps(schema_for(event.model), indent=2, sort_keys=True) + "\n"
        for event in TOPIC_EVENTS
    }
