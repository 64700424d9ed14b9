"""JSON Schemas of the events, generated from the models and committed under `schemas/`.

`python -m shared.events.schemas` rewrites them; a test fails when they are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared import topics
from shared.events.central_status import CentralStatusChanged
from shared.events.envelope import CloudEvent, EventData
from shared.events.heartbeat import MonitorHeartbeat
from shared.events.maintenance import MaintenanceNotice, MaintenancePlanned
from shared.events.status import StatusChanged

SCHEMA_DIR = Path(__file__).parent / "schemas"
EVENTS_BY_TOPIC: dict[str, type[EventData]] = {
    topics.SIAK_STATUS: StatusChanged,
    topics.MONITOR_HEARTBEAT: MonitorHeartbeat,
    topics.SIAK_MAINTENANCE: MaintenanceNotice,
    topics.SIAK_MAINTENANCE_PLANS: MaintenancePlanned,
    topics.SIAK_CENTRAL_STATUS: CentralStatusChanged,
}


def schema_for(data_model: type[EventData]) -> dict[str, Any]:
    schema = CloudEvent[data_model].model_json_schema(mode="serialization")  # type: ignore[valid-type]
    schema["title"] = data_model.event_type
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def rendered_schemas() -> dict[Path, str]:
    return {
        SCHEMA_DIR / f"{topic}.json": json.dumps(schema_for(model), indent=2, sort_keys=True) + "\n"
        for topic, model in EVENTS_BY_TOPIC.items()
    }


def write_schemas() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for path, text in rendered_schemas().items():
        path.write_text(text)


if __name__ == "__main__":
    write_schemas()
