"""`siak.status.v1`: a region's SIAK status changed."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.events.envelope import EventData

REGION_CODE_PATTERN = r"^[0-9]{2}\.[0-9]{2}$"
PLAIN_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
"""No control characters (NUL least of all): a consumer stores and shows these strings."""
MAX_SEQ = 2**63 - 1
"""The largest `seq` a consumer can keep (a signed 64-bit integer)."""


class SiakStatus(StrEnum):
    UP = "UP"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"
    MAINTENANCE = "MAINTENANCE"
    UNKNOWN = "UNKNOWN"


class ProbeEvidence(EventData):
    """The last probe behind a status: what was asked, what came back, how long it took."""

    checked_at: AwareDatetime
    ok: bool
    http_status: int | None = None
    latency_ms: float | None = Field(default=None, ge=0)
    error: str | None = Field(default=None, max_length=500)


class StatusChanged(EventData):
    """A region moved from `previous_status` to `status` at `since`, or its reason or expected
    return changed under the same status (then `since` is unchanged and `seq` still grows).

    A region's changes are ordered by (`epoch`, `seq`): a consumer applies a change only when
    that pair is greater than the one it holds, so duplicates and stale changes are ignored,
    and a new epoch (the topic was recreated, the monitor started counting again) replaces
    what it holds whatever the `seq`."""

    event_type: ClassVar[str] = "id.siakgate.siak.status.changed.v1"

    region_code: str = Field(pattern=REGION_CODE_PATTERN)
    status: SiakStatus
    previous_status: SiakStatus | None
    since: AwareDatetime
    epoch: int = Field(
        default=0,
        ge=0,
        le=MAX_SEQ,
        description=(
            "The sequence `seq` belongs to: chosen by the monitor when it finds the status "
            "topic empty (the milliseconds since 1970 at that moment, so a later epoch is "
            "greater) and read back from the topic on every start after. 0 (or absent) in "
            "records of monitors that predate epochs."
        ),
    )
    seq: int = Field(
        ge=1,
        le=MAX_SEQ,
        description="Per region, strictly increasing within an epoch, across monitor restarts.",
    )
    reason: str | None = Field(
        default=None,
        max_length=200,
        pattern=PLAIN_TEXT_PATTERN,
        description=(
            "Why the region is not UP: the kind of probe failure (`timeout`, "
            "`connection_refused`, `http_503`, `unexpected_body`), `slow_response`, "
            "`planned_maintenance`, `maintenance_overrun`, `parent_down` (the cause is on "
            "`siak.central.status.v1`) or `parent_maintenance`."
        ),
    )
    expected_return_at: AwareDatetime | None = Field(
        default=None,
        description="The end of the maintenance window, or the current estimate of an overrun.",
    )
    evidence: ProbeEvidence | None = Field(
        default=None, description="The probe behind the change; probes go on in maintenance."
    )
