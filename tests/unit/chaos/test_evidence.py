"""Reading the status timeline out of raw topic records, odd records included."""

from __future__ import annotations

import json

from chaos.evidence import Record, status_timeline
from chaos.records import Heartbeat, StatusPoint
from shared import topics


def status(at: float, offset: int, region: str, state: str, seq: int) -> Record:
    data = {"region_code": region, "status": state, "seq": seq}
    value = json.dumps({"specversion": "1.0", "data": data}).encode()
    return Record(topics.SIAK_STATUS, 0, offset, at, value)


def test_statuses_in_sequence_and_heartbeats_are_read_and_odd_records_skipped() -> None:
    heartbeat = {"data": {"monitor_id": "m", "regions": [{"region_code": "73.71"}]}}
    records = [
        status(1.0, 0, "73.71", "UP", 1),
        Record(topics.SIAK_STATUS, 0, 1, 2.0, b"\xff not json"),
        Record(topics.SIAK_STATUS, 0, 2, 2.5, b'{"data": {"region_code": "73.71"}}'),
        status(3.0, 3, "73.71", "DOWN", 2),
        status(4.0, 4, "73.71", "UP", 1),  # stale: written again
        Record(topics.MONITOR_HEARTBEAT, 0, 0, 5.0, json.dumps(heartbeat).encode()),
    ]
    points, heartbeats = status_timeline(records)
    assert points == [
        StatusPoint("73.71", 1.0, "UP", 1),
        StatusPoint("73.71", 3.0, "DOWN", 2),
    ]
    assert heartbeats == [Heartbeat(5.0, frozenset({"73.71"}))]
