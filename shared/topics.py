"""Kafka topic names: the one place they are spelled out. Every topic is keyed by region code."""

from typing import Final

SIAK_STATUS: Final = "siak.status.v1"
"""A region's SIAK status changes (compacted: the latest record per region is its status)."""

MONITOR_HEARTBEAT: Final = "siak.monitor.heartbeat.v1"
"""The monitor's periodic snapshot of every watched region; silence means the monitor is gone."""

SIAK_MAINTENANCE: Final = "siak.maintenance.v1"
"""Maintenance windows scheduled, changed, cancelled, started and ended."""

GATE_EVENTS: Final = "queue-gate.events.v1"
"""Gate and submission life-cycle events, free of personal data."""

DEAD_LETTER_SUFFIX: Final = ".dlt"
DEAD_LETTER_REASON_HEADER: Final = "x-dead-letter-reason"


def dead_letter_topic(topic: str) -> str:
    """Where a consumer of `topic` puts the records it could not handle."""
    return topic + DEAD_LETTER_SUFFIX
