"""`queue-gate.events.v1`: gates opening and closing, submissions moving through their life.

Neither carries personal data: a submission is known here only by its ticket id.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from shared.events.envelope import EventData
from shared.events.status import REGION_CODE_PATTERN, SiakStatus

GateStateName = Literal["open", "closed", "recovering"]
GateCause = Literal["siak_status", "stale", "operator_override", "replay_at_full_rate"]
SubmissionStateName = Literal[
    "queued", "deferred", "dispatching", "delivered", "parked", "cancelled"
]


class GateStateChanged(EventData):
    """A region's gate opened, closed, or started recovering (canaries, then a ramp).

    Told once per change, by whichever replica of the gate saw it first: `closed`, then
    `recovering` when it lets submissions through again, then `open` once the replay reached
    full rate. A gate closes for any of `cause`: SIAK's status, a status gone stale (no
    heartbeat lists the region any more), or an operator's override."""

    event_type: ClassVar[str] = "id.siakgate.gate.state.changed.v1"

    region_code: str = Field(pattern=REGION_CODE_PATTERN)
    gate_state: GateStateName
    previous_gate_state: GateStateName | None = Field(
        description="What subscribers were told before (a gate never told of counts as closed)."
    )
    siak_status: SiakStatus = Field(description="The region's status as the gate counts it.")
    cause: GateCause | None = Field(
        default=None,
        description=(
            "What moved the gate: `siak_status` (the monitor's status), `stale` (no status or "
            "heartbeat for the region for too long: UNKNOWN), `operator_override` (forced open "
            "or closed), `replay_at_full_rate` (recovery done). Absent in events of gates "
            "that predate it."
        ),
    )
    reason: str | None = Field(
        default=None, max_length=200, description="The status's reason, when it has one."
    )
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
