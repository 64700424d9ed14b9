"""`siak.monitor.heartbeat.v1`: the monitor is alive, and this is what it knows."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.events.envelope import EventData
from shared.events.status import MAX_SEQ, PLAIN_TEXT_PATTERN, REGION_CODE_PATTERN, SiakStatus


class RegionSnapshot(EventData):
    region_code: str = Field(pattern=REGION_CODE_PATTERN)
    status: SiakStatus
    seq: int = Field(ge=0, le=MAX_SEQ)


class MonitorHeartbeat(EventData):
    """Sent every `period_seconds`, listing every region the monitor watches. A region is
    fresh only while recent heartbeats list it: a consumer treats a region that no heartbeat
    (nor status change) mentioned for its staleness limit as UNKNOWN, and an `emitted_at`
    ahead of its own clock as now."""

    event_type: ClassVar[str] = "id.siakgate.siak.monitor.heartbeat.v1"

    monitor_id: str = Field(min_length=1, max_length=200, pattern=PLAIN_TEXT_PATTERN)
    emitted_at: AwareDatetime
    period_seconds: float = Field(gt=0)
    regions: list[RegionSnapshot]
