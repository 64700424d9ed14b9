"""`siak.central.status.v1`: the status of what every region depends on, e.g. central SIAK."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.events.envelope import EventData
from shared.events.status import MAX_SEQ, ProbeEvidence, SiakStatus

TARGET_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class CentralStatusChanged(EventData):
    """The parent target `target` moved from `previous_status` to `status` at `since`.

    While it is DOWN, every region in `affected_regions` is DOWN with reason `parent_down` on
    `siak.status.v1`: this record is the root cause, those are its consequences.

    A target's changes are ordered by (`epoch`, `seq`), as a region's are on `siak.status.v1`:
    a subscriber applies a change only when that pair is greater than the one it holds.
    """

    event_type: ClassVar[str] = "id.siakgate.siak.central.status.changed.v1"

    target: str = Field(pattern=TARGET_NAME_PATTERN, description="The record key, e.g. `central`.")
    status: SiakStatus
    previous_status: SiakStatus | None
    since: AwareDatetime
    epoch: int = Field(
        default=0,
        ge=0,
        le=MAX_SEQ,
        description=(
            "The sequence `seq` belongs to: chosen by the monitor when it finds this topic "
            "empty (the milliseconds since 1970 at that moment, so a later epoch is greater), "
            "read back from the topic on every start after, and one more when `seq` runs out. "
            "0 (or absent) in records of monitors that predate epochs."
        ),
    )
    seq: int = Field(
        ge=1,
        le=MAX_SEQ,
        description="Per target, strictly increasing within an epoch, across monitor restarts.",
    )
    reason: str | None = Field(default=None, max_length=200)
    expected_return_at: AwareDatetime | None = None
    evidence: ProbeEvidence | None = None
    affected_regions: int = Field(ge=0, description="How many watched regions follow the target.")
