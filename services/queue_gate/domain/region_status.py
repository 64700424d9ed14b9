"""What the gate knows of a region's SIAK status, and which news it accepts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.events import SiakStatus, StatusChanged


@dataclass(frozen=True)
class RegionStatus:
    region_code: str
    status: SiakStatus
    seq: int
    since: datetime
    reason: str | None = None
    expected_return_at: datetime | None = None
    epoch: int = 0

    @classmethod
    def from_event(cls, change: StatusChanged) -> RegionStatus:
        return cls(
            region_code=change.region_code,
            status=change.status,
            seq=change.seq,
            since=change.since,
            reason=change.reason,
            expected_return_at=change.expected_return_at,
            epoch=change.epoch,
        )


def supersedes(change: StatusChanged, known: RegionStatus | None) -> bool:
    """A change counts only when newer than what was applied, by (epoch, seq): duplicates and
    stale ones do not; a new epoch (the monitor counting anew) does, whatever its seq."""
    return known is None or (change.epoch, change.seq) > (known.epoch, known.seq)
