"""Kafka topic names and settings: the one place they are spelled out. Records are keyed by
region code (heartbeats by monitor id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

SIAK_STATUS: Final = "siak.status.v1"
"""A region's SIAK status changes (compacted: the latest record per region is its status)."""

MONITOR_HEARTBEAT: Final = "siak.monitor.heartbeat.v1"
"""The monitor's periodic snapshot of every watched region; silence means the monitor is gone."""

SIAK_MAINTENANCE: Final = "siak.maintenance.v1"
"""Maintenance windows scheduled, changed, cancelled, started and ended."""

SIAK_MAINTENANCE_PLANS: Final = "siak.maintenance.plans.v1"
"""Every maintenance plan as it stands, keyed by its id (compacted); read back at monitor start."""

SIAK_CENTRAL_STATUS: Final = "siak.central.status.v1"
"""The status of what every region depends on (central SIAK), keyed by its name (compacted)."""

MONITOR_OWNERSHIP: Final = "siak.monitor.ownership.v1"
"""The monitor replicas' consumer group assigns its one partition to the replica that probes
and publishes; each claim of that right commits an empty record, whose offset orders the
claims (docs/decisions/0014)."""

GATE_EVENTS: Final = "queue-gate.events.v1"
"""Gate and submission life-cycle events, free of personal data."""

DEAD_LETTER_SUFFIX: Final = ".dlt"
DEAD_LETTER_REASON_HEADER: Final = "x-dead-letter-reason"

_DAY_MS: Final = 24 * 3600 * 1000


def dead_letter_topic(topic: str) -> str:
    """Where a consumer of `topic` puts the records it could not handle."""
    return topic + DEAD_LETTER_SUFFIX


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 3
    config: dict[str, str] = field(default_factory=dict)


MONITOR_TOPICS: Final = (
    TopicSpec(SIAK_STATUS, config={"cleanup.policy": "compact"}),
    TopicSpec(MONITOR_HEARTBEAT, partitions=1, config={"retention.ms": str(_DAY_MS)}),
    TopicSpec(SIAK_MAINTENANCE, config={"retention.ms": str(90 * _DAY_MS)}),
    TopicSpec(SIAK_MAINTENANCE_PLANS, partitions=1, config={"cleanup.policy": "compact"}),
    TopicSpec(SIAK_CENTRAL_STATUS, partitions=1, config={"cleanup.policy": "compact"}),
)
OWNERSHIP_TOPICS: Final = (TopicSpec(MONITOR_OWNERSHIP, partitions=1),)
"""Topics that carry no events (no schema, no AsyncAPI channel): created by the monitor."""
GATE_TOPICS: Final = (
    *MONITOR_TOPICS,
    TopicSpec(GATE_EVENTS, config={"retention.ms": str(30 * _DAY_MS)}),
    TopicSpec(dead_letter_topic(SIAK_STATUS), partitions=1),
    TopicSpec(dead_letter_topic(MONITOR_HEARTBEAT), partitions=1),
)
