"""`queue-gate.events.v1`: gates opening and closing, submissions moving through their life.

Neither carries personal data: a submission is known here only by its ticket id.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from shared.events.envelope import EventData
from shared.events.status import REGION_CODE_PATTERN, SiakStatus

GateStateName = Literal["open", "closed", "recovering"]
SubmissionStateName = Literal[
    "queued", "deferred", "dispatching", "delivered", "parked", "cancelled"
]


class GateStateChanged(EventData):
    """A region's gate opened, closed, or started recovering (canaries, then a ramp)."""

    event_type: ClassVar[str] = "id.siakgate.gate.state.changed.v1"

    region_code: str = Field(pattern=REGION_CODE_PATTERN)
    gate_state: GateStateName
    previous_gate_state: GateStateName | None
    siak_status: SiakStatus
    reason: str | None = Field(default=None, max_length=200)
    at: AwareDatetime


class SubmissionStateChanged(EventData):
    """A submission was accepted (queued or deferred), delivered, parked or cancelled."""

    event_type: ClassVar[str] = "id.siakgate.gate.submission.changed.v1"

    ticket_id: str = Field(min_length=1, max_length=64)
    region_code: str = Field(pattern=REGION_CODE_PATTERN)
    service_type: str
    state: SubmissionStateName
    at: AwareDatetime
    parked_reason: str | None = Field(default=None, max_length=300)
