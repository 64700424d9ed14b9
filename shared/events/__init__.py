"""Event models published on Kafka as CloudEvents 1.0 in structured JSON mode."""

from shared.events.central_status import CentralStatusChanged
from shared.events.envelope import (
    CLOUDEVENTS_CONTENT_TYPE,
    CloudEvent,
    InvalidEventError,
    KafkaRecord,
    decode_event,
    encode_event,
    new_event,
)
from shared.events.heartbeat import MonitorHeartbeat, RegionSnapshot
from shared.events.maintenance import (
    MaintenanceAction,
    MaintenanceNotice,
    MaintenancePlanned,
    MaintenanceRecurrence,
    MaintenanceText,
)
from shared.events.status import ProbeEvidence, SiakStatus, StatusChanged

__all__ = [
    "CLOUDEVENTS_CONTENT_TYPE",
    "CentralStatusChanged",
    "CloudEvent",
    "InvalidEventError",
    "KafkaRecord",
    "MaintenanceAction",
    "MaintenanceNotice",
    "MaintenancePlanned",
    "MaintenanceRecurrence",
    "MaintenanceText",
    "MonitorHeartbeat",
    "ProbeEvidence",
    "RegionSnapshot",
    "SiakStatus",
    "StatusChanged",
    "decode_event",
    "encode_event",
    "new_event",
]
